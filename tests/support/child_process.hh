// ChildProcess: one forked child of a test, watched through a pidfd so waits have deadlines.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/types.h>

namespace credd::test {

using namespace std::chrono_literals;

// How a child ended. `timed_out` means the test's deadline passed and it was killed.
struct ExitStatus {
    int exit_code = -1; // -1 when killed by a signal or never started
    int signal = 0;
    bool timed_out = false;

    bool exited_with(int code) const { return !timed_out && signal == 0 && exit_code == code; }
    // "exit 3", "signal 9", "timed out (killed)".
    std::string describe() const;
};

// A variable to set (value) or remove (nullopt) in the child's environment.
struct EnvVar {
    std::string name;
    std::optional<std::string> value;
};

// Who the child runs as and what it may use; applied after fork, before exec or body.
struct ChildLimits {
    std::optional<uid_t> uid; // switches gid (if given) first, then uid, and drops groups
    std::optional<gid_t> gid;
    std::optional<rlim_t> max_open_files; // RLIMIT_NOFILE, soft and hard
};

// An fd of the parent that the child sees as `child_fd`. Every other fd is closed.
struct FdMapping {
    int child_fd;
    int parent_fd;
};

struct SpawnSpec {
    std::vector<std::string> argv; // argv[0] is the path executed
    std::vector<EnvVar> env;       // applied over the test's own environment
    std::vector<FdMapping> fds;
    ChildLimits limits;
};

// Owns a child: waits on it with deadlines (pidfd + poll, no sleeping), and kills and
// reaps it on destruction if the test did not. Move-only; owned by whoever started it.
class ChildProcess {
public:
    // fork + exec `spec.argv`. Check started(): an exec failure is reported, not thrown.
    explicit ChildProcess(const SpawnSpec& spec);
    // fork, apply `limits`, and exit with what `body` returns. The body runs in a copy of
    // the test process: it must not use gtest assertions (they would be lost).
    ChildProcess(const ChildLimits& limits, const std::function<int()>& body);
    ~ChildProcess();
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    bool started() const { return m_pid > 0; }
    const std::string& spawn_error() const { return m_spawn_error; }
    pid_t pid() const { return m_pid; }
    // Readable once the child has exited: for poll() loops that also read its pipes.
    int pidfd() const { return m_pidfd; }

    void send_signal(int sig) const;
    // The exit status if the child has exited (reaping it), else nullopt. Never blocks.
    std::optional<ExitStatus> try_reap();
    // Waits up to `deadline` for the child to exit; past it, SIGKILLs it and says so.
    ExitStatus wait(std::chrono::milliseconds deadline);
    bool has_exited() const { return m_status.has_value(); }

private:
    void start(const ChildLimits& limits, const std::function<void()>& exec_or_body,
               const std::vector<FdMapping>& fds);

    pid_t m_pid = -1;
    int m_pidfd = -1;
    std::optional<ExitStatus> m_status;
    std::string m_spawn_error;
};

// The test's environment with `overrides` applied (the last of one name wins), as
// NAME=VALUE strings.
std::vector<std::string> make_environment(const std::vector<EnvVar>& overrides);

// Milliseconds left until `deadline`, clamped to [0, INT_MAX] for poll().
int remaining_ms(std::chrono::steady_clock::time_point deadline);

} // namespace credd::test
