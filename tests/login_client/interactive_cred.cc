// InteractiveCred: spawn cred with three pipes and read its output without blocking.
#include "interactive_cred.hh"

#include <cerrno>
#include <utility>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace credd::test {

using Clock = std::chrono::steady_clock;

Pipe::Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) == 0) {
        read = fds[0];
        write = fds[1];
    }
}

Pipe::~Pipe() {
    close_read();
    close_write();
}

void Pipe::close_read() {
    if (read >= 0) {
        ::close(read);
        read = -1;
    }
}

void Pipe::close_write() {
    if (write >= 0) {
        ::close(write);
        write = -1;
    }
}

InteractiveCred::InteractiveCred(std::vector<std::string> args, std::vector<EnvVar> env) {
    SpawnSpec spec;
    spec.argv = {CRED_PATH};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = std::move(env);
    spec.fds = {{0, m_in.read}, {1, m_out.write}, {2, m_err.write}};
    m_child.emplace(spec);
    m_in.close_read();
    m_out.close_write();
    m_err.close_write();
    ::fcntl(m_out.read, F_SETFL, O_NONBLOCK);
    ::fcntl(m_err.read, F_SETFL, O_NONBLOCK);
}

bool InteractiveCred::wait_for_output(const std::function<bool(const std::string&)>& done,
                                      std::chrono::milliseconds deadline) {
    const auto end = Clock::now() + deadline;
    for (;;) {
        drain();
        if (done(out)) {
            return true;
        }
        if (Clock::now() >= end || m_eof) {
            return done(out);
        }
        pollfd fds[2] = {{m_out.read, POLLIN, 0}, {m_err.read, POLLIN, 0}};
        ::poll(fds, 2, remaining_ms(end));
    }
}

bool InteractiveCred::wait_for_text(const std::string& text, std::chrono::milliseconds deadline) {
    return wait_for_output([&](const std::string& o) { return o.find(text) != std::string::npos; },
                           deadline);
}

void InteractiveCred::type(const std::string& text) {
    EXPECT_EQ(::write(m_in.write, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

void InteractiveCred::close_stdin() {
    m_in.close_write();
}

void InteractiveCred::signal(int sig) const {
    m_child->send_signal(sig);
}

ExitStatus InteractiveCred::wait(std::chrono::milliseconds deadline) {
    const auto status = m_child->wait(deadline);
    wait_for_output([](const std::string&) { return false; }, std::chrono::seconds(2));
    return status;
}

void InteractiveCred::drain() {
    char buffer[4096];
    bool open = false;
    for (auto [fd, text] : {std::pair{m_out.read, &out}, std::pair{m_err.read, &err}}) {
        for (;;) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n > 0) {
                text->append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            open = open || (n < 0 && errno == EAGAIN);
            break;
        }
    }
    m_eof = !open;
}

} // namespace credd::test
