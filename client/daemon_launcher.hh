// Starting credd on demand, detached, when no daemon answers on the socket.
#pragma once

#include <chrono>
#include <string>

#include "error.hh"

namespace credd {

struct LaunchRequest {
    std::string daemon_path;
    std::string socket_path;
    std::chrono::milliseconds ready_timeout{2000};
};

// Where credd is: $CREDD_DAEMON if set, else `credd` beside this executable (an
// installed pair, or a relocated tree), else the first executable `credd` on $PATH.
Result<std::string> find_daemon();

// Starts credd in its own session with stdin, stdout and stderr on /dev/null and a
// pipe on fd 3 (`--ready-fd 3`), then waits for its "READY" line. The daemon's own
// "ERROR <message>" line, or its silent exit, becomes the Error.
Result<void> launch_daemon(const LaunchRequest& request);

} // namespace credd
