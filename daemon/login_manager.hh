// LoginManager: interactive logins (login.start, login.complete, login.cancel) — the
// device authorization grant (RFC 8628) and authorization code + PKCE on a loopback
// redirect (RFC 8252), run by the daemon so any client (cred, an editor plugin) only asks,
// shows and waits.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/json/object.hpp>

#include "error.hh"
#include "http_client.hh"

namespace boost::asio {
class io_context;
}

namespace credd {

class Broker;
class Watcher;

// How long an authorization code login waits for its redirect (or login.complete).
inline constexpr std::int64_t login_redirect_timeout_ms = 10LL * 60 * 1000;

// Owned by the Daemon; lives on the I/O thread. One login per credential at a time, each
// tied to the connection that started it (the Watcher it reports to with login.progress
// notifications): when that connection closes, its logins are cancelled — polling stops,
// the listener closes. A successful login is committed to the store through the
// Broker (refresh token, access token, expiry, ID token, the discovered endpoints) before
// `succeeded` is sent; the Refresher then plans the credential like any refreshed one.
class LoginManager {
public:
    LoginManager(boost::asio::io_context& io, Broker& broker, HttpClient& http);
    ~LoginManager();
    LoginManager(const LoginManager&) = delete;
    LoginManager& operator=(const LoginManager&) = delete;

    // login.start: `reply` gets the result object (device: verification_uri, user_code…;
    // auth-code: authorization_url, redirect_uri) once discovery and, for the device
    // flow, the device authorization request are done. The caller has the data key.
    void start(const std::string& name, bool open_listener, Watcher* peer,
               std::function<void(Result<boost::json::object>)> reply);
    // login.complete: a pasted redirect URL (its state checked) or a bare code.
    Result<void> complete(const std::string& login_id, const boost::json::object& params);
    // login.cancel: the terminal `cancelled` notification follows.
    Result<void> cancel(const std::string& login_id);
    // The connection `peer` closed: its logins end without a word.
    void connection_closed(Watcher* peer);
    // Shutdown: every login is cancelled.
    void stop();

    std::size_t active() const { return m_logins.size(); }
    // Called after a login's result is stored (a commit through the Broker's refresh
    // path tells no change listener): the Refresher plans the credential, watchers hear.
    void set_listener(std::function<void(const std::string& name)> listener) {
        m_listener = std::move(listener);
    }

    struct Login;

private:
    using LoginPtr = std::shared_ptr<Login>;

    bool alive(const LoginPtr& l) const;
    void resolve_endpoints(const LoginPtr& l);
    void begin(const LoginPtr& l);
    void begin_device(const LoginPtr& l);
    void begin_auth_code(const LoginPtr& l);
    void schedule_poll(const LoginPtr& l);
    void poll(const LoginPtr& l);
    void post_token_request(const LoginPtr& l, HttpRequest r,
                            std::function<void(const LoginPtr&, HttpResult&)> then);
    void on_redirect(const LoginPtr& l, const std::map<std::string, std::string>& query);
    void exchange_code(const LoginPtr& l, std::string code);
    void on_token_answer(const LoginPtr& l, HttpResponse& response);
    // Ends the login before login.start was answered: the error is the answer.
    void fail_start(const LoginPtr& l, Error e);
    // Ends the login with a terminal notification (`failed` when `error` is set).
    void fail(const LoginPtr& l, Errc code, std::string message, std::string hint = {});
    void finish(const LoginPtr& l, boost::json::object progress);
    void notify(const Login& l, boost::json::object progress) const;
    void remove(const LoginPtr& l);

    boost::asio::io_context& m_io;
    Broker& m_broker;
    HttpClient& m_http;
    std::map<std::string, LoginPtr, std::less<>> m_logins; // by login_id
    std::uint64_t m_next_id = 1;
    std::function<void(const std::string&)> m_listener;
};

} // namespace credd
