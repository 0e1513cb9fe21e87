// `cred exec NAME [--env VAR] -- CMD ARGS…`: run a program with a token in its environment.
#pragma once

#include "cli.hh"
#include "error.hh"

namespace credd {

class DaemonClient;

// Exit statuses when CMD itself cannot be started, as env(1) and shells use them.
inline constexpr int exit_command_not_found = 127;
inline constexpr int exit_command_not_runnable = 126;

// Gets the token, puts it in the environment as `command.env_var` and execvp()s the
// command (no shell): on success it does not return, and the command's exit status is
// cred's. The token is never an argument. If the command cannot be started, the
// failure is reported and the process exits 127 (not found) or 126 (anything else).
Result<void> run_exec(const cli::ExecCommand& command, DaemonClient& daemon);

} // namespace credd
