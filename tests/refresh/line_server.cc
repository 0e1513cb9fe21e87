// LineServer and http_call: poll with deadlines, no sleeping.
#include "line_server.hh"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace credd::test {

namespace {

using Clock = std::chrono::steady_clock;

// Reads until `stop(buffer)` or EOF or the deadline; false on timeout or error.
template <class Stop>
bool read_until(int fd, std::string& buffer, Clock::time_point deadline, Stop stop) {
    char chunk[65536];
    while (!stop(buffer)) {
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            return true; // EOF
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    return true;
}

} // namespace

LineServer::LineServer(std::vector<std::string> argv, std::chrono::milliseconds deadline) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        m_failure = std::string("pipe: ") + std::strerror(errno);
        return;
    }
    m_stdout = fds[0];
    SpawnSpec spec{std::move(argv), {}, {{1, fds[1]}, {2, 2}}, {}};
    m_child.emplace(spec);
    ::close(fds[1]);
    if (!m_child->started()) {
        m_failure = "cannot start: " + m_child->spawn_error();
        return;
    }
    std::string out;
    const auto until = Clock::now() + deadline;
    read_until(m_stdout, out, until,
               [](const std::string& b) { return b.find('\n') != std::string::npos; });
    const auto nl = out.find('\n');
    if (nl == std::string::npos) {
        m_failure = "no ready line within the deadline; got \"" + out + '"';
        return;
    }
    boost::system::error_code ec;
    m_info = boost::json::parse(out.substr(0, nl), ec);
    if (ec || !m_info.is_object()) {
        m_failure = "ready line is not a JSON object: " + out.substr(0, nl);
        m_info = nullptr;
    }
}

LineServer::~LineServer() {
    if (m_child && m_child->started() && !m_child->has_exited()) {
        m_child->send_signal(SIGKILL);
        m_child->wait(5s);
    }
    if (m_stdout >= 0) {
        ::close(m_stdout);
    }
}

HttpAnswer http_call(const std::string& method, int port, const std::string& path,
                     const std::string& body, std::chrono::milliseconds deadline) {
    HttpAnswer a;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        a.body = std::string("connect: ") + std::strerror(errno);
        ::close(fd);
        return a;
    }
    const std::string request = method + " " + path +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Content-Type: text/plain\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        a.body = "send failed";
        ::close(fd);
        return a;
    }
    std::string in;
    const bool done =
        read_until(fd, in, Clock::now() + deadline, [](const std::string&) { return false; });
    ::close(fd);
    const auto head_end = in.find("\r\n\r\n");
    if (!done || head_end == std::string::npos || in.size() < 12) {
        a.body = "no complete answer";
        return a;
    }
    a.status = std::atoi(in.c_str() + 9);
    a.body = in.substr(head_end + 4);
    return a;
}

int port_of(const std::string& url) {
    const auto colon = url.rfind(':');
    return colon == std::string::npos ? 0 : std::atoi(url.c_str() + colon + 1);
}

} // namespace credd::test
