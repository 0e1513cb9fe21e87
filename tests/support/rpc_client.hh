// RpcClient: a raw Unix-socket client that can send anything and read lines with deadlines.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace credd::test {

using namespace std::chrono_literals;

enum class ReadStatus {
    line,    // a complete line (without its '\n') is in `line`
    closed,  // the peer closed (end of file or reset) before a complete line
    timeout, // nothing complete arrived before the deadline
    error,   // another socket error (see `error`)
};

struct ReadResult {
    ReadStatus status = ReadStatus::error;
    std::string line;
    int error = 0;
};

// Speaks to credd the way a hostile or careless peer might: arbitrary bytes, partial
// lines, never reading. Not a protocol implementation beyond `call`. Owns its fd
// (non-blocking, CLOEXEC); one per simulated connection.
class RpcClient {
public:
    explicit RpcClient(const std::string& socket_path);
    ~RpcClient();
    RpcClient(RpcClient&& other) noexcept;
    RpcClient& operator=(RpcClient&& other) = delete;
    RpcClient(const RpcClient&) = delete;
    RpcClient& operator=(const RpcClient&) = delete;

    bool connected() const { return m_fd >= 0; }
    int connect_errno() const { return m_connect_errno; }
    int fd() const { return m_fd; }

    // Writes all of `bytes`; false if the peer closed or the deadline passed first.
    bool send(std::string_view bytes, std::chrono::milliseconds deadline = 10s);
    // Writes what the socket accepts without blocking; returns how many bytes.
    std::size_t send_some(std::string_view bytes);
    ReadResult read_line(std::chrono::milliseconds deadline = 10s);
    // Reads and discards until the peer closes; true if it did before the deadline.
    bool wait_closed(std::chrono::milliseconds deadline = 10s);
    // Whether the peer has hung up, without reading anything (for a client that must
    // look as if it stopped reading). Waits up to `deadline` for it.
    bool wait_hung_up(std::chrono::milliseconds deadline);

    // Sends one request with a fresh integer id and returns the parsed response, or a
    // null value if none came (then `last_read()` says why).
    boost::json::value call(std::string_view method, const boost::json::object& params = {},
                            std::chrono::milliseconds deadline = 10s);
    const ReadResult& last_read() const { return m_last_read; }
    std::uint64_t last_id() const { return m_next_id - 1; }

    void close();

private:
    int m_fd = -1;
    int m_connect_errno = 0;
    std::string m_buffer;
    std::uint64_t m_next_id = 1;
    ReadResult m_last_read;
};

// data.code of an error response ("" for a result or a malformed response).
std::string error_code_of(const boost::json::value& response);
// The JSON-RPC error.code, or 0.
std::int64_t jsonrpc_code_of(const boost::json::value& response);
// The result member, or nullptr for an error response.
const boost::json::value* result_of(const boost::json::value& response);
// A listening Unix stream socket bound to `path` (close-on-exec), for stand-in servers;
// -1 if it cannot be made. The caller closes it.
int listen_unix(const std::string& path, int backlog);
// o[key] when it is a string, else "" (absent, null or another type).
std::string string_at(const boost::json::object& o, std::string_view key);
// Parses a line; a null value if it is not JSON.
boost::json::value parse_json(std::string_view line);

} // namespace credd::test
