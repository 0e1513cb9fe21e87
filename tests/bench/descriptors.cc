// Pipes, full writes and Unix-socket connects for the benchmark.
#include "descriptors.hh"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "full_write.hh"

namespace credd::bench {

namespace {

std::runtime_error system_error(const std::string& what) {
    return std::runtime_error(what + ": " + std::strerror(errno));
}

} // namespace

std::pair<UniqueFd, UniqueFd> make_pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        throw system_error("pipe");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void write_all(int fd, std::string_view bytes) {
    if (auto written = credd::write_all(fd, bytes); !written) {
        throw std::runtime_error(written.error().message);
    }
}

UniqueFd connect_unix(const std::string& path) {
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
        throw std::runtime_error(path + ": socket path too long");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.is_open())
        throw system_error("socket");
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0)
        throw system_error(path + ": connect");
    return fd;
}

} // namespace credd::bench
