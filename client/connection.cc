// Connection: connect, send a line, read a line, each bounded by a deadline.
#include "connection.hh"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "protocol.hh"
#include "secret.hh"

namespace credd {

namespace {

// The answer line plus its '\n'.
constexpr std::size_t buffer_bytes = protocol::max_line_bytes + 1;

boost::system::error_code errno_code(int e) {
    return {e, boost::system::system_category()};
}

} // namespace

boost::system::result<Connection> Connection::open(const std::string& socket_path,
                                                   Deadline deadline) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof(address.sun_path)) {
        return errno_code(ENAMETOOLONG);
    }
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.is_open()) {
        return errno_code(errno);
    }
    const auto* sa = reinterpret_cast<const sockaddr*>(&address);
    while (::connect(fd.get(), sa, sizeof address) != 0) {
        // A full listen backlog gives EAGAIN on a non-blocking Unix socket: the daemon
        // is there but busy, so try again shortly rather than fail or start another.
        if (errno == EAGAIN && !deadline.has_passed()) {
            ::poll(nullptr, 0, std::min(deadline.remaining_ms(), 5));
            continue;
        }
        if (errno != EINTR) {
            return errno_code(errno);
        }
    }
    return Connection(std::move(fd), socket_path);
}

Connection::Connection(UniqueFd fd, std::string socket_path)
    : m_fd(std::move(fd)), m_socket_path(std::move(socket_path)),
      m_buffer(std::make_unique_for_overwrite<char[]>(buffer_bytes)) {}

Connection::~Connection() {
    if (m_buffer) {
        wipe(m_buffer.get(), m_used);
    }
}

Result<boost::json::value> Connection::exchange(std::string& line, Deadline deadline) {
    auto sent = send_line(line, deadline);
    wipe(line);
    if (!sent) {
        return sent.error();
    }
    auto answer = read_line(deadline);
    if (!answer) {
        return answer.error();
    }
    auto result = protocol::parse_response(*answer);
    if (!result && result.error().message.empty()) {
        result.error().message = std::string(code_name(result.error().code));
    }
    return result;
}

Result<void> Connection::send(std::string& line, Deadline deadline) {
    auto sent = send_line(line, deadline);
    wipe(line);
    return sent;
}

Result<std::optional<std::string_view>> Connection::next_line() {
    if (m_consumed > 0) {
        // Drop the lines handed out: move the rest to the front and wipe the tail.
        const std::size_t rest = m_used - m_consumed;
        std::memmove(m_buffer.get(), m_buffer.get() + m_consumed, rest);
        wipe(m_buffer.get() + rest, m_consumed);
        m_used = rest;
        m_consumed = 0;
    }
    const auto complete = [this]() -> std::optional<std::string_view> {
        char* const end = m_buffer.get() + m_used;
        char* const newline = std::find(m_buffer.get(), end, '\n');
        if (newline == end) {
            return std::nullopt;
        }
        m_consumed = static_cast<std::size_t>(newline - m_buffer.get()) + 1;
        return std::string_view(m_buffer.get(), m_consumed - 1);
    };
    if (auto line = complete()) {
        return line;
    }
    if (m_used == buffer_bytes) {
        return failure(Errc::line_too_long, "answer longer than 65536 bytes");
    }
    for (;;) {
        const ssize_t n = ::recv(m_fd.get(), m_buffer.get() + m_used, buffer_bytes - m_used, 0);
        if (n > 0) {
            m_used += static_cast<std::size_t>(n);
            return complete();
        }
        if (n == 0 || errno == ECONNRESET) {
            return failure(Errc::daemon_unreachable, "the daemon closed the connection",
                           "run credd in a terminal to see its log");
        }
        if (errno == EAGAIN) {
            return std::optional<std::string_view>{};
        }
        if (errno != EINTR) {
            return failure(Errc::io_error, std::string("recv: ") + std::strerror(errno));
        }
    }
}

Result<void> Connection::send_line(std::string_view line, Deadline deadline) {
    while (!line.empty()) {
        // MSG_NOSIGNAL: a daemon that hung up must give an error here, not a SIGPIPE
        // that kills cred without a word.
        const ssize_t n = ::send(m_fd.get(), line.data(), line.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            line.remove_prefix(static_cast<std::size_t>(n));
        } else if (errno == EAGAIN) {
            if (auto ready = wait_for(POLLOUT, deadline); !ready) {
                return ready.error();
            }
        } else if (errno == EPIPE || errno == ECONNRESET) {
            return failure(Errc::daemon_unreachable, "the daemon closed the connection");
        } else if (errno != EINTR) {
            return failure(Errc::io_error, std::string("send: ") + std::strerror(errno));
        }
    }
    return {};
}

Result<std::string_view> Connection::read_line(Deadline deadline) {
    for (;;) {
        char* const free_space = m_buffer.get() + m_used;
        const ssize_t n = ::recv(m_fd.get(), free_space, buffer_bytes - m_used, 0);
        if (n > 0) {
            m_used += static_cast<std::size_t>(n);
            char* const newline = std::find(free_space, m_buffer.get() + m_used, '\n');
            if (newline != m_buffer.get() + m_used) {
                return std::string_view(m_buffer.get(),
                                        static_cast<std::size_t>(newline - m_buffer.get()));
            }
            if (m_used == buffer_bytes) {
                return failure(Errc::line_too_long, "answer longer than 65536 bytes");
            }
        } else if (n == 0 || errno == ECONNRESET) {
            return failure(
                Errc::daemon_unreachable, "the daemon closed the connection without answering",
                "the daemon serves only its own user; run credd in a terminal to see its log");
        } else if (errno == EAGAIN) {
            if (auto ready = wait_for(POLLIN, deadline); !ready) {
                return ready.error();
            }
        } else if (errno != EINTR) {
            return failure(Errc::io_error, std::string("recv: ") + std::strerror(errno));
        }
    }
}

Result<void> Connection::wait_for(short events, Deadline deadline) {
    pollfd p{m_fd.get(), events, 0};
    for (;;) {
        const int timeout = deadline.remaining_ms();
        const int n = timeout > 0 ? ::poll(&p, 1, timeout) : 0;
        if (n > 0) {
            return {}; // ready, or an error the next send/recv will report
        }
        if (n == 0) {
            return failure(
                Errc::daemon_unreachable, "no answer in time",
                "the daemon is stuck or overloaded; run credd in a terminal to see its log");
        }
        if (errno != EINTR) {
            return failure(Errc::io_error, std::string("poll: ") + std::strerror(errno));
        }
    }
}

Error Connection::failure(Errc code, const std::string& what, std::string hint) const {
    return make_error(code, "daemon at " + m_socket_path + ": " + what, std::move(hint));
}

} // namespace credd
