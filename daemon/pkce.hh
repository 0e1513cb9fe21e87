// Pkce: the random values of an authorization code login — PKCE (RFC 7636) and `state`.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "secret.hh"

namespace credd {

// `bytes` random bytes from OpenSSL's CSPRNG, base64url without padding; nullopt when
// the generator fails (never silently weaker randomness).
std::optional<std::string> random_url_token(std::size_t bytes);

// The S256 code challenge of a verifier: base64url(SHA-256(verifier)), no padding.
std::string code_challenge_s256(std::string_view verifier);

// base64url without padding (RFC 4648 §5).
std::string base64url_encode(std::string_view bytes);

// Equal, in time that does not depend on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace credd
