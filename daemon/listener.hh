// Listener: owns the daemon's socket — its directory, lock, bind, and the accept loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <unordered_set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "error.hh"

namespace credd {

struct RpcContext;
class Session;

struct ListenerOptions {
    std::string socket_path;
    std::size_t max_connections = 256;
    std::chrono::milliseconds idle_timeout{60'000};
    // A listening socket systemd passed (take_activated_socket), served instead of
    // binding one; it is not removed on stop, since systemd owns it. -1: bind our own.
    int activated_fd = -1;
    // Called with the number of open connections each time it changes.
    std::function<void(std::size_t)> on_connections_changed = {};
};

// Owned by the Daemon. `open` makes the socket safe to serve (private directory,
// one daemon per socket through a lock file, stale socket replaced, umask around
// bind); `start` accepts connections and hands each checked peer to a Session.
class Listener {
public:
    Listener(boost::asio::io_context& io, ListenerOptions options);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    Result<void> open();
    void start(RpcContext& rpc);
    // Stops accepting, removes the socket, and asks every session to finish;
    // `on_drained` runs once the last one has closed (at once if there are none).
    void stop(std::function<void()> on_drained = {});

    std::size_t connections() const { return m_sessions.size(); }
    const std::string& socket_path() const { return m_options.socket_path; }

private:
    Result<void> lock();
    Result<void> bind();
    Result<void> adopt();
    void accept();
    void on_readable(const boost::system::error_code& ec);
    void back_off();
    void serve(int fd);
    void forget(Session* session);

    boost::asio::io_context& m_io;
    ListenerOptions m_options;
    boost::asio::local::stream_protocol::acceptor m_acceptor;
    boost::asio::steady_timer m_backoff;
    std::chrono::milliseconds m_backoff_delay{0};
    RpcContext* m_rpc = nullptr;
    unsigned m_uid; // ours: the only one allowed to connect
    int m_lock_fd = -1;
    bool m_bound = false;
    bool m_stopped = false;
    std::unordered_set<Session*> m_sessions;
    std::function<void()> m_on_drained;
};

} // namespace credd
