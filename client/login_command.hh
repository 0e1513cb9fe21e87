// `cred login NAME` and `cred whoami NAME`: the client side of the interactive login. The
// daemon runs every flow (credd-protocol(7), login.*); cred shows, waits and cancels.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "cli.hh"
#include "error.hh"
#include "exit_code.hh"
#include "secret.hh"
#include "time_text.hh"

namespace credd {

class DaemonClient;

// What the user pasted after a --no-browser login: the whole redirect URL, or the bare
// code. `key` is login.complete's parameter name ("redirect_url" or "code").
struct PastedAnswer {
    std::string_view key;
    Secret value;
};

// Whitespace around it is dropped. A URL (with "://", or host:port/path?… as some
// browsers copy it) is a redirect_url; one word of URL-safe characters is a code;
// anything else is a usage error that quotes none of it.
Result<PastedAnswer> parse_pasted_answer(std::string_view line);

// "logged in as alice, token valid until 14:03, refreshes in the background" from a
// login.progress "succeeded" notification's params; `now` places the date when the
// expiry is not today (local time).
std::string login_success_line(const boost::json::object& progress, UnixMs now);

// The exit status for a failed login: 4 (log in again) for access_denied, expired_token
// and state_mismatch, else as for any error with that code.
ExitCode login_failure_exit(std::string_view code);

// Runs the whole login and reports its own errors; 130 after Ctrl-C or SIGTERM.
ExitCode run_login(const cli::LoginCommand& command, DaemonClient& daemon);

Result<void> run_whoami(const cli::WhoamiCommand& command, DaemonClient& daemon);

} // namespace credd
