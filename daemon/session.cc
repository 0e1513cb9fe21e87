// Session: reading lines, answering them in order, and enforcing every limit.
#include "session.hh"

#include <algorithm>
#include <cstring>
#include <exception>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "broker.hh"
#include "login_manager.hh"
#include "protocol.hh"
#include "refresher.hh"
#include "rpc_methods.hh"
#include "secret.hh"
#include "utf8.hh"

namespace credd {

namespace json = boost::json;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t initial_input_bytes = 4096;
// A line may be max_line_bytes long plus its '\n'.
constexpr std::size_t max_input_bytes = protocol::max_line_bytes + 1;
// Notification lines built for one write: the rest stay queued as events (and keep
// coalescing), so a burst never holds more than this many tokens in memory at once.
constexpr std::size_t max_notifications_per_write = 64;
// Ready-made notifications (login.progress) come a few per login; this many unwritten
// means the client stopped reading.
constexpr std::size_t max_ready_lines = 256;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

} // namespace

Session::Session(Socket socket, PeerIdentity peer, RpcContext& rpc, SessionOptions options)
    : m_socket(std::move(socket)), m_timer(m_socket.get_executor()), m_peer(peer), m_rpc(rpc),
      m_options(std::move(options)) {
    m_in.resize(initial_input_bytes);
}

// close() unregisters a watcher: a live session always has its timer pending, so one
// is only destroyed unclosed when the io_context goes, after the WatchHub.
Session::~Session() {
    wipe(m_in);
    wipe(m_out);
    for (auto& s : m_notes_writing) {
        wipe(s);
    }
}

void Session::start() {
    m_deadline = Clock::now() + m_options.idle_timeout;
    arm_deadline();
    read_more();
}

void Session::drain() {
    m_draining = true;
    if (m_state == State::reading) {
        // Nothing in hand: stop waiting for a request that may never come.
        close();
    }
}

void Session::read_more() {
    if (m_draining) {
        return close();
    }
    m_state = State::reading;
    m_deadline = Clock::now() + m_options.idle_timeout;
    m_read_deadline = m_deadline;
    if (m_end == m_in.size()) {
        grow_input();
    }
    m_socket.async_read_some(asio::buffer(m_in.data() + m_end, m_in.size() - m_end),
                             [self = shared_from_this()](const boost::system::error_code& ec,
                                                         std::size_t n) { self->on_read(ec, n); });
    // Notifications that arrived while a request was in hand go out now.
    start_write();
}

void Session::on_read(const boost::system::error_code& ec, std::size_t n) {
    if (m_state != State::reading) {
        return; // closed, or answering an idle timeout: what arrives now is dropped
    }
    if (ec) {
        if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
            spdlog::debug("connection from pid {}: read failed: {}", m_peer.pid, ec.message());
        }
        return close();
    }
    m_end += n;
    process();
}

// The one place a connection's exceptions stop: a bug or exhaustion while handling
// one client closes that client, never the daemon.
void Session::process() {
    try {
        process_lines();
    } catch (const std::exception& e) {
        spdlog::error("connection from pid {}: closed after internal error: {}", m_peer.pid,
                      e.what());
        close();
    }
}

void Session::process_lines() {
    m_state = State::handling;
    while (m_state == State::handling && !m_close_after_write) {
        const char* begin = m_in.data() + m_begin;
        const char* end = m_in.data() + m_end;
        const char* newline = std::find(begin, end, '\n');
        if (newline == end) {
            if (m_end - m_begin >= max_input_bytes) {
                on_reply(InFlight{nullptr, false, false, {}, Clock::now()},
                         make_error(Errc::line_too_long, "request line longer than 65536 bytes"));
                m_close_after_write = true;
            }
            break;
        }
        std::string_view line(begin, static_cast<std::size_t>(newline - begin));
        m_begin = static_cast<std::size_t>(newline - m_in.data()) + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (!line.empty()) {
            handle_line(line);
        }
    }
    if (m_state != State::handling) {
        return; // waiting for an asynchronous answer, or closed
    }
    compact_input();
    if (!m_out.empty()) {
        return flush();
    }
    read_more();
}

void Session::handle_line(std::string_view line) {
    InFlight call{nullptr, false, false, {}, Clock::now()};
    // Everything parsed for the previous request has been answered and serialised.
    m_arena.reset();
    auto request = protocol::parse_request(line, call.id, json::storage_ptr(&m_arena));
    if (!request) {
        return on_reply(call, request.error());
    }
    call.notification = request->notification;
    // Cut at a character boundary: the name is echoed in a message that must stay UTF-8.
    call.method = std::string(utf8_prefix(request->method, 64));
    const RpcMethod* method = find_rpc_method(request->method);
    if (!method) {
        return on_reply(call,
                        make_error(Errc::method_not_found, "unknown method \"" + call.method + '"',
                                   "see credd-protocol(7) for the methods"));
    }
    m_state = State::awaiting_reply;
    m_in_handler = true;
    call.changes_state = method->changes_state;
    method->handler(RpcCall{m_rpc, request->params, json::storage_ptr(&m_arena),
                            [self = shared_from_this(), call](Result<json::value> result) {
                                self->on_reply(call, result);
                            },
                            this});
    m_in_handler = false;
}

void Session::on_reply(const InFlight& call, const Result<json::value>& result) {
    if (m_state == State::closed) {
        return;
    }
    const std::string_view method = call.method.empty() ? "-" : std::string_view(call.method);
    const std::string_view outcome = result ? "ok" : code_name(result.error().code);
    const auto level = !result || call.changes_state ? spdlog::level::info : spdlog::level::debug;
    spdlog::log(level, "{} {} {:.3f}ms pid {}", method, outcome, ms_since(call.started),
                m_peer.pid);
    // JSON-RPC: a notification (no "id") is never answered, not even with an error.
    if (!call.notification) {
        if (result) {
            protocol::append_result_line(m_out, call.id, *result);
        } else {
            protocol::append_error_line(m_out, call.id, result.error());
        }
    }
    const bool was_async = m_state == State::awaiting_reply && !m_in_handler;
    m_state = State::handling;
    if (was_async) {
        process();
    }
}

void Session::flush() {
    m_state = State::writing;
    m_deadline = Clock::now() + std::min(m_options.idle_timeout, m_options.write_timeout);
    // The lazy timer may be set for a later read deadline; a stalled writer must be
    // caught on time, so pull it in.
    if (m_timer.expiry() > m_deadline) {
        arm_deadline();
    }
    start_write();
}

// The one writer: one write at a time, each of whole lines, so a notification never
// lands inside an answer. Queued notifications go first (while waiting for a request,
// or ahead of a batch's answers); the answers follow once they are written.
void Session::start_write() {
    if (m_write_in_flight || m_state == State::closed) {
        return;
    }
    std::vector<asio::const_buffer> buffers;
    if ((!m_ready_lines.empty() || !m_pending_order.empty()) &&
        (m_state == State::reading || m_state == State::writing)) {
        m_write_has_answers = false;
        // Built now, not when queued: the token in each line is the one token.get would
        // serve at this moment.
        try {
            while (!m_ready_lines.empty() && m_notes_writing.size() < max_notifications_per_write) {
                m_notes_writing.push_back(std::move(m_ready_lines.front()));
                m_ready_lines.pop_front();
            }
            while (!m_pending_order.empty() &&
                   m_notes_writing.size() < max_notifications_per_write) {
                const auto event = m_pending.extract(m_pending_order.front());
                m_pending_order.pop_front();
                m_notes_writing.push_back(notification_line(event.mapped()));
            }
        } catch (const std::exception& e) {
            spdlog::error("connection from pid {}: closed after internal error: {}", m_peer.pid,
                          e.what());
            return close();
        }
        for (const auto& s : m_notes_writing) {
            buffers.emplace_back(asio::buffer(s));
        }
    } else if (m_state == State::writing) {
        m_write_has_answers = true;
        buffers.emplace_back(asio::buffer(m_out));
    } else {
        return;
    }
    m_write_in_flight = true;
    m_write_started = Clock::now();
    if (m_state == State::reading) {
        // A client that stops reading its notifications is caught like one that stops
        // reading its answers.
        m_deadline = std::min(m_deadline, m_write_started + m_options.write_timeout);
        if (m_timer.expiry() > m_deadline) {
            arm_deadline();
        }
    }
    asio::async_write(m_socket, buffers,
                      [self = shared_from_this()](const boost::system::error_code& ec,
                                                  std::size_t) { self->on_written(ec); });
}

void Session::on_written(const boost::system::error_code& ec) {
    m_write_in_flight = false;
    // Answers and notifications may hold tokens: wipe them once the kernel has them.
    if (m_write_has_answers) {
        wipe(m_out);
    } else {
        for (auto& s : m_notes_writing) {
            wipe(s);
        }
        m_notes_writing.clear();
    }
    if (m_state == State::closed) {
        return;
    }
    if (ec) {
        return close();
    }
    if (!m_write_has_answers) {
        if (m_state == State::reading) {
            m_deadline = m_read_deadline;
        }
        return start_write(); // more notifications, or the answers waiting behind them
    }
    if (m_close_after_write) {
        return close();
    }
    process();
}

void Session::watch(std::optional<std::string> name, bool with_token) {
    m_watch_name = std::move(name);
    m_watch_token = with_token;
    if (!m_watching && m_rpc.watch_hub) {
        m_rpc.watch_hub->add(this);
        m_watching = true;
    }
}

void Session::unwatch() {
    if (m_watching && m_rpc.watch_hub) {
        m_rpc.watch_hub->remove(this);
    }
    m_watching = false;
    m_watch_name.reset();
    // Events queued before the unwatch are not sent after its answer.
    m_pending.clear();
    m_pending_order.clear();
}

void Session::on_watch_event(const WatchEvent& event) {
    if (m_state == State::closed || !m_watching || (m_watch_name && *m_watch_name != event.name)) {
        return;
    }
    // The newest event per credential replaces an older one still queued: the queue is
    // bounded by the number of credentials, however fast they change, and a client whose
    // own request is in hand meanwhile loses nothing but superseded states.
    try {
        const auto [it, inserted] = m_pending.insert_or_assign(event.name, event);
        if (inserted) {
            m_pending_order.push_back(it->first);
        }
    } catch (const std::exception& e) {
        spdlog::error("connection from pid {}: closed after internal error: {}", m_peer.pid,
                      e.what());
        return close();
    }
    start_write();
}

void Session::notify(std::string line) {
    if (m_state == State::closed) {
        return;
    }
    if (m_ready_lines.size() >= max_ready_lines) {
        spdlog::warn("connection from pid {}: not reading its notifications ({} unwritten); "
                     "closed",
                     m_peer.pid, m_ready_lines.size());
        return close();
    }
    m_ready_lines.push_back(std::move(line));
    start_write();
}

void Session::hold_open(bool held) {
    m_logins += held ? 1 : -1;
}

// Built in the session's own wiping arena (the token is a secret) and serialised
// straight into a line reserved large enough that it never reallocates.
std::string Session::notification_line(const WatchEvent& event) {
    std::string line;
    {
        const json::storage_ptr sp(&m_note_arena);
        json::object params(
            {{"name", event.name},
             {"status", event.status},
             {"expires_at", event.expires_at ? json::value(*event.expires_at) : nullptr},
             {"generation", event.generation ? json::value(*event.generation) : nullptr}},
            sp);
        std::size_t token_bytes = 0;
        if (m_watch_token && event.generation) {
            // Only a token that token.get would serve now: key loaded, not expired, and
            // for a refreshed kind not refused by a server.
            const UnixMs now = now_ms();
            auto token = m_rpc.broker.get_token(TokenQuery{event.name, {}, {}, 0}, now);
            if (token && !token->token.empty() &&
                (!is_refreshable_kind(token->record.kind) || m_rpc.refresher == nullptr ||
                 m_rpc.refresher->can_serve(event.name))) {
                params["token"] = token->token;
                token_bytes = token->token.size();
            }
        }
        // JSON escapes at most 6 bytes for 1.
        line.reserve(512 + 6 * (event.name.size() + token_bytes));
        line += R"({"jsonrpc":"2.0","method":")";
        line += protocol::notification_token_changed;
        line += R"(","params":)";
        protocol::append_json(line, params);
        line += "}\n";
    }
    m_note_arena.reset();
    return line;
}

void Session::grow_input() {
    // Grow by copying into a fresh buffer and wiping the old one: std::string's own
    // reallocation would free the old bytes unwiped.
    std::string bigger(std::min(m_in.size() * 4, max_input_bytes), '\0');
    std::copy(m_in.begin() + static_cast<std::ptrdiff_t>(m_begin),
              m_in.begin() + static_cast<std::ptrdiff_t>(m_end), bigger.begin());
    wipe(m_in);
    m_in = std::move(bigger);
    m_end -= m_begin;
    m_begin = 0;
}

void Session::compact_input() {
    if (m_begin == 0) {
        return;
    }
    const std::size_t rest = m_end - m_begin;
    std::memmove(m_in.data(), m_in.data() + m_begin, rest);
    wipe(m_in.data() + rest, m_end - rest);
    m_begin = 0;
    m_end = rest;
}

// One timer per connection, re-armed lazily: operations only move m_deadline, and the
// timer, when it fires early, sleeps again until the current deadline. That keeps the
// per-request cost to reading the clock.
void Session::arm_deadline() {
    m_timer.expires_at(m_deadline);
    m_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        self->on_deadline(ec);
    });
}

void Session::on_deadline(const boost::system::error_code& ec) {
    if (ec || m_state == State::closed) {
        return;
    }
    if (m_write_in_flight && m_state != State::writing &&
        Clock::now() >= m_write_started + m_options.write_timeout) {
        spdlog::warn("connection from pid {}: not reading its notifications for {}s; closed",
                     m_peer.pid, m_options.write_timeout.count() / 1000);
        return close();
    }
    if (m_state == State::awaiting_reply || Clock::now() < m_deadline) {
        // The daemon itself is busy (its own deadlines apply there), or there was
        // activity since the timer was set.
        if (m_state == State::awaiting_reply) {
            m_deadline = Clock::now() + m_options.idle_timeout;
        }
        return arm_deadline();
    }
    if (m_state == State::writing) {
        spdlog::warn("connection from pid {}: not reading its answers for {}s; closed", m_peer.pid,
                     m_options.write_timeout.count() / 1000);
        return close();
    }
    if (m_watching || m_logins > 0) {
        // A watcher (or a login) waits for notifications: silence is what it is expected
        // to send.
        m_deadline = Clock::now() + m_options.idle_timeout;
        if (m_write_in_flight) {
            m_deadline = std::min(m_deadline, m_write_started + m_options.write_timeout);
        }
        m_read_deadline = m_deadline;
        return arm_deadline();
    }
    spdlog::info("connection from pid {}: idle for {}s; closed", m_peer.pid,
                 m_options.idle_timeout.count() / 1000);
    protocol::append_error_line(m_out, nullptr,
                                make_error(Errc::idle_timeout, "connection idle too long; closed",
                                           "reconnect and send a request"));
    m_close_after_write = true;
    flush();
    arm_deadline();
}

void Session::close() {
    if (m_state == State::closed) {
        return;
    }
    m_state = State::closed;
    if (m_watching && m_rpc.watch_hub) {
        m_rpc.watch_hub->remove(this);
    }
    m_watching = false;
    if (m_rpc.logins) {
        m_rpc.logins->connection_closed(this); // its logins die with it
    }
    m_pending.clear();
    m_pending_order.clear();
    m_ready_lines.clear();
    boost::system::error_code ignored;
    m_timer.cancel();
    m_socket.close(ignored);
    wipe(m_in);
    wipe(m_out);
    m_arena.reset();
    if (m_options.on_closed) {
        m_options.on_closed(this);
    }
}

} // namespace credd
