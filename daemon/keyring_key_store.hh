// KeyringKeyStore: the data key as a Secret Service item (GNOME Keyring, KeePassXC, KWallet).
#pragma once

#include <chrono>
#include <memory>

#include "key_store.hh"
#include "keyring_calls.hh"

namespace credd {

struct KeyringTimeouts {
    // Longest any one Secret Service call may take before it counts as unavailable.
    std::chrono::milliseconds call{10'000};
    // Longest an unlock prompt on a desktop may stay open (DISPLAY or WAYLAND_DISPLAY
    // set); without a display no prompt is raised and a locked item is keyring_locked.
    std::chrono::milliseconds prompt{120'000};
};

// Keeps the data key in the user's default keyring collection as an item of the
// "org.credd.DataKey" schema whose "store" attribute is the store's directory, so two
// stores on one machine each have their own item. Talks to the session bus through
// libsecret; GError is translated here and nowhere else. Every call runs under a
// deadline (see the .cc). Owned by the KeyGate; calls are made on its worker thread.
class KeyringKeyStore final : public KeyStore {
public:
    // `calls` is shared by every key store of one daemon (null: one of its own).
    explicit KeyringKeyStore(std::string store_path, KeyringTimeouts timeouts = {},
                             std::shared_ptr<KeyringCalls> calls = nullptr);
    Result<std::optional<Secret>> load() override;
    Result<void> save(const Secret& key) override;
    Result<void> erase() override;
    std::string protection() const override { return "keyring"; }
    std::string location() const override;

private:
    std::string m_store_path;
    KeyringTimeouts m_timeouts;
    std::shared_ptr<KeyringCalls> m_calls;
};

} // namespace credd
