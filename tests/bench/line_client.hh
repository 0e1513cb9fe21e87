// A blocking client for one Unix-socket connection that exchanges lines: set-up requests,
// round-trip timing and pipelined adds. Every read and write has a 10 s deadline.
#pragma once

#include <string>
#include <string_view>

#include "descriptors.hh"

namespace credd::bench {

class LineClient {
public:
    // Connects; throws std::runtime_error on failure.
    explicit LineClient(const std::string& socket_path);

    void send(std::string_view bytes);
    // The next line, without its '\n'; valid until the next call. Throws on EOF or timeout.
    std::string_view read_line();
    // Half-closes, then reads everything up to EOF (git's credential-cache protocol).
    std::string finish_and_read_all();

private:
    std::string m_path;
    UniqueFd m_fd;
    std::string m_buffer;
    std::size_t m_start = 0;
};

} // namespace credd::bench
