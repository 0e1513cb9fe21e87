// posix_spawn with explicit descriptors, owned children, and timed client runs.
#include "child_process.hh"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "descriptors.hh"
#include "stop_signal.hh"

namespace credd::bench {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> pointers_into(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (auto& s : strings)
        pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
}

// Wraps posix_spawn_file_actions_t so every exit path destroys it.
class FileActions {
public:
    FileActions() { posix_spawn_file_actions_init(&m_actions); }
    ~FileActions() { posix_spawn_file_actions_destroy(&m_actions); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;

    void map(int source, int target) {
        if (source < 0)
            posix_spawn_file_actions_addopen(&m_actions, target, "/dev/null", O_RDWR, 0);
        else
            posix_spawn_file_actions_adddup2(&m_actions, source, target);
    }
    void chdir(const std::string& dir) {
        posix_spawn_file_actions_addchdir_np(&m_actions, dir.c_str());
    }
    const posix_spawn_file_actions_t* get() const { return &m_actions; }

private:
    posix_spawn_file_actions_t m_actions;
};

// dup2 onto itself would leave CLOEXEC set, and a source that is some other mapping's
// target would be overwritten first: move such sources out of the way.
std::vector<FdMapping> mappings_for(const ChildIo& io, std::vector<UniqueFd>& keep) {
    std::vector<FdMapping> mappings = {{io.stdin_fd, 0}, {io.stdout_fd, 1}, {io.stderr_fd, 2}};
    mappings.insert(mappings.end(), io.extra.begin(), io.extra.end());
    int highest_target = 0;
    for (const auto& m : mappings)
        highest_target = std::max(highest_target, m.target);
    for (auto& m : mappings) {
        if (m.source >= 0 && m.source <= highest_target) {
            keep.emplace_back(fcntl(m.source, F_DUPFD_CLOEXEC, highest_target + 1));
            m.source = keep.back().get();
        }
    }
    return mappings;
}

void drain_into(int fd, std::string& sink, bool& open) {
    char buf[4096];
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0)
        sink.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
        open = false;
}

} // namespace

CommandLine::CommandLine(std::vector<std::string> argv, std::vector<std::string> env)
    : m_argv(std::move(argv)), m_env(std::move(env)) {
    m_argv_ptrs = pointers_into(m_argv);
    m_env_ptrs = pointers_into(m_env);
}

std::string CommandLine::text() const {
    std::string text;
    for (const auto& arg : m_argv)
        text += (text.empty() ? "" : " ") + arg;
    return text;
}

pid_t spawn_child(const CommandLine& command, const ChildIo& io) {
    std::vector<UniqueFd> moved;
    FileActions actions;
    for (const auto& m : mappings_for(io, moved))
        actions.map(m.source, m.target);
    if (!io.cwd.empty())
        actions.chdir(io.cwd);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, command.program().c_str(), actions.get(), nullptr,
                               command.argv(), command.envp());
    if (rc != 0)
        throw std::runtime_error(command.program() + ": cannot start: " + std::strerror(rc));
    return pid;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(other.m_pid), m_status(other.m_status) {
    other.m_pid = -1;
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        stop();
        m_pid = other.m_pid;
        m_status = other.m_status;
        other.m_pid = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    stop();
}

bool ChildProcess::is_running() {
    if (m_pid <= 0)
        return false;
    int status = 0;
    if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_status = status;
        m_pid = -1;
        return false;
    }
    return true;
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
    if (!is_running())
        return m_status;
    kill(m_pid, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (Clock::now() < deadline) {
        if (!is_running())
            return m_status;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    kill(m_pid, SIGKILL);
    int status = 0;
    while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_status = status;
    m_pid = -1;
    return m_status;
}

std::string ChildProcess::describe_exit() const {
    return describe_wait_status(m_status);
}

bool TimedRun::succeeded() const {
    return !timed_out && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

std::string TimedRun::describe_failure() const {
    std::string text = timed_out ? "timed out" : describe_wait_status(wait_status);
    if (!err.empty())
        text += "; stderr: " + err.substr(0, 500);
    return text;
}

TimedRun run_timed(const CommandLine& command, std::string_view stdin_data, const std::string& cwd,
                   std::chrono::milliseconds limit) {
    // Input is written into the pipe before the clock starts: a pipe holds 64 KiB.
    auto [in_read, in_write] = make_pipe();
    write_all(in_write.get(), stdin_data);
    in_write.reset();
    auto [out_read, out_write] = make_pipe();
    auto [err_read, err_write] = make_pipe();
    ChildIo io{cwd, in_read.get(), out_write.get(), err_write.get(), {}};

    TimedRun run;
    const auto start = Clock::now();
    const pid_t pid = spawn_child(command, io);
    in_read.reset();
    out_write.reset();
    err_write.reset();

    const auto deadline = start + limit;
    bool out_open = true;
    bool err_open = true;
    while ((out_open || err_open) && !run.timed_out) {
        pollfd fds[2] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                         {err_open ? err_read.get() : -1, POLLIN, 0}};
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || stop_requested()) {
            run.timed_out = true;
            break;
        }
        if (poll(fds, 2, static_cast<int>(left.count()) + 1) < 0)
            continue;
        if (fds[0].revents != 0)
            drain_into(out_read.get(), run.out, out_open);
        if (fds[1].revents != 0)
            drain_into(err_read.get(), run.err, err_open);
    }
    if (run.timed_out)
        kill(pid, SIGKILL);
    while (waitpid(pid, &run.wait_status, 0) < 0 && errno == EINTR) {
    }
    run.ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    return run;
}

std::string describe_wait_status(int status) {
    if (status == -1)
        return "not started";
    if (WIFEXITED(status))
        return "exited with " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        return std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
               strsignal(WTERMSIG(status)) + ")";
    return "wait status " + std::to_string(status);
}

} // namespace credd::bench
