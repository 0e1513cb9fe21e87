// run_process: run a program to completion with given stdin, capturing stdout and stderr.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "child_process.hh"

namespace credd::test {

// The path of an installed program in /usr/bin, /bin or /usr/local/bin; empty if none.
std::string find_program(const std::string& name);

struct ProcessOptions {
    std::vector<std::string> argv; // argv[0] is the path executed
    std::vector<EnvVar> env;       // over the test's own environment
    std::string stdin_bytes;       // written, then stdin is closed
    ChildLimits limits;            // uid/gid switch, RLIMIT_NOFILE
    std::chrono::milliseconds deadline = 20s;
};

// What a finished run produced. `out` may hold a token: compare it, never print it.
struct ProcessResult {
    ExitStatus status;
    std::string spawn_error; // non-empty when the program could not be started
    std::string out;
    std::string err;

    int exit_code() const { return status.exit_code; }
    // For assertion messages: how it ended and its stderr, never its stdout.
    std::string describe() const;
};

// Runs the program, feeding stdin and reading both outputs in one poll loop (so a child
// that writes a lot before reading stdin cannot deadlock it). Past the deadline the child
// is killed and `status.timed_out` is set. Output written by grandchildren after the
// child exits is not waited for.
ProcessResult run_process(const ProcessOptions& options);

// Runs `body` in a forked copy of the test process under `limits` (e.g. another uid)
// and returns how it exited; the body's return value is the exit code. The body must
// not use gtest assertions: report through the exit code.
ExitStatus run_forked(const ChildLimits& limits, const std::function<int()>& body,
                      std::chrono::milliseconds deadline = 20s);

} // namespace credd::test
