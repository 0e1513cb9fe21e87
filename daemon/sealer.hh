// Sealer: authenticated encryption of secret material before it touches the disk.
#pragma once

#include <string>
#include <string_view>

#include "error.hh"
#include "secret.hh"

namespace credd {

// AES-256-GCM with a fresh 96-bit random nonce per seal. The associated data binds a
// blob to its credential name, so a blob copied under another name fails to open.
// Blob layout: version byte (1) | nonce (12) | ciphertext | tag (16).
// Any tampering, truncation or wrong key yields Errc::corrupt, never a crash.
class Sealer {
public:
    // `key` must be data_key_bytes long.
    explicit Sealer(Secret key);

    Result<std::string> seal(std::string_view plaintext, std::string_view associated) const;
    Result<Secret> unseal(std::string_view blob, std::string_view associated) const;

private:
    Secret m_key;
};

} // namespace credd
