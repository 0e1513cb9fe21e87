// Blocking line exchange over a Unix socket, bounded by socket timeouts.
#include "line_client.hh"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace credd::bench {

namespace {

void set_timeouts(int fd) {
    const timeval ten_seconds = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &ten_seconds, sizeof ten_seconds);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &ten_seconds, sizeof ten_seconds);
}

} // namespace

LineClient::LineClient(const std::string& socket_path)
    : m_path(socket_path), m_fd(connect_unix(socket_path)) {
    set_timeouts(m_fd.get());
}

void LineClient::send(std::string_view bytes) {
    write_all(m_fd.get(), bytes);
}

std::string_view LineClient::read_line() {
    for (;;) {
        const std::size_t newline = m_buffer.find('\n', m_start);
        if (newline != std::string::npos) {
            const std::string_view line(m_buffer.data() + m_start, newline - m_start);
            m_start = newline + 1;
            return line;
        }
        if (m_start > 0) {
            m_buffer.erase(0, m_start);
            m_start = 0;
        }
        char chunk[16384];
        const ssize_t n = recv(m_fd.get(), chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            throw std::runtime_error(m_path + ": connection closed before a full line");
        if (n < 0)
            throw std::runtime_error(m_path + ": read: " + std::strerror(errno));
        m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
}

std::string LineClient::finish_and_read_all() {
    shutdown(m_fd.get(), SHUT_WR);
    std::string all = m_buffer.substr(m_start);
    m_buffer.clear();
    m_start = 0;
    for (;;) {
        char chunk[16384];
        const ssize_t n = recv(m_fd.get(), chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return all;
        if (n < 0)
            throw std::runtime_error(m_path + ": read: " + std::strerror(errno));
        all.append(chunk, static_cast<std::size_t>(n));
    }
}

} // namespace credd::bench
