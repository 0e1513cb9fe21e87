// An owned file descriptor, and the few descriptor helpers the benchmark needs.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace credd::bench {

class ScopedFd {
public:
    ScopedFd() = default;
    explicit ScopedFd(int fd) : m_fd(fd) {}
    ScopedFd(ScopedFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    ScopedFd& operator=(ScopedFd&& other) noexcept {
        if (this != &other)
            reset(std::exchange(other.m_fd, -1));
        return *this;
    }
    ~ScopedFd() { reset(); }

    int get() const { return m_fd; }
    explicit operator bool() const { return m_fd >= 0; }
    void reset(int fd = -1);

private:
    int m_fd = -1;
};

// A CLOEXEC pipe: {read end, write end}. Throws std::runtime_error on failure.
std::pair<ScopedFd, ScopedFd> make_pipe();

// Writes everything or throws std::runtime_error.
void write_all(int fd, std::string_view bytes);

// Connects a CLOEXEC Unix stream socket to `path`; throws std::runtime_error on failure.
ScopedFd connect_unix(const std::string& path);

} // namespace credd::bench
