// KeyGate: the data key in a running daemon — where it lives, whether it is loaded, and
// the requests that wait for it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "error.hh"
#include "key_store.hh"
#include "keyring_key_store.hh"

namespace credd {

class Broker;
class Worker;
struct ResolvedKey;
struct MigrationStep;

struct KeyGateOptions {
    std::string mode; // "auto", "keyring" or "file" (--key-store)
    std::string key_file;
    std::string store_path;
    KeyringTimeouts timeouts;
    // Shared by the key stores the gate makes (null: the gate makes one).
    std::shared_ptr<KeyringCalls> calls = nullptr;
};

enum class KeyState { loading, ready, failed };
std::string_view key_state_name(KeyState s);

struct MigrationOutcome {
    std::string protection; // where the key is now
    std::string location;
    bool moved = false;        // false: it was there already
    bool removed_copy = false; // a copy left by an interrupted migration was deleted
};

// Finds the data key (per --key-store), hands it to the Broker, and answers whoever needs
// a secret once it is there — or with why it is not (keyring_unavailable, keyring_locked,
// key_unavailable…). Requests that need no secret never come here, so a missing keyring
// costs them nothing. Every KeyStore call runs on `worker`, never on the I/O thread; a
// failed load is retried by the next request that needs the key, one load at a time.
// Owned by the Daemon; lives on the I/O thread.
class KeyGate {
public:
    KeyGate(KeyGateOptions options, Broker& broker, Worker& worker, bool store_has_key);
    ~KeyGate();
    KeyGate(const KeyGate&) = delete;
    KeyGate& operator=(const KeyGate&) = delete;

    // Starts the first load in the background.
    void start();
    // On SIGTERM: every Secret Service call waiting for its deadline (or a prompt) gives
    // up now and no new one starts, so the load or migration in hand ends at once (with
    // keyring_unavailable) and holds up no exit.
    void cancel();
    // Calls `done` once the key is loaded (now, if it is), or with why it cannot be.
    void when_ready(std::function<void(Result<void>)> done);
    // Moves the key to `to` ("keyring" or "file"): write the new copy, read it back and
    // check it opens the store, switch to it, and only then delete the old one. Killed at
    // any point, both copies or one are left, each holding the same key.
    void migrate(const std::string& to, std::function<void(Result<MigrationOutcome>)> done);

    const std::string& mode() const { return m_options.mode; }
    // "keyring" or "file" once known; "none" while `auto` has found no key.
    const std::string& protection() const { return m_protection; }
    const std::string& location() const { return m_location; }
    KeyState state() const { return m_state; }
    // Why the last load failed (state failed).
    const std::optional<Error>& error() const { return m_error; }

private:
    void load();
    void loaded(Result<ResolvedKey> resolved);
    void finish(Result<void> result);
    void finish_migration(std::shared_ptr<MigrationStep> step,
                          std::function<void(Result<MigrationOutcome>)> done);

    KeyGateOptions m_options;
    Broker& m_broker;
    Worker& m_worker;
    bool m_store_has_key;
    std::unique_ptr<KeyStore> m_store; // touched on the worker only, while m_busy
    std::string m_protection;
    std::string m_location;
    KeyState m_state = KeyState::loading;
    bool m_busy = false; // a load or a migration is running
    std::optional<Error> m_error;
    std::vector<std::function<void(Result<void>)>> m_waiting;
};

} // namespace credd
