// RpcClient: non-blocking Unix-socket I/O driven by poll with deadlines.
#include "rpc_client.hh"

#include <cerrno>
#include <cstring>
#include <utility>

#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "child_process.hh"
#include "protocol.hh"

namespace credd::test {

namespace json = boost::json;

namespace {

std::chrono::steady_clock::time_point deadline_from(std::chrono::milliseconds d) {
    return std::chrono::steady_clock::now() + d;
}

} // namespace

RpcClient::RpcClient(const std::string& socket_path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) {
        m_connect_errno = ENAMETOOLONG;
        return;
    }
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        m_connect_errno = errno;
        return;
    }
    // A Unix-socket connect completes at once, fails, or waits for room in the listen
    // backlog; SO_SNDTIMEO bounds that wait so a daemon that stopped accepting fails the
    // test instead of hanging it.
    timeval connect_timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &connect_timeout, sizeof connect_timeout);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        m_connect_errno = errno;
        ::close(fd);
        return;
    }
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
    m_fd = fd;
}

RpcClient::~RpcClient() {
    close();
}

RpcClient::RpcClient(RpcClient&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_connect_errno(other.m_connect_errno),
      m_buffer(std::move(other.m_buffer)), m_next_id(other.m_next_id),
      m_last_read(std::move(other.m_last_read)) {}

void RpcClient::close() {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

std::size_t RpcClient::send_some(std::string_view bytes) {
    std::size_t sent = 0;
    while (m_fd >= 0 && sent < bytes.size()) {
        const ssize_t n = ::send(m_fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EINTR) {
            break;
        }
    }
    return sent;
}

bool RpcClient::send(std::string_view bytes, std::chrono::milliseconds deadline) {
    const auto until = deadline_from(deadline);
    while (m_fd >= 0 && !bytes.empty()) {
        const ssize_t n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n > 0) {
            bytes.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno != EAGAIN) {
            return false; // EPIPE, ECONNRESET: the peer is gone
        }
        pollfd p{m_fd, POLLOUT, 0};
        const int left = remaining_ms(until);
        if (left == 0 || ::poll(&p, 1, left) <= 0) {
            return false;
        }
    }
    return m_fd >= 0;
}

ReadResult RpcClient::read_line(std::chrono::milliseconds deadline) {
    const auto until = deadline_from(deadline);
    ReadResult r;
    for (;;) {
        if (const auto nl = m_buffer.find('\n'); nl != std::string::npos) {
            r.status = ReadStatus::line;
            r.line = m_buffer.substr(0, nl);
            m_buffer.erase(0, nl + 1);
            return r;
        }
        if (m_fd < 0) {
            r.status = ReadStatus::closed;
            return r;
        }
        char buf[65536];
        const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n > 0) {
            m_buffer.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
            r.status = ReadStatus::closed;
            return r;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            r.status = ReadStatus::error;
            r.error = errno;
            return r;
        }
        pollfd p{m_fd, POLLIN, 0};
        const int left = remaining_ms(until);
        if (left == 0 || ::poll(&p, 1, left) == 0) {
            r.status = ReadStatus::timeout;
            return r;
        }
    }
}

bool RpcClient::wait_closed(std::chrono::milliseconds deadline) {
    const auto until = deadline_from(deadline);
    for (;;) {
        const auto r = read_line(std::chrono::milliseconds(remaining_ms(until)));
        if (r.status == ReadStatus::closed) {
            return true;
        }
        if (r.status != ReadStatus::line) {
            return false;
        }
    }
}

bool RpcClient::wait_hung_up(std::chrono::milliseconds deadline) {
    if (m_fd < 0) {
        return false;
    }
    pollfd p{m_fd, POLLRDHUP, 0};
    const int n = ::poll(&p, 1, static_cast<int>(deadline.count()));
    return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

json::value RpcClient::call(std::string_view method, const json::object& params,
                            std::chrono::milliseconds deadline) {
    const auto until = deadline_from(deadline);
    const std::string line = protocol::make_request_line(m_next_id++, method, params);
    if (!send(line, deadline)) {
        m_last_read = ReadResult{ReadStatus::closed, {}, 0};
        return nullptr;
    }
    m_last_read = read_line(std::chrono::milliseconds(remaining_ms(until)));
    if (m_last_read.status != ReadStatus::line) {
        return nullptr;
    }
    return parse_json(m_last_read.line);
}

std::string error_code_of(const json::value& response) {
    const auto* obj = response.if_object();
    const auto* err = obj ? obj->if_contains("error") : nullptr;
    const auto* eo = err ? err->if_object() : nullptr;
    const auto* data = eo ? eo->if_contains("data") : nullptr;
    const auto* dobj = data ? data->if_object() : nullptr;
    const auto* code = dobj ? dobj->if_contains("code") : nullptr;
    return code && code->is_string() ? std::string(code->get_string()) : std::string();
}

std::int64_t jsonrpc_code_of(const json::value& response) {
    const auto* obj = response.if_object();
    const auto* err = obj ? obj->if_contains("error") : nullptr;
    const auto* eo = err ? err->if_object() : nullptr;
    const auto* code = eo ? eo->if_contains("code") : nullptr;
    return code && code->is_int64() ? code->get_int64() : 0;
}

const json::value* result_of(const json::value& response) {
    const auto* obj = response.if_object();
    return obj ? obj->if_contains("result") : nullptr;
}

json::value parse_json(std::string_view line) {
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    if (ec) {
        return nullptr;
    }
    return v;
}

std::string string_at(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string{};
}

int listen_unix(const std::string& path, int backlog) {
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) {
        return -1;
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    address.sun_family = AF_UNIX;
    path.copy(address.sun_path, sizeof address.sun_path - 1);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, backlog) != 0) {
        if (fd >= 0) {
            ::close(fd);
        }
        return -1;
    }
    return fd;
}

} // namespace credd::test
