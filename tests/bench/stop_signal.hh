// Ctrl-C, SIGTERM and SIGHUP ask the benchmark to stop at its next loop boundary, so it
// still stops the daemons it started and removes its temp directory.
#pragma once

namespace credd::bench {

// Installs the handlers (without SA_RESTART, so blocking calls return EINTR) and
// ignores SIGPIPE: a peer that hangs up is an error to count, not a reason to die.
void install_stop_handlers();

bool stop_requested();

} // namespace credd::bench
