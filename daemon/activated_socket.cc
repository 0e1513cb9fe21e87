// take_activated_socket: checking what systemd passed before the Listener serves it.
//
// LISTEN_PID/LISTEN_FDS (sd_listen_fds(3)) are read here directly: the protocol is two
// environment variables and fds from 3 up, and libsystemd would bring six more libraries
// and about 1 MiB of resident memory for it.
#include "activated_socket.hh"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace credd {

namespace {

const char* const unit_hint = "check ListenStream= in credd.socket (one path, a stream socket)";

Error activation_error(const std::string& why) {
    return make_error(Errc::invalid_params, "socket activation: " + why, unit_hint);
}

constexpr int first_passed_fd = 3; // SD_LISTEN_FDS_START

std::optional<long> parse_number(const char* text) {
    if (text == nullptr) {
        return std::nullopt;
    }
    const std::string_view s(text);
    long value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < 0) {
        return std::nullopt;
    }
    return value;
}

// How many fds were passed to this process: 0 when none (or they were meant for another
// pid), else the count, each made close-on-exec; the variables are unset either way.
Result<int> listen_fds() {
    const char* const pid_text = std::getenv("LISTEN_PID");
    const char* const fds_text = std::getenv("LISTEN_FDS");
    const auto pid = parse_number(pid_text);
    const auto fds = parse_number(fds_text);
    Result<int> count = 0;
    if (pid_text == nullptr) {
        count = 0;
    } else if (!pid) {
        count = activation_error("LISTEN_PID is not a process id");
    } else if (*pid != ::getpid()) {
        count = 0;
    } else if (!fds || *fds > 1024) {
        count = activation_error("LISTEN_FDS is not a count of fds");
    } else {
        const int n = static_cast<int>(*fds);
        count = n;
        for (int fd = first_passed_fd; fd < first_passed_fd + n; ++fd) {
            const int flags = ::fcntl(fd, F_GETFD);
            if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
                count =
                    activation_error("fd " + std::to_string(fd) + " was announced but is not open");
                break;
            }
        }
    }
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return count;
}

bool is_listening_unix_stream(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        return false;
    }
    int type = 0;
    int listening = 0;
    socklen_t size = sizeof type;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0 || type != SOCK_STREAM) {
        return false;
    }
    size = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening) {
        return false;
    }
    int domain = 0;
    size = sizeof domain;
    return ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0 && domain == AF_UNIX;
}

} // namespace

Result<std::optional<ActivatedSocket>> take_activated_socket() {
    const auto passed = listen_fds();
    if (!passed) {
        return passed.error();
    }
    const int count = *passed;
    if (count == 0) {
        return std::optional<ActivatedSocket>();
    }
    if (count > 1) {
        return activation_error(std::to_string(count) + " sockets passed; credd serves one");
    }
    const int fd = first_passed_fd;
    if (!is_listening_unix_stream(fd)) {
        return activation_error("fd " + std::to_string(fd) +
                                " is not a listening Unix stream socket");
    }
    sockaddr_un addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return activation_error(std::string("getsockname: ") + std::strerror(errno));
    }
    const std::size_t path_len =
        len > offsetof(sockaddr_un, sun_path)
            ? ::strnlen(addr.sun_path, len - offsetof(sockaddr_un, sun_path))
            : 0;
    // An abstract or unnamed socket has no directory whose mode protects it.
    if (path_len == 0) {
        return activation_error("the socket is not bound to a path");
    }
    // listen_fds set FD_CLOEXEC already; the Listener needs it non-blocking.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return std::optional<ActivatedSocket>(
        ActivatedSocket{fd, std::string(addr.sun_path, path_len)});
}

} // namespace credd
