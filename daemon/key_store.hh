// KeyStore: where the data key that seals every secret lives.
#pragma once

#include <memory>
#include <string>

#include "error.hh"
#include "secret.hh"

namespace credd {

inline constexpr std::size_t data_key_bytes = 32; // AES-256

// A source of the 256-bit data key. Implementations: FileKeyStore (opt-in key file);
// the Secret Service keyring comes later. Owned by the Daemon, used once at start-up.
class KeyStore {
public:
    virtual ~KeyStore() = default;
    // Returns the key, creating it on first use if this store may create one.
    virtual Result<Secret> load_or_create() = 0;
    // What protects the key, as shown to users: "file", later "keyring".
    virtual std::string protection() const = 0;
    // Where the key is, for messages and `daemon.info` (a path, a keyring item label).
    virtual std::string location() const = 0;
};

} // namespace credd
