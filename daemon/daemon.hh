// Daemon: wires key store, store, broker and listener together and runs the I/O loop.
#pragma once

#include <memory>

#include "options.hh"

namespace credd {

// Owns every component of a running credd. `run` opens them in the order that keeps
// start-up safe (socket lock before the store is touched, store loaded before the
// first connection is accepted) and serves until SIGTERM or SIGINT.
class Daemon {
public:
    explicit Daemon(DaemonOptions options);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Returns the process exit code: 0 after a clean shutdown, 1 when start-up failed.
    int run();

private:
    struct Parts;
    DaemonOptions m_options;
    std::unique_ptr<Parts> m_parts;
};

} // namespace credd
