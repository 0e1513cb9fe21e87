// ChildProcess: fork/exec with fd mapping, identity and limits, and pidfd-based waiting.
#include "child_process.hh"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace credd::test {

namespace {

// Above any fd a test maps into a child, so moving sources there cannot clobber a target.
constexpr int high_fd_floor = 256;

// Runs in the child between fork and exec: only async-signal-safe calls from here on.
[[noreturn]] void fail_child(int error_fd, int error) {
    [[maybe_unused]] auto n = ::write(error_fd, &error, sizeof error);
    ::_exit(127);
}

int map_fds(const std::vector<FdMapping>& fds, int error_fd) {
    int high[16];
    const std::size_t count = fds.size() < 16 ? fds.size() : 16;
    int error_high = ::fcntl(error_fd, F_DUPFD_CLOEXEC, high_fd_floor);
    if (error_high < 0) {
        fail_child(error_fd, errno);
    }
    int max_target = 2;
    for (std::size_t i = 0; i < count; ++i) {
        high[i] = ::fcntl(fds[i].parent_fd, F_DUPFD_CLOEXEC, high_fd_floor);
        if (high[i] < 0) {
            fail_child(error_high, errno);
        }
        max_target = fds[i].child_fd > max_target ? fds[i].child_fd : max_target;
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (::dup2(high[i], fds[i].child_fd) < 0) {
            fail_child(error_high, errno);
        }
    }
    // The child gets exactly the fds it was given: a stray inherited fd would skew the
    // daemon's fd accounting (EMFILE tests) and could keep a test's pipe open.
    ::close_range(static_cast<unsigned>(max_target + 1), static_cast<unsigned>(error_high - 1), 0);
    ::close_range(static_cast<unsigned>(error_high + 1), ~0U, 0);
    return error_high;
}

void apply_limits(const ChildLimits& limits, int error_fd) {
    if (limits.max_open_files) {
        rlimit rl{*limits.max_open_files, *limits.max_open_files};
        if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            fail_child(error_fd, errno);
        }
    }
    if (limits.gid) {
        if (::setgroups(0, nullptr) != 0 ||
            ::setresgid(*limits.gid, *limits.gid, *limits.gid) != 0) {
            fail_child(error_fd, errno);
        }
    }
    if (limits.uid && ::setresuid(*limits.uid, *limits.uid, *limits.uid) != 0) {
        fail_child(error_fd, errno);
    }
}

void reset_signals() {
    // The test ignores SIGPIPE (it writes to pipes of children that may have exited);
    // an ignored signal stays ignored across exec, so give the child the default back.
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

ExitStatus status_from(int wstatus) {
    ExitStatus s;
    if (WIFEXITED(wstatus)) {
        s.exit_code = WEXITSTATUS(wstatus);
    } else if (WIFSIGNALED(wstatus)) {
        s.signal = WTERMSIG(wstatus);
    }
    return s;
}

} // namespace

std::string ExitStatus::describe() const {
    if (timed_out) {
        return "timed out (killed)";
    }
    if (signal != 0) {
        return "signal " + std::to_string(signal) + " (" + ::strsignal(signal) + ")";
    }
    return "exit " + std::to_string(exit_code);
}

std::vector<std::string> make_environment(const std::vector<EnvVar>& overrides) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        bool overridden = false;
        for (const auto& o : overrides) {
            overridden = overridden || o.name == name;
        }
        if (!overridden) {
            env.push_back(std::move(entry));
        }
    }
    // Later overrides of the same name win, so callers can append to a base set.
    for (std::size_t i = 0; i < overrides.size(); ++i) {
        bool superseded = false;
        for (std::size_t j = i + 1; j < overrides.size(); ++j) {
            superseded = superseded || overrides[j].name == overrides[i].name;
        }
        if (overrides[i].value && !superseded) {
            env.push_back(overrides[i].name + "=" + *overrides[i].value);
        }
    }
    return env;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
        return 0;
    }
    return left > INT_MAX ? INT_MAX : static_cast<int>(left);
}

ChildProcess::ChildProcess(const SpawnSpec& spec) {
    // Everything the child needs is built before fork: after it, only syscalls.
    std::vector<std::string> env = make_environment(spec.env);
    std::vector<char*> argv;
    for (const auto& a : spec.argv) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    if (spec.argv.empty() || spec.fds.size() > 16) {
        m_spawn_error = "spawn: empty argv or more than 16 fds";
        return;
    }
    start(
        spec.limits, [&] { ::execve(argv[0], argv.data(), envp.data()); }, spec.fds);
    if (!m_spawn_error.empty()) {
        m_spawn_error = spec.argv[0] + ": " + m_spawn_error;
    }
}

ChildProcess::ChildProcess(const ChildLimits& limits, const std::function<int()>& body) {
    start(limits,
          [&] {
              int rc = 125;
              try {
                  rc = body();
              } catch (...) {
              }
              ::_exit(rc);
          },
          {});
}

void ChildProcess::start(const ChildLimits& limits, const std::function<void()>& exec_or_body,
                         const std::vector<FdMapping>& fds) {
    std::signal(SIGPIPE, SIG_IGN);
    int error_pipe[2];
    if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
        m_spawn_error = std::string("pipe: ") + std::strerror(errno);
        return;
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        m_spawn_error = std::string("fork: ") + std::strerror(errno);
        ::close(error_pipe[0]);
        ::close(error_pipe[1]);
        return;
    }
    if (pid == 0) {
        ::close(error_pipe[0]);
        reset_signals();
        int error_fd = error_pipe[1];
        if (!fds.empty()) {
            error_fd = map_fds(fds, error_fd);
        }
        apply_limits(limits, error_fd);
        if (fds.empty()) {
            ::close(error_fd); // a body never execs: tell the parent it is running
        }
        exec_or_body();
        fail_child(error_fd, errno);
    }
    ::close(error_pipe[1]);
    int child_errno = 0;
    ssize_t n;
    do {
        n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    ::close(error_pipe[0]);
    m_pid = pid;
    if (n == static_cast<ssize_t>(sizeof child_errno)) {
        int wstatus = 0;
        ::waitpid(pid, &wstatus, 0);
        m_pid = -1;
        m_spawn_error = std::string("start: ") + std::strerror(child_errno);
        return;
    }
    m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (m_pidfd < 0) {
        m_spawn_error = std::string("pidfd_open: ") + std::strerror(errno);
        ::kill(pid, SIGKILL);
        int wstatus = 0;
        ::waitpid(pid, &wstatus, 0);
        m_pid = -1;
    }
}

ChildProcess::~ChildProcess() {
    if (m_pid > 0 && !m_status) {
        ::kill(m_pid, SIGKILL);
        int wstatus = 0;
        ::waitpid(m_pid, &wstatus, 0);
    }
    if (m_pidfd >= 0) {
        ::close(m_pidfd);
    }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)), m_pidfd(std::exchange(other.m_pidfd, -1)),
      m_status(std::exchange(other.m_status, std::nullopt)),
      m_spawn_error(std::move(other.m_spawn_error)) {}

void ChildProcess::send_signal(int sig) const {
    if (m_pid > 0 && !m_status) {
        ::kill(m_pid, sig);
    }
}

std::optional<ExitStatus> ChildProcess::try_reap() {
    if (m_status || m_pid <= 0) {
        return m_status;
    }
    int wstatus = 0;
    pid_t r;
    do {
        r = ::waitpid(m_pid, &wstatus, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == m_pid) {
        m_status = status_from(wstatus);
    }
    return m_status;
}

ExitStatus ChildProcess::wait(std::chrono::milliseconds deadline) {
    if (m_pid <= 0) {
        return ExitStatus{};
    }
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (!try_reap()) {
        pollfd p{m_pidfd, POLLIN, 0};
        const int left = remaining_ms(until);
        if (left == 0) {
            ::kill(m_pid, SIGKILL);
            int wstatus = 0;
            ::waitpid(m_pid, &wstatus, 0);
            m_status = status_from(wstatus);
            m_status->timed_out = true;
            break;
        }
        ::poll(&p, 1, left);
    }
    return *m_status;
}

} // namespace credd::test
