// run_process and run_forked: one-shot children with captured output and deadlines.
#include "process.hh"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace credd::test {

std::string find_program(const std::string& name) {
    for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin"}) {
        const std::string p = std::string(dir) + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) {
            return p;
        }
    }
    return {};
}

namespace {

// The parent's ends of the child's stdin, stdout and stderr pipes; closes what is open.
struct Pipes {
    int in = -1;
    int out = -1;
    int err = -1;
    int child_in = -1;
    int child_out = -1;
    int child_err = -1;

    Pipes() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) == 0) {
            child_in = p[0];
            in = p[1];
        }
        if (::pipe2(p, O_CLOEXEC) == 0) {
            out = p[0];
            child_out = p[1];
        }
        if (::pipe2(p, O_CLOEXEC) == 0) {
            err = p[0];
            child_err = p[1];
        }
        for (int fd : {in, out, err}) {
            ::fcntl(fd, F_SETFL, O_NONBLOCK);
        }
    }
    ~Pipes() {
        for (int fd : {in, out, err, child_in, child_out, child_err}) {
            close_fd(fd);
        }
    }
    Pipes(const Pipes&) = delete;
    Pipes& operator=(const Pipes&) = delete;

    bool ok() const { return in >= 0 && out >= 0 && err >= 0; }
    void close_child_ends() {
        close_fd(child_in);
        close_fd(child_out);
        close_fd(child_err);
    }
    static void close_fd(int& fd) {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
    }
};

// Reads what is available now; closes the fd at end of file.
void drain(int& fd, std::string& into) {
    char buf[65536];
    while (fd >= 0) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<std::size_t>(n));
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            Pipes::close_fd(fd);
        } else if (errno == EAGAIN) {
            return;
        }
    }
}

void feed(int& fd, std::string_view& rest) {
    while (fd >= 0 && !rest.empty()) {
        const ssize_t n = ::write(fd, rest.data(), rest.size());
        if (n > 0) {
            rest.remove_prefix(static_cast<std::size_t>(n));
        } else if (errno == EAGAIN) {
            return;
        } else if (errno != EINTR) {
            Pipes::close_fd(fd); // EPIPE: the child does not read stdin
        }
    }
    Pipes::close_fd(fd);
}

} // namespace

std::string ProcessResult::describe() const {
    if (!spawn_error.empty()) {
        return "could not start: " + spawn_error;
    }
    return status.describe() + "; stderr: " + (err.empty() ? std::string("(empty)") : err);
}

ProcessResult run_process(const ProcessOptions& options) {
    ProcessResult result;
    Pipes pipes;
    if (!pipes.ok()) {
        result.spawn_error = "pipe failed";
        return result;
    }
    ChildProcess child(SpawnSpec{options.argv,
                                 options.env,
                                 {{0, pipes.child_in}, {1, pipes.child_out}, {2, pipes.child_err}},
                                 options.limits});
    pipes.close_child_ends();
    if (!child.started()) {
        result.spawn_error = child.spawn_error();
        return result;
    }
    const auto until = std::chrono::steady_clock::now() + options.deadline;
    std::string_view rest = options.stdin_bytes;
    feed(pipes.in, rest);
    while (!child.try_reap()) {
        pollfd p[4] = {{child.pidfd(), POLLIN, 0},
                       {pipes.out, POLLIN, 0},
                       {pipes.err, POLLIN, 0},
                       {pipes.in, POLLOUT, 0}};
        const int left = remaining_ms(until);
        if (left == 0) {
            break;
        }
        ::poll(p, 4, left);
        drain(pipes.out, result.out);
        drain(pipes.err, result.err);
        feed(pipes.in, rest);
    }
    result.status = child.try_reap() ? *child.try_reap() : child.wait(0ms);
    // What the child wrote before it exited is in the pipes now.
    drain(pipes.out, result.out);
    drain(pipes.err, result.err);
    return result;
}

ExitStatus run_forked(const ChildLimits& limits, const std::function<int()>& body,
                      std::chrono::milliseconds deadline) {
    ChildProcess child(limits, body);
    if (!child.started()) {
        return ExitStatus{};
    }
    return child.wait(deadline);
}

} // namespace credd::test
