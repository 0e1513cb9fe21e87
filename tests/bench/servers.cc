// Starting the servers under test and knowing when they serve.
#include "servers.hh"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "descriptors.hh"

namespace credd::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto ready_limit = std::chrono::seconds(10);

enum class Readiness { ready, closed, timed_out };

// Reads from `fd` until `expected` arrives, the writer closes it, or the deadline passes.
Readiness wait_for(int fd, std::string_view expected, std::string& seen) {
    const auto deadline = Clock::now() + ready_limit;
    while (seen.find(expected) == std::string::npos) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0)
            return Readiness::timed_out;
        pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(left.count()) + 1) <= 0)
            continue;
        char buf[256];
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR))
            return Readiness::closed;
        if (n > 0)
            seen.append(buf, static_cast<std::size_t>(n));
    }
    return Readiness::ready;
}

UniqueFd open_log(const std::string& path) {
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.is_open())
        throw std::runtime_error(path + ": open: " + std::strerror(errno));
    return fd;
}

// Starts `argv`, hands it the write end of a pipe as `ready_target` (stdout when 1), and
// waits for `ready_text` on it.
Server start_and_wait(std::vector<std::string> argv, const Sandbox& sandbox, int ready_target,
                      std::string_view ready_text, const std::string& log_path) {
    const CommandLine command(std::move(argv), sandbox.env());
    auto [ready_read, ready_write] = make_pipe();
    UniqueFd log = open_log(log_path);
    ChildIo io{sandbox.root(), -1, log.get(), log.get(), {}};
    if (ready_target == 1)
        io.stdout_fd = ready_write.get();
    else
        io.extra.push_back({ready_write.get(), ready_target});

    Server server{ChildProcess(spawn_child(command, io)), "", log_path};
    ready_write.reset();
    std::string seen;
    const Readiness readiness = wait_for(ready_read.get(), ready_text, seen);
    if (readiness != Readiness::ready) {
        std::string why =
            readiness == Readiness::timed_out ? "not ready within 10 s" : "gave up before ready";
        server.process.stop();
        why += " (" + server.process.describe_exit() + ")";
        if (!seen.empty())
            why += "; it said: " + seen.substr(0, seen.find('\n'));
        throw std::runtime_error(command.text() + ": " + why + "\n" + log_tail(log_path));
    }
    return server;
}

} // namespace

Server start_credd(const std::string& credd_path, const Sandbox& sandbox) {
    const std::string socket = sandbox.path("run/credd/socket");
    // The ready pipe becomes fd 3 in credd; --ready-fd names it.
    Server server =
        start_and_wait({credd_path, "--socket", socket, "--data-dir", sandbox.path("data/credd"),
                        "--key-store", "file", "--key-file", sandbox.path("config/credd/key"),
                        "--ready-fd", "3", "--log-level", "info"},
                       sandbox, 3, "READY\n", sandbox.path("credd.log"));
    server.socket_path = socket;
    return server;
}

Server start_git_cache_daemon(const std::string& git_path, const Sandbox& sandbox) {
    // git creates the socket directory 0700 itself and refuses an existing loose one.
    const std::string socket = sandbox.path("git/socket");
    Server server = start_and_wait({git_path, "credential-cache--daemon", "--debug", socket},
                                   sandbox, 1, "ok\n", sandbox.path("git-daemon.log"));
    server.socket_path = socket;
    return server;
}

Server start_echo_server(const std::string& echo_path, const Sandbox& sandbox) {
    const std::string socket = sandbox.path("echo.sock");
    Server server =
        start_and_wait({echo_path, socket}, sandbox, 1, "ready\n", sandbox.path("echo.log"));
    server.socket_path = socket;
    return server;
}

std::string log_tail(const std::string& path, int lines) {
    std::ifstream in(path);
    std::vector<std::string> all;
    for (std::string line; std::getline(in, line);)
        all.push_back(line);
    std::ostringstream tail;
    const std::size_t from = all.size() > static_cast<std::size_t>(lines) ? all.size() - lines : 0;
    for (std::size_t i = from; i < all.size(); ++i)
        tail << "  | " << all[i] << "\n";
    return tail.str();
}

} // namespace credd::bench
