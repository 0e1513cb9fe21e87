// cred login: login.start, the instructions (URL and code, a QR code, or the browser),
// then login.progress notifications until the outcome; Ctrl-C sends login.cancel.
#include "login_command.hh"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iterator>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

#include "connection.hh"
#include "daemon_client.hh"
#include "deadline.hh"
#include "output.hh"
#include "protocol.hh"
#include "qr_code.hh"
#include "terminal_text.hh"
#include "unique_fd.hh"

extern char** environ;

namespace credd {

namespace json = boost::json;

namespace {

using namespace std::chrono_literals;

constexpr std::string_view method_login_start = protocol::method::login_start;
constexpr std::string_view method_login_complete = protocol::method::login_complete;
constexpr std::string_view method_login_cancel = protocol::method::login_cancel;
constexpr std::string_view method_whoami = protocol::method::credential_whoami;
constexpr std::string_view notification_login_progress = protocol::notification_login_progress;

constexpr auto call_timeout = 5000ms;
// login.start may fetch the discovery document first (the daemon bounds that itself).
constexpr auto start_timeout = 30'000ms;
// After login.cancel: how long to wait for the `cancelled` notification.
constexpr auto cancel_wait = 5000ms;
// A pasted redirect URL: far beyond any real one.
constexpr std::size_t max_paste_bytes = 8192;

// ---- signals ------------------------------------------------------------------------

// SIGINT and SIGTERM become a byte on a pipe, so the one poll(2) of the loop sees them.
int signal_pipe_write = -1;

extern "C" void note_signal(int) {
    const int saved = errno;
    const char byte = 1;
    (void)!::write(signal_pipe_write, &byte, 1);
    errno = saved;
}

class SignalPipe {
public:
    SignalPipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
            return;
        }
        m_read = UniqueFd(fds[0]);
        m_write = UniqueFd(fds[1]);
        signal_pipe_write = fds[1];
        struct sigaction action {};
        action.sa_handler = note_signal;
        ::sigemptyset(&action.sa_mask);
        ::sigaction(SIGINT, &action, &m_old_int);
        ::sigaction(SIGTERM, &action, &m_old_term);
    }
    ~SignalPipe() {
        if (m_write.is_open()) {
            ::sigaction(SIGINT, &m_old_int, nullptr);
            ::sigaction(SIGTERM, &m_old_term, nullptr);
            signal_pipe_write = -1;
        }
    }
    SignalPipe(const SignalPipe&) = delete;
    SignalPipe& operator=(const SignalPipe&) = delete;

    int fd() const { return m_read.get(); }
    // Empties the pipe; true if a signal had arrived.
    bool drain() const {
        char bytes[16];
        bool any = false;
        while (::read(m_read.get(), bytes, sizeof bytes) > 0) {
            any = true;
        }
        return any;
    }

private:
    UniqueFd m_read;
    UniqueFd m_write;
    struct sigaction m_old_int {};
    struct sigaction m_old_term {};
};

// ---- small helpers ------------------------------------------------------------------

std::string text_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::optional<std::int64_t> int_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v && v->is_int64()) {
        return v->get_int64();
    }
    if (v && v->is_uint64() && v->get_uint64() <= INT64_MAX) {
        return static_cast<std::int64_t>(v->get_uint64());
    }
    return std::nullopt;
}

bool is_url_safe(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-._~+/=%").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
    const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

bool stdout_is_terminal() {
    return ::isatty(STDOUT_FILENO) == 1;
}

bool has_display() {
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') {
            return true;
        }
    }
    return false;
}

// `xdg-open URL` without a shell, its output to /dev/null (browsers are chatty), not
// waited for: some xdg-open fallbacks run until the browser exits.
Result<void> open_browser(const std::string& url) {
    // Only a web address: xdg-open also opens files and other handlers, and the URL
    // comes from the provider's metadata.
    if (!url.starts_with("https://") && !url.starts_with("http://")) {
        return make_error(Errc::invalid_params,
                          "login: the authorization URL is not a web address; not opened",
                          "check the credential's --auth-url or --issuer");
    }
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::string program = "xdg-open";
    std::string argument = url;
    char* argv[] = {program.data(), argument.data(), nullptr};
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, "xdg-open", &actions, nullptr, argv, environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        return make_error(Errc::io_error,
                          std::string("login: cannot start xdg-open: ") + std::strerror(rc),
                          "install xdg-utils, or open the URL yourself");
    }
    return {};
}

std::string local_clock(UnixMs at, UnixMs now) {
    const std::time_t t = static_cast<std::time_t>(at / 1000);
    const std::time_t n = static_cast<std::time_t>(now / 1000);
    std::tm when{};
    std::tm today{};
    ::localtime_r(&t, &when);
    ::localtime_r(&n, &today);
    char text[32];
    const bool same_day = when.tm_year == today.tm_year && when.tm_yday == today.tm_yday;
    std::strftime(text, sizeof text, same_day ? "%H:%M" : "%Y-%m-%d %H:%M", &when);
    return text;
}

// ---- the login session ---------------------------------------------------------------

// What the loop is waiting for.
enum class Phase { starting, waiting, cancelling };

class LoginSession {
public:
    LoginSession(const cli::LoginCommand& command, Connection connection)
        : m_command(command), m_connection(std::move(connection)),
          m_headless(command.no_browser || !has_display()) {}

    ExitCode run();

private:
    Result<void> send(std::uint64_t id, std::string_view method, const json::object& params);
    ExitCode fail(const Error& error, ExitCode code);
    ExitCode fail(const Error& error) { return fail(error, exit_code_for(error.code)); }
    // One message from the daemon; a value when the session is over.
    std::optional<ExitCode> on_line(std::string_view line);
    std::optional<ExitCode> on_start_result(const json::object& result);
    std::optional<ExitCode> on_progress(const json::object& params);
    std::optional<ExitCode> on_stdin();
    void show_device(const json::object& result);
    void show_auth_code(const json::object& result);
    void cancel(std::string reason);
    // Reports `error` now, cancels the login, and exits with `code` once it is cancelled.
    void abandon(const Error& error, ExitCode code);
    // The exit once the login is cancelled (or its connection gone).
    ExitCode cancelled_exit();
    void end_waiting_line();

    const cli::LoginCommand& m_command;
    Connection m_connection;
    SignalPipe m_signals;
    bool m_headless;
    Phase m_phase = Phase::starting;
    std::string m_login_id;
    std::string m_flow;
    bool m_read_stdin = false; // a pasted redirect URL or code is expected on stdin
    std::string m_paste;       // what stdin gave so far (wiped)
    bool m_waiting_line_open = false;
    bool m_interrupted = false;             // SIGINT or SIGTERM: exit 130
    std::string m_cancel_reason;            // --timeout: the error to print at the end
    std::optional<ExitCode> m_failure_exit; // already reported; exit with this
    std::optional<Deadline> m_deadline;
    std::optional<Deadline> m_cancel_deadline;
};

Result<void> LoginSession::send(std::uint64_t id, std::string_view method,
                                const json::object& params) {
    std::string line = protocol::make_request_line(id, method, params);
    return m_connection.send(line, Deadline::after(call_timeout));
}

void LoginSession::end_waiting_line() {
    if (m_waiting_line_open) {
        (void)print_stdout("\n");
        m_waiting_line_open = false;
    }
}

ExitCode LoginSession::fail(const Error& error, ExitCode code) {
    end_waiting_line();
    report_error(error);
    return code;
}

void LoginSession::cancel(std::string reason) {
    if (m_phase == Phase::cancelling) {
        return;
    }
    m_cancel_reason = std::move(reason);
    m_phase = Phase::cancelling;
    m_cancel_deadline = Deadline::after(cancel_wait);
    m_read_stdin = false;
    if (!m_login_id.empty()) {
        (void)send(3, method_login_cancel, {{"login_id", m_login_id}});
    }
    // Before the login.start answer there is no id yet: cancelled once it arrives.
}

void LoginSession::abandon(const Error& error, ExitCode code) {
    end_waiting_line();
    report_error(error);
    m_failure_exit = code;
    cancel("");
}

ExitCode LoginSession::cancelled_exit() {
    end_waiting_line();
    if (m_failure_exit) {
        return *m_failure_exit;
    }
    if (m_interrupted) {
        return ExitCode::interrupted;
    }
    report_error(
        make_error(Errc::io_error,
                   m_cancel_reason.empty() ? "login: cancelled by another client" : m_cancel_reason,
                   "run: cred login " + m_command.name));
    return ExitCode::error;
}

void LoginSession::show_device(const json::object& result) {
    const std::string uri = text_member(result, "verification_uri");
    const std::string complete = text_member(result, "verification_uri_complete");
    const std::string code = text_member(result, "user_code");
    std::string text = "Open " + printable(uri) + " and enter " + printable(code) + '\n';
    if (!complete.empty()) {
        text += "  (or open " + printable(complete) + ")\n";
    }
    (void)print_stdout(text);
    const auto* qr = result.if_contains("qr");
    if (stdout_is_terminal() && !m_command.no_qr && qr != nullptr && qr->is_array()) {
        std::vector<std::string> rows;
        for (const auto& row : qr->get_array()) {
            rows.emplace_back(row.is_string() ? std::string_view(row.get_string()) : "");
        }
        auto matrix = qr_from_rows(rows);
        if (matrix) {
            const char* no_color = std::getenv("NO_COLOR");
            const bool colours = no_color == nullptr || *no_color == '\0';
            (void)print_stdout("  (or scan:)\n" + render_qr(*matrix, colours));
        } else {
            report_error(matrix.error()); // the code above is enough to go on with
        }
    }
}

void LoginSession::show_auth_code(const json::object& result) {
    const std::string url = text_member(result, "authorization_url");
    if (!m_headless) {
        auto opened = open_browser(url);
        if (opened) {
            (void)print_stdout("Opened your browser to log in. If it did not open, visit:\n  " +
                               printable(url) + '\n');
            return;
        }
        report_error(opened.error());
        (void)print_stdout("Open this URL in a browser on this machine:\n  " + printable(url) +
                           '\n');
        return;
    }
    (void)print_stdout(
        "Open this URL in a browser:\n  " + printable(url) +
        "\nAfter you log in, the browser is sent to " +
        printable(text_member(result, "redirect_uri")) +
        ", which fails to load on another machine: copy that whole URL from the address "
        "bar (or just its code) and paste it here.\nredirect URL or code: ");
    m_read_stdin = true;
}

std::optional<ExitCode> LoginSession::on_start_result(const json::object& result) {
    m_login_id = text_member(result, "login_id");
    m_flow = text_member(result, "flow");
    if (m_login_id.empty()) {
        return fail(make_error(Errc::parse_error, "login: the daemon's answer has no login_id"));
    }
    if (m_phase == Phase::cancelling) {
        (void)send(3, method_login_cancel, {{"login_id", m_login_id}});
        return std::nullopt;
    }
    m_phase = Phase::waiting;
    if (m_flow == "device") {
        show_device(result);
    } else if (m_flow == "auth-code") {
        show_auth_code(result);
    } else {
        return fail(make_error(Errc::parse_error,
                               "login: unknown flow \"" + printable(m_flow.substr(0, 40)) + '"'));
    }
    if (!m_read_stdin) {
        (void)print_stdout("waiting\xe2\x80\xa6 ");
        m_waiting_line_open = true;
    }
    return std::nullopt;
}

std::optional<ExitCode> LoginSession::on_progress(const json::object& params) {
    if (text_member(params, "login_id") != m_login_id || m_login_id.empty()) {
        return std::nullopt; // not ours (or stale)
    }
    const std::string state = text_member(params, "state");
    if (m_failure_exit && state == "failed") {
        return cancelled_exit(); // what went wrong was already said
    }
    if (state == "succeeded") {
        const std::string line = login_success_line(params, now_ms());
        m_waiting_line_open = false;
        (void)print_stdout(line + '\n');
        return ExitCode::ok;
    }
    if (state == "cancelled") {
        return cancelled_exit();
    }
    if (state == "failed") {
        const auto* e = params.if_contains("error");
        const json::object empty;
        const json::object& o = e && e->is_object() ? e->get_object() : empty;
        const std::string code = text_member(o, "code");
        std::string message = text_member(o, "message");
        if (message.empty()) {
            message = "login failed" + (code.empty() ? std::string() : ": " + code);
        }
        Error error = make_error(errc_from_name(code), std::move(message), text_member(o, "hint"));
        if (error.hint.empty()) {
            error.hint = "run: cred login " + m_command.name;
        }
        return fail(error, login_failure_exit(code));
    }
    return std::nullopt; // waiting, slow_down: nothing to show
}

std::optional<ExitCode> LoginSession::on_line(std::string_view line) {
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = protocol::max_json_depth;
    json::value v = json::parse(line, ec, {}, options);
    if (ec || !v.is_object()) {
        return fail(make_error(Errc::parse_error, "login: the daemon sent a line that is not "
                                                  "a JSON object"));
    }
    const auto& o = v.get_object();
    if (const auto* method = o.if_contains("method")) {
        const auto* params = o.if_contains("params");
        if (method->is_string() && method->get_string() == notification_login_progress && params &&
            params->is_object()) {
            return on_progress(params->get_object());
        }
        return std::nullopt; // another notification: not for us
    }
    const auto id = int_member(o, "id");
    auto result = protocol::parse_response(line);
    if (id == 1) { // login.start
        if (!result) {
            return fail(result.error());
        }
        if (!result->is_object()) {
            return fail(make_error(Errc::parse_error, "login: the daemon's answer is no object"));
        }
        return on_start_result(result->get_object());
    }
    if (id == 2 && !result && m_phase == Phase::waiting) {
        // login.complete refused what was pasted (no code in it); a wrong state is not
        // refused here but ends the login with state_mismatch in login.progress.
        const Error error = result.error();
        abandon(error, login_failure_exit(code_name(error.code)));
        return std::nullopt;
    }
    // login.cancel's answer: {} or not_found when the login had already ended (its
    // outcome is on its way or was sent); either way the notification decides.
    return std::nullopt;
}

std::optional<ExitCode> LoginSession::on_stdin() {
    char bytes[512];
    const ssize_t n = ::read(STDIN_FILENO, bytes, sizeof bytes);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return std::nullopt;
    }
    const bool eof = n <= 0;
    if (!eof) {
        m_paste.append(bytes, static_cast<std::size_t>(n));
        wipe(bytes, sizeof bytes);
    }
    const auto newline = m_paste.find('\n');
    if (newline == std::string::npos && !eof) {
        if (m_paste.size() > max_paste_bytes) {
            wipe(m_paste);
            m_read_stdin = false;
            abandon(make_error(Errc::invalid_params, "login: the pasted text is too long"),
                    ExitCode::usage);
        }
        return std::nullopt;
    }
    m_read_stdin = false;
    const std::string_view pasted =
        std::string_view(m_paste).substr(0, std::min(newline, m_paste.size()));
    const bool nothing = trim(pasted).empty();
    auto answer = parse_pasted_answer(pasted);
    wipe(m_paste);
    if (!answer) {
        abandon(nothing
                    ? make_error(Errc::invalid_params, "login: no redirect URL or code on stdin",
                                 "paste the URL the browser was sent to, or run "
                                 "cred login without --no-browser")
                    : answer.error(),
                ExitCode::usage);
        return std::nullopt;
    }
    json::object params{{"login_id", m_login_id}};
    const std::string_view value = answer->value.expose();
    params[answer->key] = json::string_view(value.data(), value.size());
    std::string line = protocol::make_request_line(2, method_login_complete, params);
    if (auto& s = params[answer->key].as_string(); !s.empty()) {
        wipe(s.data(), s.size());
    }
    auto sent = m_connection.send(line, Deadline::after(call_timeout));
    wipe(line); // it holds the authorization code
    if (!sent) {
        return fail(sent.error());
    }
    (void)print_stdout("waiting\xe2\x80\xa6 ");
    m_waiting_line_open = true;
    return std::nullopt;
}

ExitCode LoginSession::run() {
    json::object params{{"name", m_command.name}};
    if (m_headless) {
        params["open_listener"] = false; // auth-code: the code comes back pasted
    }
    std::string line = protocol::make_request_line(1, method_login_start, params);
    if (auto sent = m_connection.send(line, Deadline::after(call_timeout)); !sent) {
        return fail(sent.error());
    }
    const Deadline start_deadline = Deadline::after(start_timeout);
    if (m_command.timeout_s) {
        m_deadline = Deadline::after(std::chrono::seconds(*m_command.timeout_s));
    }
    for (;;) {
        // Lines already buffered first: one recv may have brought several.
        for (;;) {
            auto next = m_connection.next_line();
            if (!next) {
                if (m_phase == Phase::cancelling) {
                    return cancelled_exit(); // a closed connection cancels the login too
                }
                return fail(next.error());
            }
            if (!*next) {
                break;
            }
            if (auto done = on_line(**next)) {
                return *done;
            }
        }
        int timeout_ms = -1;
        const auto bound = [&timeout_ms](const Deadline& d) {
            const int left = d.remaining_ms();
            timeout_ms = timeout_ms < 0 ? left : std::min(timeout_ms, left);
        };
        if (m_phase == Phase::starting) {
            bound(start_deadline);
        }
        if (m_phase == Phase::cancelling && m_cancel_deadline) {
            bound(*m_cancel_deadline);
        } else if (m_deadline) {
            bound(*m_deadline);
        }
        pollfd fds[3] = {{m_connection.fd(), POLLIN, 0},
                         {m_signals.fd(), POLLIN, 0},
                         {m_read_stdin ? STDIN_FILENO : -1, POLLIN, 0}};
        const int n = ::poll(fds, 3, timeout_ms);
        if (n < 0 && errno != EINTR) {
            return fail(make_error(Errc::io_error, std::string("poll: ") + std::strerror(errno)));
        }
        if (n <= 0) {
            if (m_phase == Phase::starting && start_deadline.has_passed()) {
                return fail(make_error(Errc::daemon_unreachable,
                                       "login: no answer to login.start in time",
                                       "run credd in a terminal to see its log"));
            }
            if (m_phase == Phase::cancelling && m_cancel_deadline &&
                m_cancel_deadline->has_passed()) {
                return cancelled_exit(); // closing the connection cancels it all the same
            }
            if (m_phase != Phase::cancelling && m_deadline && m_deadline->has_passed()) {
                cancel("login: no outcome within " + std::to_string(*m_command.timeout_s) +
                       " s (--timeout); cancelled");
            }
            continue;
        }
        if (fds[1].revents != 0 && m_signals.drain()) {
            if (m_phase == Phase::cancelling) {
                end_waiting_line(); // a second Ctrl-C: leave now
                return m_failure_exit.value_or(ExitCode::interrupted);
            }
            m_interrupted = true;
            cancel("");
        }
        if (fds[2].revents != 0 && m_read_stdin && m_phase == Phase::waiting) {
            if (auto done = on_stdin()) {
                return *done;
            }
        }
    }
}

} // namespace

Result<PastedAnswer> parse_pasted_answer(std::string_view line) {
    const std::string_view text = trim(line);
    const auto refuse = [] {
        return make_error(Errc::invalid_params,
                          "login: that is neither the redirect URL nor a code",
                          "paste the whole URL from the browser's address bar, "
                          "http://127.0.0.1:PORT/callback?code=…&state=…");
    };
    if (text.empty() || text.size() > max_paste_bytes) {
        return refuse();
    }
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x21 || c == 0x7f) {
            return refuse(); // control bytes or inner spaces: not something we sent
        }
    }
    if (text.find("://") != std::string_view::npos) {
        return PastedAnswer{"redirect_url", Secret(text)};
    }
    // "127.0.0.1:PORT/callback?code=…": the address bar hid the scheme.
    if (text.find('?') != std::string_view::npos && text.find("code=") != std::string_view::npos &&
        (text.starts_with("127.0.0.1") || text.starts_with("localhost") ||
         text.starts_with("[::1]"))) {
        std::string url = "http://";
        url += text;
        return PastedAnswer{"redirect_url", Secret::adopt(url)};
    }
    if (std::all_of(text.begin(), text.end(), is_url_safe)) {
        return PastedAnswer{"code", Secret(text)};
    }
    return refuse();
}

std::string login_success_line(const json::object& progress, UnixMs now) {
    std::string who;
    if (const auto* identity = progress.if_contains("identity");
        identity && identity->is_object()) {
        for (const char* claim : {"preferred_username", "email", "sub"}) {
            who = text_member(identity->get_object(), claim);
            if (!who.empty()) {
                break;
            }
        }
    }
    std::string line = who.empty() ? "logged in" : "logged in as " + printable(who);
    if (const auto expires = int_member(progress, "expires_at")) {
        line += ", token valid until " + local_clock(*expires, now);
    }
    return line + ", refreshes in the background";
}

ExitCode login_failure_exit(std::string_view code) {
    if (code == "access_denied" || code == "expired_token" || code == "state_mismatch") {
        return ExitCode::unusable_token;
    }
    return exit_code_for(errc_from_name(code));
}

ExitCode run_login(const cli::LoginCommand& command, DaemonClient& daemon) {
    auto connection = daemon.connect();
    if (!connection) {
        report_error(connection.error());
        return exit_code_for(connection.error().code);
    }
    LoginSession session(command, std::move(*connection));
    return session.run();
}

Result<void> run_whoami(const cli::WhoamiCommand& command, DaemonClient& daemon) {
    auto result = daemon.call(method_whoami, {{"name", command.name}}, call_timeout);
    if (!result) {
        return result.error();
    }
    if (command.json) {
        return print_stdout(json::serialize(*result) + '\n');
    }
    if (!result->is_object()) {
        return make_error(Errc::parse_error, "daemon answer is not an object");
    }
    const auto& o = result->get_object();
    std::string text;
    const auto row = [&](std::string_view label, std::string_view key) {
        const std::string value = text_member(o, key);
        if (!value.empty()) {
            text += std::string(label) + printable(value) + '\n';
        }
    };
    row("name:      ", "name_claim");
    row("username:  ", "preferred_username");
    row("email:     ", "email");
    row("subject:   ", "sub");
    row("issuer:    ", "issuer");
    if (const auto expires = int_member(o, "expires_at")) {
        text += "id token expires: " + format_rfc3339(*expires) + '\n';
    }
    if (text.empty()) {
        text = "the ID token names no one\n";
    }
    return print_stdout(text);
}

} // namespace credd
