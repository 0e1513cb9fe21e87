// TokenResponse: reads an OAuth2 token endpoint's answer (RFC 6749 §5) as real providers send it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/system/result.hpp>

#include "http_response.hh"
#include "refresh_failure.hh"
#include "secret.hh"
#include "time_text.hh"

namespace credd {

// A successful answer. `refresh_token` is empty when the provider did not rotate it
// (the caller keeps the old one); `expires_in_s` is empty when the provider did not say.
struct TokenGrant {
    Secret access_token;
    Secret refresh_token;
    Secret id_token; // OIDC: empty when the answer carried none
    std::optional<std::int64_t> expires_in_s;
};

using TokenResult = boost::system::result<TokenGrant, RefreshFailure>;

// Accepts, as providers really send them: JSON or a form-encoded body; `expires_in` as a
// number or a string, or missing; an error object with HTTP 200 (GitHub). An HTML page,
// an unreadable body or an error status becomes a classed RefreshFailure whose message
// never quotes the body (it may echo secrets), only the error code and a sanitised
// error_description.
TokenResult parse_token_response(const HttpResponse& response, UnixMs now);

// Retry-After (RFC 9110 §10.2.3): delta-seconds or an HTTP-date; milliseconds from `now`,
// never negative. Empty for anything else.
std::optional<std::int64_t> parse_retry_after(std::string_view value, UnixMs now);

} // namespace credd
