// ExecStrategy: posix_spawn, poll with a deadline, and reading what the command printed.
#include "exec_strategy.hh"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unique_fd.hh"

extern char** environ;

namespace credd {

namespace {

constexpr std::size_t max_stdout_bytes = 64 * 1024;
constexpr std::size_t max_stderr_bytes = 4 * 1024;
constexpr std::int64_t default_timeout_s = 30;

RefreshFailure failure(ErrorClass c, std::string message) {
    return RefreshFailure{c, std::move(message), std::nullopt};
}

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// The few variables a token command needs to find its own configuration; nothing else of
// the daemon's environment (which may hold other secrets) is passed on.
std::vector<std::string> minimal_environment() {
    std::vector<std::string> env;
    for (const char* name :
         {"HOME", "USER", "LOGNAME", "PATH", "LANG", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
          "XDG_DATA_HOME", "XDG_CACHE_HOME", "DBUS_SESSION_BUS_ADDRESS"}) {
        if (const char* v = std::getenv(name)) {
            env.push_back(std::string(name) + "=" + v);
        }
    }
    if (std::getenv("PATH") == nullptr) {
        env.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
    }
    return env;
}

struct Run {
    std::string out;
    std::string err;
    int status = 0;
    bool timed_out = false;
    int spawn_errno = 0;
};

void drain(int fd, std::string& into, std::size_t cap, bool& open) {
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) {
        open = n < 0 && (errno == EINTR || errno == EAGAIN);
        return;
    }
    const auto room = cap > into.size() ? cap - into.size() : 0;
    into.append(buf, std::min<std::size_t>(room, static_cast<std::size_t>(n)));
}

} // namespace

// The process groups of the commands running now, so stop() can end them: a daemon told
// to stop must not wait out a command's own deadline (30 s by default).
class RunningCommands {
public:
    // A group stop() has already passed is killed at once.
    void add(pid_t pgid) {
        std::lock_guard lock(m_mutex);
        m_groups.insert(pgid);
        if (m_stopping) {
            ::kill(-pgid, SIGKILL);
        }
    }
    void remove(pid_t pgid) {
        std::lock_guard lock(m_mutex);
        m_groups.erase(pgid);
    }
    bool stopping() {
        std::lock_guard lock(m_mutex);
        return m_stopping;
    }
    // The whole group, so a wrapper script's children go too; SIGKILL, because the
    // daemon's own grace period is short and a command that ignores SIGTERM must not
    // hold it up.
    void stop() {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (const pid_t g : m_groups) {
            ::kill(-g, SIGKILL);
        }
    }

private:
    std::mutex m_mutex;
    std::set<pid_t> m_groups;
    bool m_stopping = false;
};

namespace {

// Only 0, 1 and 2 reach the command: Asio's sockets (the listener, client connections,
// TCP to token endpoints) are not all CLOEXEC, and a command must neither hold them open
// nor write to them. Signals the daemon ignores (SIGPIPE) or blocks are reset to default,
// so a command sees the disposition it would get from a shell.
void restrict_child(posix_spawn_file_actions_t& actions, posix_spawnattr_t& attr) {
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    // Its own process group, so a timeout or stop kills whatever the command started too.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attr, &all);
}

// Reads what the command prints until it exits or the deadline passes (then its group is
// killed), and reaps it.
void wait_for(Run& run, pid_t pid, int out_fd, int err_fd, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true;
    bool err_open = true;
    while (out_open || err_open) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            run.timed_out = true;
            ::kill(-pid, SIGKILL);
            break;
        }
        pollfd fds[2] = {{out_open ? out_fd : -1, POLLIN, 0}, {err_open ? err_fd : -1, POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) {
            break;
        }
        if (fds[0].revents != 0) {
            drain(out_fd, run.out, max_stdout_bytes, out_open);
        }
        if (fds[1].revents != 0) {
            drain(err_fd, run.err, max_stderr_bytes, err_open);
        }
    }
    if (!run.timed_out) {
        // Output closed; a command that lingers past that is bounded by the deadline too.
        while (true) {
            const pid_t w = ::waitpid(pid, &run.status, WNOHANG);
            if (w == pid || (w < 0 && errno != EINTR)) {
                return;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                run.timed_out = true;
                ::kill(-pid, SIGKILL);
                break;
            }
            ::usleep(10'000);
        }
    }
    while (::waitpid(pid, &run.status, 0) < 0 && errno == EINTR) {
    }
}

Run run_command(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                RunningCommands& running) {
    Run run;
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
        run.spawn_errno = errno;
        return run;
    }
    UniqueFd out_r(out_pipe[0]), out_w(out_pipe[1]), err_r(err_pipe[0]), err_w(err_pipe[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_w.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_w.get(), 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    restrict_child(actions, attr);
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    auto env_strings = minimal_environment();
    std::vector<char*> env;
    for (auto& e : env_strings) {
        env.push_back(e.data());
    }
    env.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    out_w.reset();
    err_w.reset();
    if (rc != 0) {
        run.spawn_errno = rc;
        return run;
    }
    // The child leads its own group (pgid == pid) until it is reaped.
    running.add(pid);
    wait_for(run, pid, out_r.get(), err_r.get(), timeout);
    running.remove(pid);
    return run;
}

// `started`: when the command was started; expiry counts from then (see OAuth2Strategy).
RefreshOutcome outcome_of(Run& run, const std::string& program, std::int64_t lifetime_s,
                          UnixMs started) {
    const std::string who = "command " + program;
    if (run.spawn_errno != 0) {
        return failure(ErrorClass::fix_configuration,
                       who + ": cannot run: " + std::strerror(run.spawn_errno));
    }
    const std::string stderr_line = redact_first_line(run.err);
    const std::string said = stderr_line.empty() ? "" : " (stderr: " + stderr_line + ")";
    if (run.timed_out) {
        wipe(run.out);
        return failure(ErrorClass::transient, who + ": timed out" + said);
    }
    if (!WIFEXITED(run.status) || WEXITSTATUS(run.status) != 0) {
        wipe(run.out);
        const std::string how =
            WIFEXITED(run.status) ? "exited with status " + std::to_string(WEXITSTATUS(run.status))
                                  : "killed by signal " + std::to_string(WTERMSIG(run.status));
        return failure(ErrorClass::transient, who + ": " + how + said);
    }
    auto outcome = parse_exec_output(run.out, lifetime_s, started);
    wipe(run.out);
    if (!outcome) {
        outcome.error().message = who + ": " + outcome.error().message + said;
    }
    return outcome;
}

// Unix times a command may print: 1970 to 2100, in seconds or milliseconds.
constexpr double max_unix_s = 4'102'444'800.0;
// A lifetime past this is a bug (or a unit mix-up); ten years, as for token endpoints.
constexpr double max_expires_in_s = 10.0 * 365 * 86400;

std::optional<UnixMs> json_time(const boost::json::value& v, UnixMs now) {
    if (v.is_int64() || v.is_uint64() || v.is_double()) {
        const double t = v.to_number<double>();
        if (!std::isfinite(t) || t <= 0 || t > max_unix_s * 1000) {
            return std::nullopt;
        }
        // Seconds; a value this large can only be milliseconds.
        if (t > 1e11) {
            return static_cast<UnixMs>(t);
        }
        if (t > max_unix_s) {
            return std::nullopt;
        }
        return static_cast<UnixMs>(t * 1000);
    }
    if (v.is_string()) {
        auto t = parse_when(v.get_string(), now);
        if (t) {
            return *t;
        }
    }
    return std::nullopt;
}

} // namespace

std::string redact_first_line(std::string_view text) {
    const std::string line = trim(text.substr(0, text.find('\n')));
    std::string out;
    std::size_t i = 0;
    while (i < line.size() && out.size() < 200) {
        std::size_t j = i;
        while (j < line.size() && is_token_char(line[j])) {
            ++j;
        }
        if (j - i >= 20) {
            out += "[redacted]";
            i = j;
        } else if (j > i) {
            out.append(line, i, j - i);
            i = j;
        } else {
            const char c = line[i++];
            out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
        }
    }
    return out.substr(0, 200);
}

RefreshOutcome parse_exec_output(std::string_view stdout_text, std::int64_t lifetime_s,
                                 UnixMs now) {
    std::string text = trim(stdout_text);
    if (text.empty()) {
        return failure(ErrorClass::fix_configuration, "printed nothing on stdout");
    }
    RefreshGrant g;
    if (text.front() == '{') {
        boost::system::error_code ec;
        const auto v = boost::json::parse(text, ec);
        wipe(text);
        const auto* o = ec ? nullptr : v.if_object();
        const boost::json::value* token = nullptr;
        if (o != nullptr) {
            token = o->if_contains("access_token") ? o->if_contains("access_token")
                                                   : o->if_contains("token");
        }
        if (token == nullptr || !token->is_string() || token->get_string().empty()) {
            return failure(ErrorClass::fix_configuration,
                           "printed JSON without a \"token\" or \"access_token\" string");
        }
        g.access_token = Secret(std::string_view(token->get_string()));
        if (const auto* at = o->if_contains("expires_at"); at && !at->is_null()) {
            g.expires_at = json_time(*at, now);
            if (!g.expires_at) {
                return failure(ErrorClass::fix_configuration,
                               "printed an unreadable or out-of-range expires_at (RFC 3339, or "
                               "unix seconds between 1970 and 2100)");
            }
        } else if (const auto* in = o->if_contains("expires_in"); in && !in->is_null()) {
            double s = in->is_number() ? in->to_number<double>() : -1.0;
            if (in->is_string()) { // "3600", as some providers send it
                const auto text = in->get_string();
                const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
                if (ec != std::errc{} || end != text.data() + text.size()) {
                    s = -1.0;
                }
            }
            if (!std::isfinite(s) || s <= 0 || s > max_expires_in_s) {
                return failure(ErrorClass::fix_configuration,
                               "printed an out-of-range expires_in (a number of seconds, more "
                               "than 0 and at most ten years)");
            }
            g.expires_at = now + static_cast<UnixMs>(s * 1000);
        }
    } else {
        const bool one_word =
            std::all_of(text.begin(), text.end(), [](char c) { return c > 0x20 && c < 0x7f; });
        if (!one_word) {
            wipe(text);
            return failure(ErrorClass::fix_configuration,
                           "printed something that is neither a token nor JSON");
        }
        g.access_token = Secret::adopt(text);
    }
    if (!g.expires_at) {
        g.expires_at = now + lifetime_s * 1000;
        g.default_lifetime = true;
    }
    return g;
}

struct ExecStrategy::Impl {
    explicit Impl(boost::asio::io_context& i) : io(i) {}
    boost::asio::io_context& io;
    RunningCommands running;
    boost::asio::thread_pool pool{2};
};

ExecStrategy::ExecStrategy(boost::asio::io_context& io) : m_impl(std::make_unique<Impl>(io)) {}

ExecStrategy::~ExecStrategy() {
    stop();
    m_impl->pool.join();
}

void ExecStrategy::stop() {
    m_impl->running.stop();
}

void ExecStrategy::refresh(RefreshInput input, std::function<void(RefreshOutcome)> done) {
    std::vector<std::string> argv;
    if (const auto* a = input.params.if_contains("argv"); a && a->is_array()) {
        for (const auto& v : a->get_array()) {
            argv.emplace_back(v.is_string() ? std::string(v.get_string()) : std::string{});
        }
    }
    std::int64_t timeout_s = default_timeout_s;
    if (const auto* t = input.params.if_contains("timeout"); t && t->is_int64()) {
        timeout_s = t->get_int64();
    }
    const std::int64_t lifetime_s = default_lifetime_of(input.params);
    auto guard = boost::asio::make_work_guard(m_impl->io);
    boost::asio::post(m_impl->pool, [argv = std::move(argv), timeout_s, lifetime_s,
                                     done = std::move(done), guard = std::move(guard),
                                     &io = m_impl->io, &running = m_impl->running]() mutable {
        auto outcome = std::make_shared<RefreshOutcome>(failure(
            ErrorClass::transient, "command " + argv.at(0) + ": not run: credd is stopping"));
        if (!running.stopping()) {
            const UnixMs started = now_ms();
            auto run = run_command(argv, std::chrono::seconds(timeout_s), running);
            *outcome = outcome_of(run, argv.at(0), lifetime_s, started);
        }
        boost::asio::post(io,
                          [done = std::move(done), outcome, guard = std::move(guard)]() mutable {
                              done(std::move(*outcome));
                              guard.reset();
                          });
    });
}

} // namespace credd
