// NotifySocket: binding the datagram socket and receiving with deadlines.
#include "notify_socket.hh"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "child_process.hh"

namespace credd::test {

NotifySocket::NotifySocket(std::string path)
    : m_path(std::move(path)), m_fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (!m_fd.is_open() || m_path.size() >= sizeof addr.sun_path) {
        throw std::runtime_error("notify socket " + m_path + ": cannot create");
    }
    std::memcpy(addr.sun_path, m_path.c_str(), m_path.size() + 1);
    if (::bind(m_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error("notify socket " + m_path + ": bind: " + std::strerror(errno));
    }
}

std::optional<std::string> NotifySocket::receive(std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    pollfd p{m_fd.get(), POLLIN, 0};
    while (true) {
        const int ready = ::poll(&p, 1, remaining_ms(until));
        if (ready > 0) {
            break;
        }
        if (ready == 0 || errno != EINTR) {
            return std::nullopt;
        }
    }
    char buf[4096];
    const ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
        return std::nullopt;
    }
    return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<std::string> NotifySocket::wait_for(const std::string& assignment,
                                                  std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::string seen;
    while (true) {
        auto message = receive(std::chrono::milliseconds(remaining_ms(until)));
        if (!message) {
            return std::nullopt;
        }
        seen += *message + "\n";
        if (("\n" + *message + "\n").find("\n" + assignment + "\n") != std::string::npos) {
            return seen;
        }
    }
}

} // namespace credd::test
