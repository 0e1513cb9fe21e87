// Running a parsed cred command: the one place that talks to the daemon and prints.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cli.hh"
#include "daemon_client.hh"
#include "exit_code.hh"

namespace credd {

// Runs the command, prints its output or its error, and says how cred should exit.
ExitCode run_command(const cli::Invocation& invocation);

// How to reach the daemon: `socket` (--socket) when given, else $CREDD_SOCKET, else the
// XDG default; autostart unless CREDD_NO_AUTOSTART=1. The git and docker helpers too.
DaemonClientOptions daemon_client_options(const std::optional<std::string>& socket);

// How long `cred keystore migrate` waits for the daemon: the worst case of the keyring
// deadlines of a daemon with the default --keyring-timeout, each step within its own.
std::chrono::milliseconds keystore_migrate_timeout();

} // namespace credd
