// DaemonClient: connect, autostart on "nobody listening", one request per call.
#include "daemon_client.hh"

#include <cerrno>
#include <utility>

#include <poll.h>

#include "connection.hh"
#include "daemon_launcher.hh"
#include "protocol.hh"
#include "secret.hh"

namespace credd {

namespace {

using namespace std::chrono_literals;

constexpr auto connect_timeout = 5s;
// After a start attempt that reported an error: another cred may have won the race
// to start the daemon, whose own credd is still binding its socket.
constexpr auto race_grace = 500ms;

// ENOENT: no socket file; ECONNREFUSED: a file nobody listens on (a daemon that was
// killed). Both mean "no daemon", the only case in which starting one is right.
bool nobody_listening(const boost::system::error_code& ec) {
    return ec.value() == ENOENT || ec.value() == ECONNREFUSED;
}

std::string describe(const boost::system::error_code& ec) {
    std::string text = ec.message();
    if (!text.empty() && text.front() >= 'A' && text.front() <= 'Z') {
        text.front() = static_cast<char>(text.front() - 'A' + 'a');
    }
    return text;
}

boost::system::result<Connection> open_until(const std::string& path, Deadline deadline) {
    for (;;) {
        auto connection = Connection::open(path, deadline);
        if (connection || !nobody_listening(connection.error()) || deadline.has_passed()) {
            return connection;
        }
        ::poll(nullptr, 0, 10);
    }
}

} // namespace

DaemonClient::DaemonClient(DaemonClientOptions options) : m_options(std::move(options)) {}

Result<boost::json::value> DaemonClient::call(std::string_view method,
                                              const boost::json::object& params,
                                              std::chrono::milliseconds timeout) {
    std::string line = protocol::make_request_line(1, method, params);
    return call_line(line, timeout);
}

Result<boost::json::value> DaemonClient::call_line(std::string& line,
                                                   std::chrono::milliseconds timeout) {
    auto connection = reach();
    if (!connection) {
        wipe(line);
        return connection.error();
    }
    return connection->exchange(line, Deadline::after(timeout));
}

Result<Connection> DaemonClient::connect() const {
    return reach();
}

Result<Connection> DaemonClient::reach() const {
    const std::string& path = m_options.socket_path;
    auto first = Connection::open(path, Deadline::after(connect_timeout));
    if (first) {
        return std::move(*first);
    }
    if (!nobody_listening(first.error())) {
        return unreachable("cannot reach daemon", describe(first.error()), {});
    }
    if (!m_options.autostart) {
        return unreachable("daemon not running", describe(first.error()), start_hint());
    }
    auto daemon = find_daemon();
    if (!daemon) {
        return unreachable("daemon not running", daemon.error().message, daemon.error().hint);
    }
    auto launched = launch_daemon(LaunchRequest{*daemon, path});
    const auto grace = launched ? connect_timeout : race_grace;
    auto second = open_until(path, Deadline::after(std::chrono::milliseconds(grace)));
    if (second) {
        return std::move(*second);
    }
    if (!launched) {
        return unreachable("daemon not running", launched.error().message, launched.error().hint);
    }
    return unreachable("daemon started but cannot be reached", describe(second.error()),
                       "run credd in a terminal to see its log");
}

Error DaemonClient::unreachable(std::string_view state, std::string_view why,
                                std::string hint) const {
    return make_error(Errc::daemon_unreachable,
                      std::string(state) + " at " + m_options.socket_path + ": " + std::string(why),
                      std::move(hint));
}

std::string DaemonClient::start_hint() const {
    if (m_options.socket_is_default) {
        return "start it with: credd";
    }
    return "start it with: credd --socket " + m_options.socket_path;
}

} // namespace credd
