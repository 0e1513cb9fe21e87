// UniqueFd: sole owner of one file descriptor, closed when it goes out of scope.
#pragma once

#include <cerrno>
#include <utility>

#include <unistd.h>

namespace credd {

// Owns a descriptor (socket, pipe end, file, /dev/tty); move-only. Used by the client,
// the daemon's key file, test support and the benchmark alike.
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    ~UniqueFd() { reset(); }

    UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.m_fd, -1));
        }
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;

    int get() const { return m_fd; }
    bool is_open() const { return m_fd >= 0; }
    void reset(int fd = -1) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = fd;
    }
    // Closes now and says how it went: the errno of a failed close (a write error may
    // only show up here), or 0.
    int close() {
        if (m_fd < 0) {
            return 0;
        }
        return ::close(std::exchange(m_fd, -1)) == 0 ? 0 : errno;
    }

private:
    int m_fd = -1;
};

} // namespace credd
