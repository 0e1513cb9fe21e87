// take_activated_socket: the listening socket systemd passed to credd, if it passed one.
#pragma once

#include <optional>
#include <string>

#include "error.hh"

namespace credd {

// A listening Unix stream socket inherited through socket activation. The daemon's
// Listener serves it; systemd keeps its own copy, so it outlives the daemon.
struct ActivatedSocket {
    int fd = -1;
    std::string path; // where it is bound, as getsockname reports it
};

// Reads LISTEN_FDS/LISTEN_PID (sd_listen_fds(3)) and unsets them, so a child process
// never mistakes them for its own. No socket passed (or passed to another pid):
// nullopt. Anything but exactly one listening Unix stream socket bound to a path is
// refused, since credd would otherwise serve something the unit did not mean.
Result<std::optional<ActivatedSocket>> take_activated_socket();

} // namespace credd
