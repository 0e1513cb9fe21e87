// InteractiveCred: `cred login …` running as a child whose stdin a test writes and whose
// stdout and stderr it reads as they come, to act on what cred printed.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hh"

namespace credd::test {

// A pipe whose ends close with it.
struct Pipe {
    int read = -1;
    int write = -1;
    Pipe();
    ~Pipe();
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    void close_read();
    void close_write();
};

class InteractiveCred {
public:
    InteractiveCred(std::vector<std::string> args, std::vector<EnvVar> env);
    InteractiveCred(const InteractiveCred&) = delete;
    InteractiveCred& operator=(const InteractiveCred&) = delete;

    bool started() const { return m_child && m_child->started(); }

    // Reads what is there until `done(out)` holds, the deadline passes or both outputs
    // reached EOF; whether `done(out)` held.
    bool wait_for_output(const std::function<bool(const std::string&)>& done,
                         std::chrono::milliseconds deadline = std::chrono::seconds(20));
    bool wait_for_text(const std::string& text,
                       std::chrono::milliseconds deadline = std::chrono::seconds(20));

    // Writes to cred's stdin (all of it, or a non-fatal failure).
    void type(const std::string& text);
    void close_stdin();
    void signal(int sig) const;
    // Waits for cred to exit (killing it past the deadline), then reads the rest.
    ExitStatus wait(std::chrono::milliseconds deadline = std::chrono::seconds(20));

    std::string out;
    std::string err;

private:
    void drain();

    Pipe m_in;
    Pipe m_out;
    Pipe m_err;
    std::optional<ChildProcess> m_child;
    bool m_eof = false;
};

} // namespace credd::test
