// KeyStore: where the data key that seals every secret lives.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "error.hh"
#include "secret.hh"

namespace credd {

inline constexpr std::size_t data_key_bytes = 32; // AES-256

// A home for the 256-bit data key. Implementations: KeyringKeyStore (a Secret Service
// item, the default) and FileKeyStore (an opt-in 0600 file). Owned by the KeyGate; calls
// block (disk, D-Bus) and are made on the key worker thread, never the I/O thread.
class KeyStore {
public:
    virtual ~KeyStore() = default;
    // The key, or nullopt when this store holds none. Errors mean "cannot tell":
    // keyring_unavailable, keyring_locked, unsafe_path, corrupt, io_error.
    virtual Result<std::optional<Secret>> load() = 0;
    // Puts `key` here. Idempotent for the same key; refuses (key_unavailable) to replace
    // a different key, which may be the only way into some store's secrets.
    virtual Result<void> save(const Secret& key) = 0;
    // Deletes the key held here, if any.
    virtual Result<void> erase() = 0;
    // What protects the key, as shown to users: "keyring" or "file".
    virtual std::string protection() const = 0;
    // Where the key is, for messages and `daemon.info` (a path, a keyring item label).
    virtual std::string location() const = 0;
};

// 32 fresh random bytes (OpenSSL's CSPRNG).
Result<Secret> generate_data_key();

} // namespace credd
