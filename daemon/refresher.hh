// Refresher: timers, single flight, backoff and fail-closed waiting for refreshable credentials.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "error.hh"
#include "strategy.hh"

namespace credd {

class Broker;

struct RefresherOptions {
    // How long a token.get waits on a refresh in flight before it gives up.
    std::chrono::milliseconds wait_timeout{20'000};
    // At most this many refreshes ask their provider at once; the rest wait in a FIFO
    // queue, which a refresh some client is waiting for jumps.
    std::size_t max_concurrent = 128;
};

// Owned by the Daemon; lives on the I/O thread next to the Broker, whose records it
// reads and whose change queue it commits through. Per credential it keeps one timer
// (the next refresh, or the next retry after a transient failure) and at most one
// refresh in flight, which any number of waiters share (single flight). A refresh is
// tied to the credential's generation when it starts; if the credential changed
// meanwhile its result is dropped (the Broker refuses the commit), so a slow, superseded
// refresh can never overwrite a newer token. A successful refresh whose commit fails
// is kept here and its commit retried (never the refresh: the provider may have spent
// the old refresh token) until it lands or the credential changes.
class Refresher {
public:
    Refresher(boost::asio::io_context& io, Broker& broker, RefresherOptions options = {});
    ~Refresher();
    Refresher(const Refresher&) = delete;
    Refresher& operator=(const Refresher&) = delete;

    // `strategy` refreshes credentials of `kind`; it must outlive the Refresher.
    void add_strategy(std::string kind, Strategy& strategy);
    // Plans every refreshable credential from its stored state: a token with time left
    // is served as it is and refreshed at its planned time.
    void start();
    // Cancels timers and answers waiters; refreshes in flight are dropped when they end.
    void stop();
    // From the Broker's change listener: `name` was added, changed or removed.
    void on_changed(const std::string& name);

    // Calls `done` once credential `name` has a token with `min_valid_ms` left — at once
    // when it has one, else after the refresh this starts or joins — or with why not:
    // needs_login, refresh_failed (with the last error; during a transient backoff
    // without trying again, so no client can cause a retry storm), or a timeout. For a
    // kind credd does not refresh, `done({})` at once.
    void ensure(const std::string& name, std::int64_t min_valid_ms,
                std::function<void(Result<void>)> done);
    // Refreshes now (credential.rotate), whatever the backoff or error state says; `done`
    // gets the outcome of this refresh.
    void rotate(const std::string& name, std::function<void(Result<void>)> done);
    // A server rejected `token` (git erase after a 401). If it is the credential's current
    // access token (compared in constant time), it is not served again: the next ensure
    // refreshes. Returns whether it was.
    bool reject_token(const std::string& name, std::string_view token);

    // How many refreshes are in flight (shutdown gives them its grace period).
    std::size_t in_flight() const;
    // Called after stop() once the last refresh in flight has ended (its rotated token
    // committed, if it got one).
    void set_on_drained(std::function<void()> f) { m_on_drained = std::move(f); }
    bool is_refreshing(std::string_view name) const;
    // Why a refreshed result of `name` is not stored yet (its commit is being retried).
    std::optional<std::string> store_error(std::string_view name) const;
    // Whether the current access token may be served now (held, not expired, not rejected).
    bool can_serve(const std::string& name) const { return is_usable(name, 0); }
    // Called after every committed refresh outcome (success or failure), for token.watch.
    void set_listener(std::function<void(const std::string& name)> listener) {
        m_listener = std::move(listener);
    }

private:
    struct Waiter;
    struct State;
    void end_after_stop(State& s);

    State& state_of(const std::string& name);
    // Forgets a credential that is gone: answers its waiters, leaves the queue.
    void drop_state(const std::string& name);
    void schedule(const std::string& name);
    // `urgent`: a client waits for it, so it jumps the queue.
    void start_refresh(const std::string& name, bool urgent = false);
    void launch(const std::string& name);
    void pump();
    void clear_spread(State& s);
    void drop_uncommitted(State& s, const std::string& name, bool say);
    void retry_commit(const std::string& name);
    void finish(const std::string& name, std::uint64_t generation, RefreshOutcome outcome);
    void committed(const std::string& name, bool succeeded, bool rotated,
                   Result<std::uint64_t> result);
    void add_waiter(State& s, const std::string& name, std::int64_t min_valid_ms, bool strict,
                    std::function<void(Result<void>)> done);
    void settle_waiters(const std::string& name, bool succeeded);
    bool is_usable(const std::string& name, std::int64_t min_valid_ms) const;

    boost::asio::io_context& m_io;
    Broker& m_broker;
    RefresherOptions m_options;
    std::map<std::string, Strategy*, std::less<>> m_strategies;
    std::map<std::string, std::unique_ptr<State>, std::less<>> m_states;
    std::function<void(const std::string&)> m_listener;
    std::deque<std::string> m_queue; // refreshes waiting for one of the max_concurrent slots
    std::size_t m_asking = 0;        // refreshes waiting on their provider now
    bool m_pumping = false;
    std::size_t m_spreading = 0; // overdue refreshes planned for a spread start
    bool m_stopped = false;
    std::function<void()> m_on_drained;
};

} // namespace credd
