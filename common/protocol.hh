// The wire protocol: JSON-RPC 2.0 over NDJSON, its limits, method names and message shapes.
// credd-protocol(7) documents the same contract for plugin authors; change both together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include "error.hh"

namespace credd::protocol {

// Bump on any incompatible change to a method, a parameter or a result.
inline constexpr int version = 1;

inline constexpr std::size_t max_line_bytes = 64 * 1024;
inline constexpr unsigned max_json_depth = 32;

namespace method {
inline constexpr std::string_view daemon_info = "daemon.info";
inline constexpr std::string_view credential_add = "credential.add";
inline constexpr std::string_view credential_update = "credential.update";
inline constexpr std::string_view credential_remove = "credential.remove";
inline constexpr std::string_view credential_list = "credential.list";
inline constexpr std::string_view credential_status = "credential.status";
inline constexpr std::string_view token_get = "token.get";
inline constexpr std::string_view credential_store = "credential.store";
inline constexpr std::string_view credential_erase = "credential.erase";
inline constexpr std::string_view keystore_migrate = "keystore.migrate";
inline constexpr std::string_view credential_rotate = "credential.rotate";
inline constexpr std::string_view token_reject = "token.reject";
inline constexpr std::string_view token_watch = "token.watch";
inline constexpr std::string_view token_unwatch = "token.unwatch";
inline constexpr std::string_view login_start = "login.start";
inline constexpr std::string_view login_complete = "login.complete";
inline constexpr std::string_view login_cancel = "login.cancel";
inline constexpr std::string_view credential_whoami = "credential.whoami";
} // namespace method

// The notification a token.watch subscription receives (credd sends nothing else unasked).
inline constexpr std::string_view notification_token_changed = "token.changed";
// What the connection that called login.start receives about its login.
inline constexpr std::string_view notification_login_progress = "login.progress";

// A parsed, validated request line.
struct Request {
    boost::json::value id;
    bool notification = false; // no "id": JSON-RPC says it gets no answer
    std::string method;
    boost::json::object params;
};

// Validates one line (UTF-8, depth, JSON-RPC envelope) into a Request. On failure
// the Error says what was wrong, and `id_out` holds the request id when one could
// be read, so the error response can carry it.
// Parsed values are allocated from `storage`, so a caller that parses lines carrying
// secrets can hand in a resource over a buffer it wipes afterwards.
Result<Request> parse_request(std::string_view line, boost::json::value& id_out,
                              boost::json::storage_ptr storage = {});

// Appends compact JSON to `out` without temporary copies (values may hold secrets).
void append_json(std::string& out, const boost::json::value& v);
void append_json(std::string& out, const boost::json::object& v);

// Appends a response line, terminated by '\n', to `out` (which the caller may wipe).
void append_result_line(std::string& out, const boost::json::value& id,
                        const boost::json::value& result);
void append_error_line(std::string& out, const boost::json::value& id, const Error& error);
// A request line; it may carry a secret, so the caller wipes it after sending.
std::string make_request_line(std::uint64_t id, std::string_view method,
                              const boost::json::object& params);

// Reads a response line: the `result` on success, the daemon's Error otherwise.
Result<boost::json::value> parse_response(std::string_view line);

// Typed parameter access with errors that name the parameter.
Result<std::string> get_string(const boost::json::object& params, std::string_view key);
Result<std::optional<std::string>> get_optional_string(const boost::json::object& params,
                                                       std::string_view key);
Result<std::optional<std::int64_t>> get_optional_int(const boost::json::object& params,
                                                     std::string_view key);

} // namespace credd::protocol
