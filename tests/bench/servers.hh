// The three servers the benchmark measures against, each started as our own child and
// waited for until it serves: credd, git's credential-cache daemon, and the echo floor.
#pragma once

#include <string>

#include "child_process.hh"
#include "sandbox.hh"

namespace credd::bench {

struct Server {
    ChildProcess process;
    std::string socket_path;
    std::string log_path; // empty when the server keeps no log
};

// credd on $XDG_RUNTIME_DIR/credd/socket with a file key, waiting for "READY" on
// --ready-fd. Its stdout and stderr go to <sandbox>/credd.log.
Server start_credd(const std::string& credd_path, const Sandbox& sandbox);

// `git credential-cache--daemon SOCKET`, started directly rather than through
// `git credential-cache store`, so its pid is ours to measure and to stop. It prints
// "ok" once it listens.
Server start_git_cache_daemon(const std::string& git_path, const Sandbox& sandbox);

// The floor's echo server; prints "ready" once it listens.
Server start_echo_server(const std::string& echo_path, const Sandbox& sandbox);

// The last lines of a log file, for error messages.
std::string log_tail(const std::string& path, int lines = 15);

} // namespace credd::bench
