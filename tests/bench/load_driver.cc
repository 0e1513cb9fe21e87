// Closed-loop load: each client sends a request, waits for the answer, and sends the next,
// over a fresh connection each time or over one it keeps.
#include "load_driver.hh"

#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "descriptors.hh"
#include "proc_stat.hh"
#include "stop_signal.hh"

namespace credd::bench {

namespace {

using Clock = std::chrono::steady_clock;

// A run with this many failures and no answer is not measuring anything: stop early.
constexpr std::uint64_t max_failures_without_answer = 1000;
constexpr auto drain_limit = std::chrono::seconds(2);

struct CpuSample {
    double server;
    double driver;
};

struct Client {
    UniqueFd fd;
    std::string answer;
};

class LoadDriver {
public:
    explicit LoadDriver(const LoadSpec& spec);
    LoadResult run();

private:
    bool is_hopeless() const;
    Clock::time_point start_draining(Clock::time_point now);
    std::size_t open_connections() const;
    CpuSample sample_cpu() const;
    void start_request(std::uint32_t index);
    bool connect_client(std::uint32_t index);
    void on_readable(std::uint32_t index);
    void finish(std::uint32_t index, const char* failure);
    void record_failure(const char* what, const std::string& detail);
    void retry_waiting();

    const LoadSpec& m_spec;
    sockaddr_un m_addr = {};
    UniqueFd m_epoll;
    std::vector<Client> m_clients;
    std::vector<std::uint32_t> m_waiting; // connect found the backlog full: try again
    Clock::time_point m_measure_from;
    Clock::time_point m_measure_until;
    std::optional<CpuSample> m_cpu_at_start;
    std::optional<CpuSample> m_cpu_at_end;
    bool m_draining = false; // past the window: no new requests, answers still read
    LoadResult m_result;
};

LoadDriver::LoadDriver(const LoadSpec& spec)
    : m_spec(spec), m_epoll(epoll_create1(EPOLL_CLOEXEC)), m_clients(spec.clients) {
    if (!m_epoll.is_open())
        throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    m_addr.sun_family = AF_UNIX;
    if (spec.socket_path.size() >= sizeof m_addr.sun_path)
        throw std::runtime_error(spec.socket_path + ": socket path too long");
    std::memcpy(m_addr.sun_path, spec.socket_path.c_str(), spec.socket_path.size() + 1);
}

LoadResult LoadDriver::run() {
    const auto start = Clock::now();
    m_measure_from = start + m_spec.warmup;
    m_measure_until = m_measure_from + m_spec.duration;
    for (std::uint32_t i = 0; i < m_clients.size(); ++i)
        start_request(i);

    epoll_event events[64];
    auto deadline = m_measure_until;
    for (auto now = Clock::now(); !stop_requested(); now = Clock::now()) {
        if (!m_cpu_at_start && now >= m_measure_from)
            m_cpu_at_start = sample_cpu();
        if (!m_draining && (now >= m_measure_until || is_hopeless()))
            deadline = start_draining(now);
        if (m_draining && (open_connections() == 0 || now >= deadline))
            break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
        const int timeout = m_waiting.empty() ? static_cast<int>(left.count()) + 1 : 1;
        const int n = epoll_wait(m_epoll.get(), events, 64, timeout);
        for (int i = 0; i < n; ++i)
            on_readable(events[i].data.u32);
        retry_waiting();
    }
    m_result.seconds =
        std::chrono::duration<double>(std::min(Clock::now(), m_measure_until) - m_measure_from)
            .count();
    if (m_result.seconds < 0)
        m_result.seconds = 0;
    if (m_cpu_at_start && m_cpu_at_end && m_result.seconds > 0) {
        m_result.server_cores = (m_cpu_at_end->server - m_cpu_at_start->server) / m_result.seconds;
        m_result.driver_cores = (m_cpu_at_end->driver - m_cpu_at_start->driver) / m_result.seconds;
    }
    return m_result;
}

bool LoadDriver::is_hopeless() const {
    return m_result.answered == 0 && m_result.failed > max_failures_without_answer;
}

// Stops sending and waits (boundedly) for the answers in flight: git's credential-cache
// daemon does not ignore SIGPIPE, so a client that hangs up before its answer kills it.
Clock::time_point LoadDriver::start_draining(Clock::time_point now) {
    m_draining = true;
    m_waiting.clear();
    m_cpu_at_end = sample_cpu();
    return now + drain_limit;
}

CpuSample LoadDriver::sample_cpu() const {
    return {m_spec.server_pid > 0 ? cpu_seconds(m_spec.server_pid) : 0, own_cpu_seconds()};
}

std::size_t LoadDriver::open_connections() const {
    std::size_t open = 0;
    for (const auto& client : m_clients)
        open += client.fd.is_open() ? 1 : 0;
    return open;
}

bool LoadDriver::connect_client(std::uint32_t index) {
    Client& client = m_clients[index];
    client.fd.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (connect(client.fd.get(), reinterpret_cast<const sockaddr*>(&m_addr), sizeof m_addr) == 0) {
        epoll_event event = {};
        event.events = EPOLLIN;
        event.data.u32 = index;
        epoll_ctl(m_epoll.get(), EPOLL_CTL_ADD, client.fd.get(), &event);
        return true;
    }
    // A Unix socket whose listen backlog is full answers EAGAIN: wait for a slot.
    if (errno != EAGAIN)
        record_failure("connect", std::strerror(errno));
    client.fd.reset();
    m_waiting.push_back(index);
    return false;
}

void LoadDriver::start_request(std::uint32_t index) {
    Client& client = m_clients[index];
    if (m_draining) {
        client.fd.reset();
        return;
    }
    if (!client.fd.is_open() && !connect_client(index))
        return;
    client.answer.clear();
    const ssize_t n = send(client.fd.get(), m_spec.request.data(), m_spec.request.size(), 0);
    if (n != static_cast<ssize_t>(m_spec.request.size())) {
        // Not finish(): that would start the next request from here, without bound.
        record_failure("request not sent in one write", "");
        client.fd.reset();
        m_waiting.push_back(index);
        return;
    }
    if (m_spec.half_close)
        shutdown(client.fd.get(), SHUT_WR);
}

void LoadDriver::on_readable(std::uint32_t index) {
    Client& client = m_clients[index];
    char chunk[16384];
    const ssize_t n = read(client.fd.get(), chunk, sizeof chunk);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n > 0) {
        client.answer.append(chunk, static_cast<std::size_t>(n));
        if (m_spec.answer_end == AnswerEnd::newline &&
            client.answer.find('\n') != std::string::npos)
            finish(index, client.answer.find(m_spec.expect) == std::string::npos
                              ? "answer without the expected token"
                              : nullptr);
        return;
    }
    if (n == 0 && m_spec.answer_end == AnswerEnd::eof)
        finish(index, client.answer.find(m_spec.expect) == std::string::npos
                          ? "answer without the expected token"
                          : nullptr);
    else if (n == 0)
        finish(index, "connection closed before the answer");
    else
        finish(index, std::strerror(errno));
}

// Counts the outcome and starts the client's next request.
void LoadDriver::finish(std::uint32_t index, const char* failure) {
    Client& client = m_clients[index];
    const auto now = Clock::now();
    if (failure != nullptr)
        record_failure(failure, client.answer.substr(0, 300));
    else if (now >= m_measure_from && now < m_measure_until) {
        ++m_result.answered;
    }
    if (failure != nullptr || m_spec.connections == Connections::per_request)
        client.fd.reset(); // close() also takes it out of the epoll set
    start_request(index);
}

void LoadDriver::record_failure(const char* what, const std::string& detail) {
    ++m_result.failed;
    if (m_result.first_failure.empty())
        m_result.first_failure = std::string(what) + ": " + detail;
}

void LoadDriver::retry_waiting() {
    std::vector<std::uint32_t> waiting;
    waiting.swap(m_waiting);
    for (std::uint32_t index : waiting)
        start_request(index);
}

} // namespace

LoadResult run_load(const LoadSpec& spec) {
    if (spec.clients < 1)
        throw std::invalid_argument("run_load: at least one client");
    LoadDriver driver(spec);
    return driver.run();
}

} // namespace credd::bench
