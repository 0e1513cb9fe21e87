// Reading a secret from a pipe or from the terminal with echo turned off.
#include "secret_input.hh"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <iterator>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "output.hh"
#include "unique_fd.hh"
#include "utf8.hh"

namespace credd {

namespace {

Error read_failed(const char* what) {
    return make_error(Errc::io_error, std::string(what) + ": " + std::strerror(errno));
}

// Reads from `fd` into `buffer` until EOF or, with `stop_at_newline`, a '\n'.
// The buffer is sized once up front: growing it would reallocate and leave earlier
// bytes of the secret behind in freed memory, unwiped.
Result<void> read_into(int fd, std::string& buffer, bool stop_at_newline) {
    buffer.resize(max_secret_bytes + 1);
    std::size_t used = 0;
    while (used < buffer.size()) {
        const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return read_failed("reading the token");
        }
        if (n == 0) {
            break;
        }
        const auto begin = buffer.begin() + static_cast<std::ptrdiff_t>(used);
        used += static_cast<std::size_t>(n);
        if (stop_at_newline && std::find(begin, buffer.begin() + static_cast<std::ptrdiff_t>(used),
                                         '\n') != buffer.end()) {
            break;
        }
    }
    if (used == buffer.size()) {
        return make_error(Errc::invalid_params, "token longer than 32768 bytes");
    }
    buffer.resize(used);
    return {};
}

// The terminal state to put back if a signal ends the prompt. File-scope because a
// signal handler has nowhere else to find it; plain data, so no static initialiser.
int prompt_tty_fd = -1;
termios prompt_saved_mode;

extern "C" void restore_tty_and_reraise(int sig) {
    // Why: dying on Ctrl-C with echo off would leave the user's shell typing blind.
    ::tcsetattr(prompt_tty_fd, TCSAFLUSH, &prompt_saved_mode);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

constexpr int prompt_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// Echo off for its lifetime, restored on every way out, signals included.
class EchoOff {
public:
    EchoOff(int fd, const termios& saved) : m_fd(fd) {
        prompt_tty_fd = fd;
        prompt_saved_mode = saved;
        struct sigaction action {};
        action.sa_handler = restore_tty_and_reraise;
        for (std::size_t i = 0; i < std::size(prompt_signals); ++i) {
            ::sigaction(prompt_signals[i], &action, &m_previous[i]);
        }
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK | ECHONL);
        ::tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    ~EchoOff() {
        ::tcsetattr(m_fd, TCSAFLUSH, &prompt_saved_mode);
        for (std::size_t i = 0; i < std::size(prompt_signals); ++i) {
            ::sigaction(prompt_signals[i], &m_previous[i], nullptr);
        }
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    int m_fd;
    struct sigaction m_previous[std::size(prompt_signals)]{};
};

Result<void> read_from_tty(std::string_view name, std::string& buffer) {
    // The controlling terminal rather than fd 0, as passwd(1) and ssh(1) do: it is
    // the person at the keyboard, whatever stdin was redirected from.
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    const int fd = tty.is_open() ? tty.get() : STDIN_FILENO;
    termios saved{};
    if (::tcgetattr(fd, &saved) != 0) {
        return read_failed("terminal");
    }
    const std::string prompt = "token for " + std::string(name) + ": ";
    (void)write_all(tty.is_open() ? fd : STDERR_FILENO, prompt);
    Result<void> read;
    {
        EchoOff quiet(fd, saved);
        read = read_into(fd, buffer, true);
    }
    // Enter was not echoed either; end the prompt line ourselves.
    (void)write_all(tty.is_open() ? fd : STDERR_FILENO, "\n");
    return read;
}

} // namespace

void strip_one_newline(std::string& bytes) {
    if (bytes.ends_with("\r\n")) {
        bytes.resize(bytes.size() - 2);
    } else if (bytes.ends_with('\n')) {
        bytes.pop_back();
    }
}

Result<Secret> read_secret(std::string_view name) {
    std::string buffer;
    const bool interactive = ::isatty(STDIN_FILENO) == 1;
    auto read = interactive ? read_from_tty(name, buffer) : read_into(STDIN_FILENO, buffer, false);
    strip_one_newline(buffer);
    Secret secret = Secret::adopt(buffer); // wipes `buffer`, also on the error paths
    if (!read) {
        return read.error();
    }
    if (secret.empty()) {
        return make_error(Errc::invalid_params,
                          interactive ? "no token entered" : "no token on stdin",
                          "printf %s \"$TOKEN\" | cred add " + std::string(name) + " --url URL");
    }
    if (!is_valid_utf8(secret.expose())) {
        return make_error(Errc::invalid_params, "the token is not valid UTF-8");
    }
    return secret;
}

} // namespace credd
