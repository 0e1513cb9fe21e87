// GitCredential: git's credential-helper protocol (gitcredentials(7)), parsed and
// formatted in plain C++ with no I/O, for `git-credential-credd get|store|erase`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "error.hh"
#include "secret.hh"

namespace credd::git {

// git sends lines shorter than this; a longer one is refused (git's own limit is the
// same order, and the daemon's request line is 64 KiB).
inline constexpr std::size_t max_line_bytes = 64 * 1024;
// Everything git writes for one request; wwwauth[] lines can add up, but not to this.
inline constexpr std::size_t max_input_bytes = 1024 * 1024;

enum class Operation { get, store, erase, unknown };

// The operation is the LAST argument: `credential.helper = "credd --flag"` runs
// `git-credential-credd --flag get`.
Operation operation_of(std::span<const std::string_view> args);

// Every attribute git ≥ 2.39 and ≤ 2.47 sends. Secrets wipe themselves.
struct Request {
    std::string protocol;
    std::string host; // with ":port" when git has one
    std::string path; // without a leading '/'; only with credential.useHttpPath
    std::optional<std::string> username;
    Secret password;
    std::optional<std::int64_t> password_expiry_utc; // unix seconds
    Secret oauth_refresh_token;
    std::vector<std::string> wwwauth;
    std::vector<std::string> capabilities;
    std::string authtype;
    Secret credential;
    bool ephemeral = false;
    std::vector<std::string> state;
    bool continue_ = false;

    bool has_capability(std::string_view c) const;
};

// Parses what git writes on the helper's stdin: "key=value" lines up to a blank line
// or the end. Refuses (Errc::invalid_request) a line without '=', a line over
// max_line_bytes, and a value holding NUL or CR (LF ends the line). Unknown keys are
// ignored; "url=" is split into protocol, host, path and username as git does.
Result<Request> parse_request(std::string_view input);

// "protocol://host[/path]" for credd's URL lookup; nullopt when protocol or host is
// missing (git asks nothing credd could answer).
std::optional<std::string> credd_url(const Request& request);

// What credd answers a get with; the views point into the daemon's answer.
struct Answer {
    std::optional<std::string_view> username;
    std::string_view token;
    std::optional<std::int64_t> expiry_utc; // unix seconds
    std::string_view refresh_token;         // empty: none
    bool bearer = false;
};

// The lines a `get` prints. With git's authtype capability and a bearer token:
// capability[]=authtype, authtype=Bearer and credential=…; otherwise username and
// password. Never url= (git would reset the credential on it). Refuses a value with
// NUL, CR or LF. The caller wipes the returned text after writing it.
Result<std::string> format_answer(const Answer& answer, const Request& request);

} // namespace credd::git
