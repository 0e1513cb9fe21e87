// Error codes shared by daemon, client and protocol, and the Result type that carries them.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace credd {

// One value per failure a caller can act on differently. The names (code_name) are
// the stable `data.code` strings of the wire protocol: never rename one.
enum class Errc {
    ok = 0,
    // transport and framing
    parse_error,
    invalid_request,
    line_too_long,
    too_deep,
    invalid_utf8,
    method_not_found,
    invalid_params,
    too_many_connections,
    idle_timeout,
    // credentials
    not_found,
    expired,
    insufficient_validity,
    needs_login,
    corrupt,
    refresh_failed, // a refreshable credential has no valid token and the refresh failed
    superseded,     // a refresh finished after the credential changed; its result was dropped
    // interactive login (login.*, credential.whoami)
    discovery_failed,  // the issuer's metadata could not be fetched or did not match
    login_in_progress, // one login per credential at a time
    no_id_token,       // credential.whoami: no ID token stored
    access_denied,     // the user (or the provider) refused the login
    expired_token,     // the device code expired before the user finished
    state_mismatch,    // the redirect's state is not the one we sent
    login_failed,      // any other login failure (token endpoint, network…)
    // key protection and storage
    keyring_unavailable,
    keyring_locked,
    key_unavailable,
    storage_failed,
    // environment
    unsafe_path,
    already_running,
    daemon_unreachable,
    io_error,
    internal,
};

std::string_view code_name(Errc e);
// Parses a `data.code` string back; unknown strings map to Errc::internal.
Errc errc_from_name(std::string_view name);
// The JSON-RPC 2.0 error code for a failure (-32700 … -32600 for the spec's own, -320xx ours).
int jsonrpc_code(Errc e);

const boost::system::error_category& credd_category() noexcept;
boost::system::error_code make_error_code(Errc e) noexcept;

// An expected failure: what went wrong, for whom, and what the user can run about it.
// `message` reads `subject: what failed: why`, lower case, no trailing period.
// Neither field may ever contain secret material.
struct Error {
    Errc code = Errc::internal;
    std::string message;
    std::string hint;

    friend bool operator==(const Error& e, Errc c) { return e.code == c; }
};

Error make_error(Errc code, std::string message, std::string hint = {});

// Called by boost::system::result::value() on an error: a bug, since callers test first.
[[noreturn]] void throw_exception_from_error(const Error& e, const boost::source_location& loc);

template <class T>
using Result = boost::system::result<T, Error>;

} // namespace credd

namespace boost::system {
template <>
struct is_error_code_enum<credd::Errc> : std::true_type {};
} // namespace boost::system
