// NotifySocket: a test's own NOTIFY_SOCKET, receiving what credd tells the service manager.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "unique_fd.hh"

namespace credd::test {

// A datagram Unix socket bound at `path`, as systemd's notify socket is. Owned by the
// test; the file goes with the test's TempDir.
class NotifySocket {
public:
    explicit NotifySocket(std::string path);

    const std::string& path() const { return m_path; }
    // The next datagram, or nullopt if none arrives before the deadline.
    std::optional<std::string> receive(std::chrono::milliseconds deadline);
    // Datagrams until one contains `assignment` (e.g. "READY=1"); everything received on
    // the way, or nullopt past the deadline.
    std::optional<std::string> wait_for(const std::string& assignment,
                                        std::chrono::milliseconds deadline);

private:
    std::string m_path;
    UniqueFd m_fd;
};

} // namespace credd::test
