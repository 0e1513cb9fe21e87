// DaemonProcess: spawning credd, waiting for readiness, stopping it with deadlines.
#include "daemon_process.hh"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "unique_fd.hh"

namespace credd::test {

namespace {

// The fd number credd is told to announce readiness on.
constexpr int child_ready_fd = 3;

} // namespace

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string tail_of(const std::string& text, std::size_t max_bytes) {
    return text.size() <= max_bytes ? text : "…" + text.substr(text.size() - max_bytes);
}

DaemonProcess::DaemonProcess(const DaemonDirs& dirs, DaemonOptions options)
    : m_dirs(dirs), m_socket(options.socket.value_or(dirs.socket())) {
    UniqueFd null_in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    UniqueFd log{::open(dirs.log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)};
    int ready[2];
    if (!null_in.is_open() || !log.is_open() || ::pipe2(ready, O_CLOEXEC) != 0) {
        m_failure = std::string("credd: cannot set up its fds: ") + std::strerror(errno);
        return;
    }
    UniqueFd ready_read{ready[0]};
    UniqueFd ready_write{ready[1]};
    std::vector<std::string> argv{CREDD_PATH, "--ready-fd", std::to_string(child_ready_fd)};
    if (options.socket) {
        argv.insert(argv.end(), {"--socket", *options.socket});
    }
    if (!options.key_store.empty()) {
        argv.push_back("--key-store=" + options.key_store);
    }
    argv.insert(argv.end(), options.args.begin(), options.args.end());
    auto env = dirs.daemon_env();
    env.insert(env.end(), options.env.begin(), options.env.end());
    ChildLimits limits;
    limits.max_open_files = options.max_open_files;
    m_child.emplace(SpawnSpec{
        argv,
        env,
        {{0, null_in.get()}, {1, log.get()}, {2, log.get()}, {child_ready_fd, ready_write.get()}},
        limits});
    ready_write.reset(); // so EOF means the daemon closed its end
    if (!m_child->started()) {
        m_failure = "credd: " + m_child->spawn_error();
        return;
    }
    wait_ready(ready_read.get(), options.ready_deadline);
}

void DaemonProcess::wait_ready(int ready_fd, std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    std::string announced;
    while (announced.find('\n') == std::string::npos) {
        pollfd p{ready_fd, POLLIN, 0};
        const int left = remaining_ms(until);
        if (left == 0 || ::poll(&p, 1, left) == 0) {
            m_failure = "credd: no READY within " + std::to_string(deadline.count()) + " ms";
            m_child->wait(0ms);
            break;
        }
        char buf[512];
        const ssize_t n = ::read(ready_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const ExitStatus s = m_child->wait(5s);
            m_failure = "credd: closed its ready fd without READY (" + s.describe() + ")";
            break;
        }
        announced.append(buf, static_cast<std::size_t>(n));
    }
    if (announced.rfind("READY\n", 0) == 0) {
        m_ready = true;
        return;
    }
    if (!announced.empty()) {
        m_failure += "credd announced: " + announced.substr(0, announced.find('\n'));
    }
    m_failure += "\n--- credd log ---\n" + tail_of(log());
}

DaemonProcess::~DaemonProcess() {
    if (m_child && m_child->started() && !m_child->has_exited()) {
        stop();
    }
}

std::string DaemonProcess::log() const {
    return read_file(m_dirs.log_file());
}

ExitStatus DaemonProcess::stop(std::chrono::milliseconds deadline) {
    if (!m_child || !m_child->started()) {
        return ExitStatus{};
    }
    m_stopped = true;
    m_child->send_signal(SIGTERM);
    return m_child->wait(deadline);
}

void DaemonProcess::kill9() {
    if (m_child && m_child->started()) {
        m_stopped = true;
        m_child->send_signal(SIGKILL);
        m_child->wait(10s);
    }
}

bool DaemonProcess::is_running() {
    return m_child && m_child->started() && !m_child->try_reap();
}

} // namespace credd::test
