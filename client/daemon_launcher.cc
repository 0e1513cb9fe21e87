// Daemon autostart: locating credd, spawning it detached, waiting for readiness.
#include "daemon_launcher.hh"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deadline.hh"
#include "paths.hh"
#include "unique_fd.hh"

extern char** environ;

namespace credd {

namespace {

constexpr int ready_fd = 3;

bool is_executable(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

// The daemon runs in "/", so a relative socket or binary path (--socket ./s,
// CREDD_DAEMON=build/credd) must be resolved against our directory first.
std::string absolute(const std::string& path) {
    if (path.empty() || path.front() == '/') {
        return path;
    }
    std::array<char, 4096> cwd{};
    if (!::getcwd(cwd.data(), cwd.size())) {
        return path;
    }
    return std::string(cwd.data()) + "/" + path;
}

std::string beside_this_executable() {
    std::array<char, 4096> exe{};
    const ssize_t n = ::readlink("/proc/self/exe", exe.data(), exe.size() - 1);
    if (n <= 0) {
        return {};
    }
    return paths::parent_of(std::string(exe.data(), static_cast<std::size_t>(n))) + "/credd";
}

std::string on_path() {
    const char* path = std::getenv("PATH");
    std::string_view rest = path ? path : "";
    while (!rest.empty()) {
        const std::string_view dir = rest.substr(0, rest.find(':'));
        rest.remove_prefix(std::min(rest.size(), dir.size() + 1));
        // Only absolute entries: an empty or relative one would run whatever `credd`
        // sits in the current directory.
        if (!dir.empty() && dir.front() == '/') {
            std::string candidate = std::string(dir) + "/credd";
            if (is_executable(candidate)) {
                return candidate;
            }
        }
    }
    return {};
}

Error start_failed(std::string why, std::string hint = "start it with: credd") {
    return make_error(Errc::daemon_unreachable, std::move(why), std::move(hint));
}

// The child's file actions: fd 3 the pipe's write end, 0-2 /dev/null, nothing else.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;

    explicit SpawnSetup(int ready_write_fd) {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attributes);
        // dup2 first: if cred was started with 0-2 closed, the pipe may sit there.
        posix_spawn_file_actions_adddup2(&actions, ready_write_fd, ready_fd);
        // Why /dev/null: a daemon holding our stdout open would keep `$(cred token x)`
        // and every pipe reading cred's output waiting for an EOF that never comes.
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        // Descriptors our caller leaked to us (a test harness's pipe, a jobserver) would
        // otherwise live as long as the daemon does.
        posix_spawn_file_actions_addclosefrom_np(&actions, ready_fd + 1);
        // Not pinning the directory cred happened to run in (it could not be unmounted).
        posix_spawn_file_actions_addchdir_np(&actions, "/");
        configure_signals();
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attributes);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;

private:
    void configure_signals() {
        // A new session: the terminal's hangup and Ctrl-C are not the daemon's business.
        // Default dispositions and an empty mask: started from a shell that ignores
        // SIGTERM (nohup, a background job), the daemon would otherwise inherit that and
        // could not be stopped cleanly.
        sigset_t none, reset;
        sigemptyset(&none);
        sigemptyset(&reset);
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD}) {
            sigaddset(&reset, sig);
        }
        posix_spawnattr_setsigmask(&attributes, &none);
        posix_spawnattr_setsigdefault(&attributes, &reset);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                                  POSIX_SPAWN_SETSIGDEF);
    }
};

// Reads the daemon's one status line from the pipe, until '\n', EOF or the deadline.
std::string read_status_line(int fd, Deadline deadline) {
    std::string line;
    std::array<char, 512> chunk{};
    pollfd p{fd, POLLIN, 0};
    while (line.find('\n') == std::string::npos && line.size() < 4096) {
        const int n = ::poll(&p, 1, deadline.remaining_ms());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        const ssize_t got = ::read(fd, chunk.data(), chunk.size());
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        line.append(chunk.data(), static_cast<std::size_t>(got));
    }
    return line.substr(0, line.find('\n'));
}

Result<void> interpret_status(const std::string& line, pid_t pid, const LaunchRequest& request) {
    if (line == "READY") {
        return {};
    }
    if (line.starts_with("ERROR ")) {
        return start_failed(line.substr(6), "run credd in a terminal to see why");
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
        const std::string how = WIFEXITED(status)
                                    ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                    : "was killed by signal " + std::to_string(WTERMSIG(status));
        return start_failed(request.daemon_path + " " + how + " before it was ready",
                            "run credd in a terminal to see why");
    }
    return start_failed(request.daemon_path + " did not report ready within " +
                        std::to_string(request.ready_timeout.count()) + " ms");
}

} // namespace

Result<std::string> find_daemon() {
    if (const char* configured = std::getenv("CREDD_DAEMON"); configured && *configured) {
        return std::string(configured);
    }
    if (std::string beside = beside_this_executable(); !beside.empty() && is_executable(beside)) {
        return beside;
    }
    if (std::string found = on_path(); !found.empty()) {
        return found;
    }
    return start_failed("credd is neither beside cred nor on PATH",
                        "install credd, or set CREDD_DAEMON to its path");
}

Result<void> launch_daemon(const LaunchRequest& request) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return start_failed(std::string("pipe: ") + std::strerror(errno));
    }
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    const std::string fd_text = std::to_string(ready_fd);
    const std::string daemon = absolute(request.daemon_path);
    const std::string socket = absolute(request.socket_path);
    const char* argv[] = {"credd",      "--socket",      socket.c_str(),
                          "--ready-fd", fd_text.c_str(), nullptr};
    pid_t pid = 0;
    int rc = 0;
    {
        SpawnSetup setup(write_end.get());
        rc = ::posix_spawn(&pid, daemon.c_str(), &setup.actions, &setup.attributes,
                           const_cast<char* const*>(argv), environ);
    }
    // Our copy of the write end must go, or EOF never arrives if the daemon dies.
    write_end.reset();
    if (rc != 0) {
        return start_failed("cannot run " + request.daemon_path + ": " + std::strerror(rc),
                            "install credd, or set CREDD_DAEMON to its path");
    }
    const std::string line =
        read_status_line(read_end.get(), Deadline::after(request.ready_timeout));
    return interpret_status(line, pid, request);
}

} // namespace credd
