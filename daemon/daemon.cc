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

#include "broker.hh"
#include "exec_strategy.hh"
#include "file_key_store.hh"
#include "full_write.hh"
#include "http_client.hh"
#include "listener.hh"
#include "lmdb_store.hh"
#include "oauth2_strategy.hh"
#include "refresher.hh"
#include "rpc_methods.hh"
#include "sealer.hh"
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
    bool stopping = false; // set on SIGTERM/SIGINT: nothing new is scheduled after it
    std::unique_ptr<KeyStore> key_store;
    std::unique_ptr<Store> store;
    std::unique_ptr<Broker> broker;
    std::unique_ptr<HttpClient> http;
    std::unique_ptr<OAuth2Strategy> oauth2;
    std::unique_ptr<ExecStrategy> exec;
    std::unique_ptr<Refresher> refresher;
    std::unique_ptr<Listener> listener;
    DaemonInfo info;
    std::unique_ptr<RpcContext> rpc;
    std::unique_ptr<Worker> worker;
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
    read_proxy_environment(http);
    p.http = std::make_unique<HttpClient>(p.io, std::move(http));
    if (auto r = p.http->init(); !r) {
        return r;
    }
    p.oauth2 = std::make_unique<OAuth2Strategy>(*p.http);
    p.exec = std::make_unique<ExecStrategy>(p.io);
    p.refresher = std::make_unique<Refresher>(p.io, *p.broker);
    p.refresher->add_strategy(std::string(kind_oauth2_refresh_token), *p.oauth2);
    p.refresher->add_strategy(std::string(kind_oauth2_client_credentials), *p.oauth2);
    p.refresher->add_strategy(std::string(kind_exec), *p.exec);
    p.broker->set_change_listener([&p](const std::string& name) { p.refresher->on_changed(name); });
    p.refresher->start();
    return {};
}

Result<void> open_parts(const DaemonOptions& o, auto& p) {
    p.listener = std::make_unique<Listener>(
        p.io, ListenerOptions{o.socket_path, o.max_connections, o.idle_timeout});
    // The socket lock first: a second daemon must stop before it touches the store.
    if (auto r = p.listener->open(); !r) {
        return r;
    }
    p.key_store = std::make_unique<FileKeyStore>(o.key_file);
    auto key = p.key_store->load_or_create();
    if (!key) {
        return key.error();
    }
    auto store = LmdbStore::open(o.data_dir, Sealer(std::move(*key)));
    if (!store) {
        return store.error();
    }
    p.store = std::move(*store);
    p.worker = std::make_unique<Worker>(p.io);
    // A change may bring an expiry transition closer than the timer is set for.
    p.broker = std::make_unique<Broker>(*p.store, *p.worker,
                                        [&p] { schedule_expiry_check(*p.broker, p.expiry_timer); });
    if (auto r = p.broker->load(now_ms()); !r) {
        return r;
    }
    if (auto r = open_refresher(o, p); !r) {
        return r;
    }
    p.info = DaemonInfo{o.socket_path, p.store->path(), p.key_store->protection(),
                        p.key_store->location(), std::chrono::steady_clock::now()};
    p.rpc = std::make_unique<RpcContext>(RpcContext{*p.broker, p.info, p.refresher.get()});
    return {};
}

} // namespace

int Daemon::run() {
    auto& p = *m_parts;
    if (auto opened = open_parts(m_options, p); !opened) {
        const Error& e = opened.error();
        spdlog::error("{}", e.message);
        if (!e.hint.empty()) {
            spdlog::error("hint: {}", e.hint);
        }
        if (m_options.ready_fd) {
            write_all(*m_options.ready_fd,
                      "ERROR " + e.message + (e.hint.empty() ? "" : "; hint: " + e.hint) + "\n");
            ::close(*m_options.ready_fd);
        }
        return 1;
    }
    p.listener->start(*p.rpc);
    schedule_expiry_check(*p.broker, p.expiry_timer);
    p.signals.async_wait([&p](const boost::system::error_code& ec, int signo) {
        if (ec) {
            return;
        }
        spdlog::info("signal {}: finishing requests in flight, then exiting", signo);
        p.stopping = true;
        p.expiry_timer.cancel();
        if (p.refresher) {
            p.refresher->stop();
        }
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
        p.listener->stop([&p] { p.shutdown_timer.cancel(); });
    });
    spdlog::info("credd {} serving {} (store {}, key protection: {})", CREDD_VERSION,
                 m_options.socket_path, p.info.store_path, p.info.key_protection);
    if (m_options.ready_fd) {
        write_all(*m_options.ready_fd, "READY\n");
        ::close(*m_options.ready_fd);
    }
    p.io.run();
    spdlog::info("stopped");
    return 0;
}

} // namespace credd
