// Session: one client connection — framing, limits, deadlines and dispatch.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "error.hh"
#include "watch_hub.hh"
#include "wiping_arena.hh"

namespace credd {

struct RpcContext;
class Session;

struct PeerIdentity {
    int pid = 0;
    unsigned uid = 0;
};

struct SessionOptions {
    std::chrono::milliseconds idle_timeout{60'000};
    // How long a client may leave its answers unread (never more than idle_timeout).
    std::chrono::milliseconds write_timeout{10'000};
    // Called once when the connection is closed, for the Listener's bookkeeping.
    std::function<void(Session*)> on_closed;
};

// Owned by its pending asynchronous operations (shared_from_this); the Listener keeps
// a plain pointer for shutdown until `on_closed` runs. Requests on one connection are
// handled strictly in order: the next line is not looked at until the previous one is
// answered, which bounds what a client can make us buffer to one line in and one batch
// of answers out. Both buffers and the parse arena are wiped after use, since they
// carry secrets (credential.add) and tokens (token.get).
//
// After token.watch the connection also receives token.changed notifications. Events
// are queued, the newest per credential replacing an older one (so the queue is bounded
// by the number of credentials, not by how fast they change), and each line, with its
// token, is built only when it is written: between answers (never inside one), while
// the session waits for the next request or before the answers of a batch. A client is
// disconnected only when it truly does not read: a write (the socket buffer full) that
// has not completed within write_timeout. A watching connection is exempt from the idle
// timeout.
class Session : public std::enable_shared_from_this<Session>, public Watcher {
public:
    using Socket = boost::asio::local::stream_protocol::socket;

    Session(Socket socket, PeerIdentity peer, RpcContext& rpc, SessionOptions options);
    ~Session();

    void start();
    // For shutdown: finish the request in hand and its answer, then close.
    void drain();

    void watch(std::optional<std::string> name, bool with_token) override;
    void unwatch() override;
    void on_watch_event(const WatchEvent& event) override;
    void notify(std::string line) override;
    void hold_open(bool held) override;
    bool is_closed() const override { return m_state == State::closed; }

private:
    enum class State { reading, handling, awaiting_reply, writing, closed };

    void read_more();
    void on_read(const boost::system::error_code& ec, std::size_t n);
    void process();
    void process_lines();
    void handle_line(std::string_view line);
    struct InFlight {
        boost::json::value id;
        bool notification = false;
        bool changes_state = false;
        std::string method;
        std::chrono::steady_clock::time_point started;
    };
    void on_reply(const InFlight& call, const Result<boost::json::value>& result);
    void flush();
    void start_write();
    std::string notification_line(const WatchEvent& event);
    void on_written(const boost::system::error_code& ec);
    void arm_deadline();
    void on_deadline(const boost::system::error_code& ec);
    void close();
    void grow_input();
    void compact_input();

    Socket m_socket;
    boost::asio::steady_timer m_timer;
    PeerIdentity m_peer;
    RpcContext& m_rpc;
    SessionOptions m_options;
    State m_state = State::reading;
    bool m_in_handler = false; // a reply now is synchronous, inside process_lines
    bool m_close_after_write = false;
    bool m_draining = false;
    std::chrono::steady_clock::time_point m_deadline;
    std::string m_in; // [m_begin, m_end) holds unprocessed bytes
    std::size_t m_begin = 0;
    std::size_t m_end = 0;
    std::string m_out; // answers of the current batch
    WipingArena m_arena;
    // token.watch
    bool m_watching = false;
    bool m_watch_token = false;
    std::optional<std::string> m_watch_name;     // nullopt: every credential
    std::map<std::string, WatchEvent> m_pending; // newest event per credential, unwritten
    std::deque<std::string> m_pending_order;     // their names, oldest first
    std::deque<std::string> m_ready_lines;       // ready-made ones (login.progress), in order
    std::vector<std::string> m_notes_writing;    // the ones in the write in flight
    bool m_write_in_flight = false;
    bool m_write_has_answers = false; // the write in flight is m_out
    std::chrono::steady_clock::time_point m_write_started;
    std::chrono::steady_clock::time_point m_read_deadline;
    WipingArena m_note_arena{2048};
    int m_logins = 0; // logins running for this connection (login.start)
};

} // namespace credd
