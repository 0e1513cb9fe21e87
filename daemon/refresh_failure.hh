// RefreshFailure: why a refresh did not produce a token, classed by what happens next.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace credd {

// What a failed refresh means for the next attempt (DESIGN.md, "Refresh"):
//   transient          network, timeouts, 5xx, 429, temporarily_unavailable: back off, retry
//   reauthorize        invalid_grant: the refresh token is dead; status needs_login, no retry
//   fix_configuration  invalid_client, unauthorized_client, invalid_scope, other 4xx: status
//                      error, no retry until the credential changes (or `cred rotate`)
enum class ErrorClass { transient, reauthorize, fix_configuration };

std::string_view error_class_name(ErrorClass c);
std::optional<ErrorClass> error_class_from_name(std::string_view name);

// `message` reads `what failed: why` without the credential's name (the caller adds it)
// and never holds secret material: only the provider's error code and a sanitised,
// truncated error_description.
struct RefreshFailure {
    ErrorClass error_class = ErrorClass::transient;
    std::string message;
    std::optional<std::int64_t> retry_after_ms; // the server's Retry-After, when it sent one
};

// Called by boost::system::result::value() on an error: a bug, since callers test first.
[[noreturn]] void throw_exception_from_error(const RefreshFailure& f,
                                             const boost::source_location& loc);

// The class of an RFC 6749 §5.2 error code, whatever HTTP status it came with.
ErrorClass classify_oauth_error(std::string_view code, int http_status);
// The class of an HTTP status without a usable error object.
ErrorClass classify_http_status(int http_status);

} // namespace credd
