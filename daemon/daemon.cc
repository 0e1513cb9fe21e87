// Daemon: start-up order, readiness, signals and graceful shutdown.
#include "daemon.hh"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include "activated_socket.hh"
#include "broker.hh"
#include "exec_strategy.hh"
#include "full_write.hh"
#include "http_client.hh"
#include "key_gate.hh"
#include "listener.hh"
#include "lmdb_store.hh"
#include "login_manager.hh"
#include "oauth2_strategy.hh"
#include "refresher.hh"
#include "rpc_methods.hh"
#include "sealer.hh"
#include "service_notifier.hh"
#include "watch_hub.hh"
#include "worker.hh"

namespace credd {

namespace asio = boost::asio;

namespace {

// Longest a graceful shutdown waits for in-flight requests before it stops anyway.
constexpr std::chrono::seconds shutdown_grace{5};
// The expiry check runs at least this often, so a changed wall clock is noticed.
constexpr std::chrono::hours max_expiry_check_interval{1};

} // namespace

// Declaration order is destruction order in reverse: the worker goes first (finishing
// queued store writes while the store still exists), the io_context last.
struct Daemon::Parts {
    asio::io_context io{1};
    asio::signal_set signals{io, SIGTERM, SIGINT};
    asio::steady_timer expiry_timer{io};
    asio::steady_timer shutdown_timer{io};
    asio::steady_timer exit_idle_timer{io};
    ServiceNotifier notifier;
    // Serving a socket systemd passed.
    bool activated = false;
    bool stopping = false;        // set on SIGTERM/SIGINT: nothing new is scheduled after it
    bool sessions_closed = false; // after SIGTERM, once the listener's last session closed
    std::unique_ptr<Store> store;
    std::unique_ptr<Broker> broker;
    std::unique_ptr<KeyGate> key_gate;
    std::unique_ptr<HttpClient> http;
    std::unique_ptr<OAuth2Strategy> oauth2;
    std::unique_ptr<ExecStrategy> exec;
    std::unique_ptr<Refresher> refresher;
    std::unique_ptr<WatchHub> watch_hub;
    std::unique_ptr<LoginManager> logins;
    std::unique_ptr<Listener> listener;
    DaemonInfo info;
    std::unique_ptr<RpcContext> rpc;
    std::unique_ptr<Worker> worker;
    // Key store calls (D-Bus, key file) have their own thread: a keyring that hangs
    // until its deadline holds up no store write.
    std::unique_ptr<Worker> key_worker;
};

Daemon::Daemon(DaemonOptions options)
    : m_options(std::move(options)), m_parts(std::make_unique<Parts>()) {}

Daemon::~Daemon() = default;

namespace {

void schedule_expiry_check(Broker& broker, asio::steady_timer& timer) {
    const UnixMs now = now_ms();
    const auto next = broker.check_expiry(now);
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(max_expiry_check_interval);
    if (next) {
        delay = std::min(delay, std::chrono::milliseconds(*next - now + 1));
    }
    timer.expires_after(delay);
    timer.async_wait([&broker, &timer](const boost::system::error_code& ec) {
        if (!ec) {
            schedule_expiry_check(broker, timer);
        }
    });
}

// The refresh engine: HTTP client, one strategy per refreshable kind, and the Refresher,
// which plans every stored credential before the first client is served.
Result<void> open_refresher(const DaemonOptions& o, auto& p) {
    HttpClientOptions http;
    http.ca_file = o.ca_file;
    http.request_timeout = o.http_timeout;
    // Read once: a proxy setting credd cannot use stops start-up with a clear line
    // rather than failing every refresh later.
    auto proxy = read_proxy_environment();
    if (!proxy) {
        return proxy.error();
    }
    if (*proxy) {
        spdlog::info("https token requests go through the proxy {}{} (NO_PROXY: {} entries)",
                     (*proxy)->display,
                     (*proxy)->authorization.empty() ? "" : " with credentials from HTTPS_PROXY",
                     (*proxy)->no_proxy.size());
    }
    http.proxy = std::move(*proxy);
    p.http = std::make_unique<HttpClient>(p.io, std::move(http));
    if (auto r = p.http->init(); !r) {
        return r;
    }
    p.oauth2 = std::make_unique<OAuth2Strategy>(*p.http);
    p.exec = std::make_unique<ExecStrategy>(p.io);
    RefresherOptions refresher_options;
    refresher_options.max_concurrent = o.max_refreshes;
    p.refresher = std::make_unique<Refresher>(p.io, *p.broker, refresher_options);
    p.refresher->add_strategy(std::string(kind_oauth2_refresh_token), *p.oauth2);
    p.refresher->add_strategy(std::string(kind_oauth2_client_credentials), *p.oauth2);
    p.refresher->add_strategy(std::string(kind_exec), *p.exec);
    // After a login, device and auth-code credentials refresh like oauth2-refresh-token.
    p.refresher->add_strategy(std::string(kind_device), *p.oauth2);
    p.refresher->add_strategy(std::string(kind_auth_code), *p.oauth2);
    p.logins = std::make_unique<LoginManager>(p.io, *p.broker, *p.http);
    p.watch_hub = std::make_unique<WatchHub>(*p.broker, p.refresher.get());
    // The Refresher re-plans first, so a watcher is told "refreshing" when a change
    // starts a refresh.
    p.broker->set_change_listener([&p](const std::string& name) {
        p.refresher->on_changed(name);
        p.watch_hub->changed(name);
    });
    p.refresher->set_listener([&p](const std::string& name) { p.watch_hub->changed(name); });
    p.logins->set_listener([&p](const std::string& name) {
        p.refresher->on_changed(name);
        p.watch_hub->changed(name);
    });
    p.broker->set_reject_handler([&p](const std::string& name, std::string_view token) {
        return p.refresher->reject_token(name, token);
    });
    p.refresher->start();
    return {};
}

// With --exit-idle-time: once no connection is open, a timer; a new one cancels it.
// Only under socket activation, where systemd holds the socket and starts credd again.
void watch_idle(const DaemonOptions& o, auto& p, std::size_t open_connections) {
    if (!o.exit_idle_time || p.stopping) {
        return;
    }
    if (open_connections > 0) {
        p.exit_idle_timer.cancel();
        return;
    }
    p.exit_idle_timer.expires_after(*o.exit_idle_time);
    p.exit_idle_timer.async_wait([&o, &p](const boost::system::error_code& ec) {
        if (!ec && p.listener->connections() == 0) {
            spdlog::info("no connection for {}s: exiting; the socket starts credd again",
                         o.exit_idle_time->count());
            // The same graceful path as `systemctl --user stop credd`.
            ::raise(SIGTERM);
        }
    });
}

// The socket (passed by systemd, or our own) and its lock: a second daemon must stop
// before it touches the store.
Result<void> open_listener(const DaemonOptions& o, auto& p) {
    auto activated = take_activated_socket();
    if (!activated) {
        return activated.error();
    }
    p.activated = activated->has_value();
    if (o.exit_idle_time && !p.activated) {
        return make_error(Errc::invalid_params,
                          "--exit-idle-time: only with a socket passed by systemd, which "
                          "starts credd again on the next connection",
                          "enable credd.socket (systemctl --user enable --now credd.socket), "
                          "or drop --exit-idle-time");
    }
    p.listener = std::make_unique<Listener>(
        p.io, ListenerOptions{p.activated ? (*activated)->path : o.socket_path, o.max_connections,
                              o.idle_timeout, p.activated ? (*activated)->fd : -1,
                              [&o, &p](std::size_t n) { watch_idle(o, p, n); }});
    return p.listener->open();
}

Result<void> open_parts(const DaemonOptions& o, auto& p) {
    // The socket lock first: a second daemon must stop before it touches the store.
    if (auto r = open_listener(o, p); !r) {
        return r;
    }
    // Opened without the key: records are readable and what needs no secret is served
    // while the KeyGate finds the key (or says why it cannot).
    auto store = LmdbStore::open(o.data_dir);
    if (!store) {
        return store.error();
    }
    p.store = std::move(*store);
    auto has_key = p.store->has_key();
    if (!has_key) {
        return has_key.error();
    }
    p.worker = std::make_unique<Worker>(p.io);
    p.key_worker = std::make_unique<Worker>(p.io, Worker::on_exit::drop_queued);
    // A change may bring an expiry transition closer than the timer is set for.
    p.broker = std::make_unique<Broker>(*p.store, *p.worker, [&p] {
        // A key loaded after SIGTERM must not re-arm the timer shutdown cancelled.
        if (!p.stopping) {
            schedule_expiry_check(*p.broker, p.expiry_timer);
        }
    });
    if (auto r = p.broker->load(now_ms()); !r) {
        return r;
    }
    p.key_gate = std::make_unique<KeyGate>(
        KeyGateOptions{o.key_store, o.key_file, p.store->path(), {o.keyring_timeout}}, *p.broker,
        *p.key_worker, *has_key);
    if (auto r = open_refresher(o, p); !r) {
        return r;
    }
    p.info = DaemonInfo{p.listener->socket_path(), p.store->path(), p.key_gate->protection(),
                        p.key_gate->location(), std::chrono::steady_clock::now()};
    p.rpc = std::make_unique<RpcContext>(RpcContext{
        *p.broker, p.info, p.key_gate.get(), p.refresher.get(), p.watch_hub.get(), p.logins.get()});
    return {};
}

// Says why start-up failed: the log, --ready-fd and systemd.
void report_start_failure(const DaemonOptions& o, auto& p, const Error& e) {
    spdlog::error("{}", e.message);
    if (!e.hint.empty()) {
        spdlog::error("hint: {}", e.hint);
    }
    if (o.ready_fd) {
        write_all(*o.ready_fd,
                  "ERROR " + e.message + (e.hint.empty() ? "" : "; hint: " + e.hint) + "\n");
        ::close(*o.ready_fd);
    }
    p.notifier.failed(e.message);
}

// SIGTERM/SIGINT: stop accepting, give up a key load, let the requests in flight finish
// within the grace period, then leave the loop.
void stop_gracefully(auto& p, int signo) {
    spdlog::info("signal {}: finishing requests in flight, then exiting", signo);
    p.stopping = true;
    p.expiry_timer.cancel();
    p.exit_idle_timer.cancel();
    p.notifier.stopping("finishing requests in flight");
    // A key load waiting on a hung keyring gives up now, not at its deadline.
    p.key_gate->cancel();
    // No new refresh starts; one in flight may be spending a refresh token, so it gets
    // the grace period to commit the rotated one.
    p.refresher->stop();
    // A command (exec kind) has no token to commit and may run for its whole deadline:
    // its process group is killed now, so the exit does not wait for it.
    p.exec->stop();
    p.logins->stop();
    // Sessions with a request in hand finish it and its answer; the grace timer
    // bounds how long a stuck one can hold the exit. Once the last session has
    // closed nothing is left on the loop and run() returns.
    p.shutdown_timer.expires_after(shutdown_grace);
    p.shutdown_timer.async_wait([&p](const boost::system::error_code& ec2) {
        if (!ec2) {
            spdlog::warn("shutdown: requests still in flight after {}s; exiting anyway",
                         shutdown_grace.count());
            p.io.stop();
        }
    });
    // Done when the last session has closed and the last refresh in flight has ended.
    p.refresher->set_on_drained([&p] {
        if (p.sessions_closed) {
            p.shutdown_timer.cancel();
        }
    });
    p.listener->stop([&p] {
        p.sessions_closed = true;
        if (p.refresher->in_flight() == 0) {
            p.shutdown_timer.cancel();
        }
    });
}

} // namespace

int Daemon::run() {
    auto& p = *m_parts;
    if (auto opened = open_parts(m_options, p); !opened) {
        report_start_failure(m_options, p, opened.error());
        return 1;
    }
    p.listener->start(*p.rpc);
    p.key_gate->start();
    schedule_expiry_check(*p.broker, p.expiry_timer);
    p.signals.async_wait([&p](const boost::system::error_code& ec, int signo) {
        if (!ec) {
            stop_gracefully(p, signo);
        }
    });
    spdlog::info("credd {} serving {}{} (store {}, key store: {})", CREDD_VERSION,
                 p.info.socket_path, p.activated ? " (socket-activated)" : "", p.info.store_path,
                 m_options.key_store);
    // Only now: the store is open and the socket is served.
    p.notifier.ready("serving " + p.info.socket_path);
    watch_idle(m_options, p, p.listener->connections());
    if (m_options.ready_fd) {
        write_all(*m_options.ready_fd, "READY\n");
        ::close(*m_options.ready_fd);
    }
    p.io.run();
    spdlog::info("stopped");
    return 0;
}

} // namespace credd
