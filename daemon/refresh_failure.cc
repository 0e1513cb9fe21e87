// RefreshFailure: error classes and the rules that assign them.
#include "refresh_failure.hh"

#include <stdexcept>

namespace credd {

std::string_view error_class_name(ErrorClass c) {
    switch (c) {
    case ErrorClass::transient:
        return "transient";
    case ErrorClass::reauthorize:
        return "reauthorize";
    case ErrorClass::fix_configuration:
        return "fix_configuration";
    }
    return "transient";
}

std::optional<ErrorClass> error_class_from_name(std::string_view name) {
    for (auto c : {ErrorClass::transient, ErrorClass::reauthorize, ErrorClass::fix_configuration}) {
        if (error_class_name(c) == name) {
            return c;
        }
    }
    return std::nullopt;
}

void throw_exception_from_error(const RefreshFailure& f, const boost::source_location&) {
    throw std::logic_error("unchecked refresh failure: " + f.message);
}

ErrorClass classify_http_status(int http_status) {
    // 408 and 429 are the server asking us to come back later; 5xx is its own trouble.
    if (http_status == 408 || http_status == 429 || http_status >= 500) {
        return ErrorClass::transient;
    }
    if (http_status >= 400) {
        return ErrorClass::fix_configuration;
    }
    return ErrorClass::transient;
}

ErrorClass classify_oauth_error(std::string_view code, int http_status) {
    if (code == "invalid_grant") {
        return ErrorClass::reauthorize;
    }
    // server_error and temporarily_unavailable are RFC 6749 §4.1.2.1's transient pair;
    // slow_down is RFC 8628's. Some providers send them with HTTP 400 or 200.
    if (code == "temporarily_unavailable" || code == "server_error" || code == "slow_down") {
        return ErrorClass::transient;
    }
    if (code == "invalid_client" || code == "unauthorized_client" || code == "invalid_scope" ||
        code == "invalid_request" || code == "unsupported_grant_type" || code == "access_denied" ||
        code == "invalid_target") {
        return ErrorClass::fix_configuration;
    }
    // An unknown code: the HTTP status decides; with a 2xx it is a request the server
    // will refuse again, so a configuration problem.
    if (http_status >= 200 && http_status < 300) {
        return ErrorClass::fix_configuration;
    }
    return classify_http_status(http_status);
}

} // namespace credd
