// Programs the benchmark starts with posix_spawn: the servers under test, which it owns
// and stops, and the timed client runs, measured from spawn to exit.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace credd::bench {

// An argv and environment prepared once, so a timed run does not count string copies.
// Neither copyable nor movable: it hands out pointers into itself.
class CommandLine {
public:
    CommandLine(std::vector<std::string> argv, std::vector<std::string> env);
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    const std::string& program() const { return m_argv.front(); }
    char* const* argv() const { return m_argv_ptrs.data(); }
    char* const* envp() const { return m_env_ptrs.data(); }
    std::string text() const;

private:
    std::vector<std::string> m_argv;
    std::vector<std::string> m_env;
    std::vector<char*> m_argv_ptrs;
    std::vector<char*> m_env_ptrs;
};

struct FdMapping {
    int source;
    int target;
};

// What a child gets as its descriptors; -1 means /dev/null. Every other descriptor of
// the benchmark is CLOEXEC and stays behind.
struct ChildIo {
    std::string cwd;
    int stdin_fd = -1;
    int stdout_fd = -1;
    int stderr_fd = -1;
    std::vector<FdMapping> extra;
};

// Starts the program; throws std::runtime_error when it cannot be started.
pid_t spawn_child(const CommandLine& command, const ChildIo& io);

// A long-running child the benchmark owns: stopped (SIGTERM, then SIGKILL) at the
// latest when this object goes, so a failed run leaves no daemon behind.
class ChildProcess {
public:
    ChildProcess() = default;
    explicit ChildProcess(pid_t pid) : m_pid(pid) {}
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ~ChildProcess();

    pid_t pid() const { return m_pid; }
    bool is_running();
    // Sends SIGTERM, waits up to `grace`, then SIGKILL. Returns the wait status, or -1
    // when there was nothing to stop.
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(3));
    std::string describe_exit() const;

private:
    pid_t m_pid = -1;
    int m_status = -1;
};

// One client run from posix_spawn to the end of waitpid, with its output drained.
struct TimedRun {
    double ms = 0;
    int wait_status = -1;
    bool timed_out = false;
    std::string out;
    std::string err;

    bool succeeded() const;
    std::string describe_failure() const;
};

TimedRun run_timed(const CommandLine& command, std::string_view stdin_data, const std::string& cwd,
                   std::chrono::milliseconds limit);

// "exited with 3", "killed by signal 9".
std::string describe_wait_status(int status);

} // namespace credd::bench
