// Connection: one client connection to the daemon's Unix socket, with deadlines.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "deadline.hh"
#include "error.hh"
#include "unique_fd.hh"

namespace credd {

// Owns the socket and the buffer answers are read into (wiped on destruction: an
// answer may carry a token). Non-blocking underneath, so every wait is a poll(2)
// against the caller's Deadline and a silent daemon cannot hang cred.
class Connection {
public:
    // errno-level failure (ENOENT, ECONNREFUSED, …) so the caller can tell "nobody is
    // listening" — worth starting the daemon — from a refusal it must not paper over.
    static boost::system::result<Connection> open(const std::string& socket_path,
                                                  Deadline deadline);

    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;
    ~Connection();

    // Sends one request line and reads the answer: the result, or the daemon's Error.
    // `line` is wiped as soon as it is sent, since it may carry a secret.
    Result<boost::json::value> exchange(std::string& line, Deadline deadline);

    // For a long exchange (cred login) where answers and notifications arrive in any
    // order: send a line (wiped once sent), then poll fd() for input and take each
    // complete line with next_line(). The view lives until the next call.
    Result<void> send(std::string& line, Deadline deadline);
    // A complete line already received, else one non-blocking read: std::nullopt when
    // no complete line is there yet; daemon_unreachable when the daemon hung up.
    Result<std::optional<std::string_view>> next_line();
    int fd() const { return m_fd.get(); }

private:
    Connection(UniqueFd fd, std::string socket_path);

    Result<void> send_line(std::string_view line, Deadline deadline);
    Result<std::string_view> read_line(Deadline deadline);
    Result<void> wait_for(short events, Deadline deadline);
    Error failure(Errc code, const std::string& what, std::string hint = {}) const;

    UniqueFd m_fd;
    std::string m_socket_path;
    std::unique_ptr<char[]> m_buffer;
    std::size_t m_used = 0;
    std::size_t m_consumed = 0; // next_line: bytes of lines already handed out
};

} // namespace credd
