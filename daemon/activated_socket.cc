// take_activated_socket: checking what systemd passed before the Listener serves it.
#include "activated_socket.hh"

#include <cstring>

#include <systemd/sd-daemon.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

namespace credd {

namespace {

const char* const unit_hint = "check ListenStream= in credd.socket (one path, a stream socket)";

Error activation_error(const std::string& why) {
    return make_error(Errc::invalid_params, "socket activation: " + why, unit_hint);
}

} // namespace

Result<std::optional<ActivatedSocket>> take_activated_socket() {
    const int count = ::sd_listen_fds(1);
    if (count < 0) {
        return activation_error(std::string("LISTEN_FDS: ") + std::strerror(-count));
    }
    if (count == 0) {
        return std::optional<ActivatedSocket>();
    }
    if (count > 1) {
        return activation_error(std::to_string(count) + " sockets passed; credd serves one");
    }
    const int fd = SD_LISTEN_FDS_START;
    if (::sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) {
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
    // sd_listen_fds set FD_CLOEXEC already; the Listener needs it non-blocking.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return std::optional<ActivatedSocket>(
        ActivatedSocket{fd, std::string(addr.sun_path, path_len)});
}

} // namespace credd
