// Running a parsed cred command: the one place that talks to the daemon and prints.
#pragma once

#include "cli.hh"
#include "exit_code.hh"

namespace credd {

// Runs the command, prints its output or its error, and says how cred should exit.
ExitCode run_command(const cli::Invocation& invocation);

} // namespace credd
