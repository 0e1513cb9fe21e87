// Refresher: when each credential refreshes, who waits for it, and what a failure means.
#include "refresher.hh"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "broker.hh"
#include "refresh_timing.hh"

namespace credd {

namespace asio = boost::asio;

struct Refresher::Waiter {
    std::int64_t min_valid_ms = 0;
    bool strict = false; // rotate: a failed refresh is an error even with a valid token
    std::function<void(Result<void>)> done;
    std::unique_ptr<asio::steady_timer> deadline;
};

struct Refresher::State {
    explicit State(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    bool in_flight = false; // queued for a slot, asking the provider, or committing
    bool queued = false;    // in m_queue
    bool spread = false;    // the timer is an overdue refresh's spread start
    std::optional<std::uint64_t> rejected_generation;
    std::vector<std::shared_ptr<Waiter>> waiters;
    // A refresh result holding new secrets whose commit failed: the provider may have
    // rotated the refresh token, so this, not a new refresh, is what is retried.
    std::unique_ptr<RefreshCommit> uncommitted;
    bool uncommitted_succeeded = false; // a new access token, not only a rotated one
    unsigned commit_failures = 0;
    std::optional<std::string> store_error;
};

namespace {

std::string relogin_hint(const CredentialRecord& r) {
    if (is_login_kind(r.kind)) {
        return "cred login " + r.name;
    }
    std::string hint = "log in again and store the new refresh token: printf %s \"$REFRESH_TOKEN\" "
                       "| cred add " +
                       r.name + " --kind " + r.kind;
    for (const auto* key : {"token_url", "client_id", "scope"}) {
        if (const auto* v = r.params.if_contains(key); v && v->is_string()) {
            hint += " --" +
                    std::string(key == std::string_view("token_url")   ? "token-url"
                                : key == std::string_view("client_id") ? "client-id"
                                                                       : "scope") +
                    " '" + std::string(v->get_string()) + "'";
        }
    }
    return hint;
}

Error failure_error(const CredentialRecord& r) {
    const auto& s = r.refresh;
    const std::string why = s.last_error.value_or("refresh failed");
    if (s.error_class == "reauthorize") {
        return make_error(Errc::needs_login,
                          "credential " + r.name +
                              ": the provider refused the refresh token: " + why,
                          relogin_hint(r));
    }
    if (s.error_class == "fix_configuration") {
        return make_error(Errc::refresh_failed, "credential " + r.name + ": refresh failed: " + why,
                          "fix the settings and add it again (cred add " + r.name + " --kind " +
                              r.kind + " …), or retry now: cred rotate " + r.name);
    }
    return make_error(
        Errc::refresh_failed,
        "credential " + r.name + ": no valid token: refresh failed: " + why +
            (s.next_refresh ? "; next attempt at " + format_rfc3339(*s.next_refresh) : ""),
        "see: cred status " + r.name + "; retry now: cred rotate " + r.name);
}

bool is_final_class(const std::string& c) {
    return c == "reauthorize" || c == "fix_configuration";
}

RefreshCommit clone_commit(const RefreshCommit& c) {
    RefreshCommit out{c.name, c.generation, std::nullopt, c.expires_at, c.state};
    if (c.secrets) {
        out.secrets = clone_secrets(*c.secrets);
    }
    return out;
}

Error store_failure(const std::string& name, const std::string& why) {
    return make_error(Errc::refresh_failed,
                      "credential " + name + ": refreshed, but the result could not be stored: " +
                          why + "; the commit is being retried",
                      "see: cred status " + name + "; check the disk under credd's data dir");
}

} // namespace

Refresher::Refresher(asio::io_context& io, Broker& broker, RefresherOptions options)
    : m_io(io), m_broker(broker), m_options(options) {}

Refresher::~Refresher() = default;

void Refresher::add_strategy(std::string kind, Strategy& strategy) {
    m_strategies[std::move(kind)] = &strategy;
}

Refresher::State& Refresher::state_of(const std::string& name) {
    auto it = m_states.find(name);
    if (it == m_states.end()) {
        it = m_states.emplace(name, std::make_unique<State>(m_io)).first;
    }
    return *it->second;
}

void Refresher::drop_state(const std::string& name) {
    const auto it = m_states.find(name);
    if (it == m_states.end()) {
        return;
    }
    State& s = *it->second;
    clear_spread(s);
    if (s.queued) {
        std::erase(m_queue, name);
    }
    if (s.uncommitted && s.uncommitted->secrets) {
        spdlog::warn("credential {}: removed before a refresh result could be stored; the "
                     "refresh token the provider rotated to is discarded",
                     name);
    }
    auto waiters = std::move(s.waiters);
    m_states.erase(it);
    for (auto& w : waiters) {
        w->deadline->cancel();
        w->done(make_error(Errc::not_found, "credential " + name + ": removed"));
    }
}

// A held result whose credential changed meanwhile (re-added, new secrets): it must not
// be stored over the new material, so the provider's rotated refresh token in it is lost;
// `say` logs that (nothing secret).
void Refresher::drop_uncommitted(State& s, const std::string& name, bool say) {
    if (say) {
        spdlog::info("credential {}: stored refresh result dropped: the credential changed "
                     "meanwhile; the refresh token the provider rotated to is discarded",
                     name);
    }
    s.uncommitted.reset();
    s.commit_failures = 0;
    s.store_error.reset();
}

void Refresher::clear_spread(State& s) {
    if (s.spread) {
        s.spread = false;
        --m_spreading;
    }
}

void Refresher::start() {
    for (const auto& name : m_broker.names()) {
        schedule(name);
    }
    spdlog::info("refresher: {} credential(s) planned", m_states.size());
}

void Refresher::stop() {
    m_stopped = true;
    m_queue.clear();
    for (auto& [name, s] : m_states) {
        s->timer.cancel();
        clear_spread(*s);
        if (s->queued) {
            s->queued = false;
            s->in_flight = false; // never asked: nothing to commit
        }
        if (s->uncommitted && s->uncommitted->secrets) {
            spdlog::error("credential {}: exiting with a refresh result that could not be "
                          "stored ({}); the provider may refuse the stored refresh token",
                          name, s->store_error.value_or("store error"));
        }
        auto waiters = std::move(s->waiters);
        for (auto& w : waiters) {
            w->deadline->cancel();
            w->done(make_error(Errc::refresh_failed,
                               "credential " + name + ": credd is shutting down"));
        }
    }
}

void Refresher::on_changed(const std::string& name) {
    if (m_stopped) {
        return;
    }
    const CredentialRecord* r = m_broker.find_record(name);
    const auto it = m_states.find(name);
    if (r == nullptr || !is_refreshable_kind(r->kind)) {
        // One asking its provider or committing is dropped when that ends (finish and
        // committed find no record); anything else is forgotten now.
        if (it != m_states.end() && (!it->second->in_flight || it->second->queued)) {
            drop_state(name);
        }
        return;
    }
    State& s = state_of(name);
    // A refresh in flight for the old generation is dropped when it ends; the plan for
    // the new one is made then.
    if (!s.in_flight) {
        if (s.uncommitted && s.uncommitted->generation != r->generation) {
            drop_uncommitted(s, name, true);
        }
        schedule(name);
    }
}

bool Refresher::is_usable(const std::string& name, std::int64_t min_valid_ms) const {
    const CredentialRecord* r = m_broker.find_record(name);
    const SecretMaterial* m = m_broker.find_secrets(name);
    if (r == nullptr || m == nullptr || m->token.empty()) {
        return false;
    }
    if (const auto it = m_states.find(name);
        it != m_states.end() && it->second->rejected_generation == r->generation) {
        return false;
    }
    if (!r->expires_at) {
        return true;
    }
    const std::int64_t left = *r->expires_at - now_ms();
    return left > expiry_skew_ms && left >= min_valid_ms;
}

void Refresher::ensure(const std::string& name, std::int64_t min_valid_ms,
                       std::function<void(Result<void>)> done) {
    const CredentialRecord* r = m_broker.find_record(name);
    if (r == nullptr || !is_refreshable_kind(r->kind) || m_broker.find_secrets(name) == nullptr) {
        return done({}); // the Broker gives the answer (not_found, a static token, corrupt)
    }
    if (m_stopped) {
        return done(make_error(Errc::refresh_failed, "credd is shutting down"));
    }
    if (is_usable(name, min_valid_ms)) {
        return done({});
    }
    State& s = state_of(name);
    if (s.in_flight) {
        if (s.queued) { // a client waits for it now: to the front of the queue
            std::erase(m_queue, name);
            m_queue.push_front(name);
        }
        return add_waiter(s, name, min_valid_ms, false, std::move(done));
    }
    if (s.uncommitted) {
        // The new token is not on disk yet, so it is not served; the commit is retried on
        // its own backoff (no client makes it retry early).
        return done(store_failure(name, s.store_error.value_or("store error")));
    }
    const RefreshState& rs = r->refresh;
    const bool valid_now = is_usable(name, 0);
    if (is_final_class(rs.error_class)) {
        return valid_now ? done({}) : done(failure_error(*r));
    }
    if (valid_now && r->expires_at && rs.last_refresh &&
        *r->expires_at - *rs.last_refresh < min_valid_ms) {
        return done({}); // tokens never live that long: a refresh cannot help
    }
    // During a transient backoff nobody triggers an attempt early: no retry storm.
    if (rs.failures > 0 && rs.next_refresh && now_ms() < *rs.next_refresh) {
        return valid_now ? done({}) : done(failure_error(*r));
    }
    add_waiter(s, name, min_valid_ms, false, std::move(done));
    start_refresh(name, true);
}

void Refresher::rotate(const std::string& name, std::function<void(Result<void>)> done) {
    const CredentialRecord* r = m_broker.find_record(name);
    if (r == nullptr) {
        return done(make_error(Errc::not_found, "credential " + name + ": not found",
                               "see what there is: cred list"));
    }
    if (!is_refreshable_kind(r->kind)) {
        return done(
            make_error(Errc::invalid_params,
                       "credential " + name + ": kind " + r->kind + " is not refreshed by credd",
                       "store a new token: cred add " + name));
    }
    if (m_broker.find_secrets(name) == nullptr) {
        return done(make_error(Errc::corrupt, "credential " + name + ": sealed secret is corrupt",
                               "replace it: cred add " + name));
    }
    if (m_stopped) {
        return done(make_error(Errc::refresh_failed, "credd is shutting down"));
    }
    State& s = state_of(name);
    add_waiter(s, name, 0, true, std::move(done));
    if (!s.in_flight) {
        start_refresh(name, true); // retries an uncommitted result's commit instead
    } else if (s.queued) {
        std::erase(m_queue, name);
        m_queue.push_front(name);
    }
}

bool Refresher::reject_token(const std::string& name, std::string_view token) {
    const CredentialRecord* r = m_broker.find_record(name);
    const SecretMaterial* m = m_broker.find_secrets(name);
    if (r == nullptr || m == nullptr || !is_refreshable_kind(r->kind) || m->token.empty() ||
        !m->token.equals(token)) {
        return false;
    }
    state_of(name).rejected_generation = r->generation;
    spdlog::info("credential {}: access token rejected by a server; refreshing on the next get",
                 name);
    return true;
}

void Refresher::end_after_stop(State& s) {
    s.in_flight = false;
    if (in_flight() == 0 && m_on_drained) {
        m_on_drained();
    }
}

std::size_t Refresher::in_flight() const {
    std::size_t n = 0;
    for (const auto& [name, s] : m_states) {
        n += s->in_flight ? 1 : 0;
    }
    return n;
}

bool Refresher::is_refreshing(std::string_view name) const {
    const auto it = m_states.find(name);
    return it != m_states.end() && it->second->in_flight;
}

std::optional<std::string> Refresher::store_error(std::string_view name) const {
    const auto it = m_states.find(name);
    if (it == m_states.end() || !it->second->uncommitted) {
        return std::nullopt;
    }
    return "refreshed, but not stored: " + it->second->store_error.value_or("store error") +
           "; the commit is being retried";
}

void Refresher::add_waiter(State& s, const std::string& name, std::int64_t min_valid_ms,
                           bool strict, std::function<void(Result<void>)> done) {
    auto w = std::make_shared<Waiter>();
    w->min_valid_ms = min_valid_ms;
    w->strict = strict;
    w->done = std::move(done);
    w->deadline = std::make_unique<asio::steady_timer>(m_io, m_options.wait_timeout);
    s.waiters.push_back(w);
    w->deadline->async_wait(
        [this, name, weak = std::weak_ptr<Waiter>(w)](const boost::system::error_code& ec) {
            // A cancelled deadline may outlive its state (and the Refresher): touch
            // nothing before knowing it really expired and the waiter still waits.
            if (ec) {
                return;
            }
            auto waiter = weak.lock();
            if (!waiter) {
                return;
            }
            const auto it = m_states.find(name);
            if (it == m_states.end()) {
                return;
            }
            std::erase(it->second->waiters, waiter);
            waiter->done(make_error(Errc::refresh_failed,
                                    "credential " + name + ": refresh still in flight after " +
                                        format_duration(m_options.wait_timeout.count()),
                                    "see: cred status " + name));
        });
}

void Refresher::schedule(const std::string& name) {
    const CredentialRecord* r = m_broker.find_record(name);
    const SecretMaterial* m = m_broker.find_secrets(name);
    if (m_stopped || r == nullptr || m == nullptr || !is_refreshable_kind(r->kind)) {
        return;
    }
    State& s = state_of(name);
    s.timer.cancel();
    clear_spread(s);
    const RefreshState& rs = r->refresh;
    if (s.in_flight || (!s.uncommitted && is_final_class(rs.error_class))) {
        return; // a final error waits for the user: a new credential or cred rotate
    }
    const UnixMs now = now_ms();
    std::optional<UnixMs> at;
    if (s.uncommitted) {
        at = now + backoff_ms(s.commit_failures, jitter_unit());
    } else if (rs.next_refresh) {
        at = *rs.next_refresh;
    } else if (m->token.empty()) {
        at = now;
    } else if (r->expires_at) {
        const UnixMs obtained = rs.last_refresh.value_or(r->updated_at);
        at = *r->expires_at - refresh_lead_ms(*r->expires_at - obtained, jitter_unit());
    }
    if (!at) {
        return; // a token that does not expire needs no refresh
    }
    if (*at <= now && !s.uncommitted && s.waiters.empty() && !m->token.empty()) {
        // Overdue (after downtime, or the data key just arrived) and nobody waits: spread
        // with the others so thousands do not start in the same instant. A first fetch
        // (a credential just added) is not spread: adds come at the pace they are made,
        // and the concurrency cap bounds a bulk add.
        at = now + spread_delay_ms(m_spreading, jitter_unit());
        s.spread = true;
        ++m_spreading;
    }
    s.timer.expires_after(std::chrono::milliseconds(std::max<UnixMs>(0, *at - now)));
    s.timer.async_wait([this, name](const boost::system::error_code& ec) {
        if (ec || m_stopped) {
            return;
        }
        const auto it = m_states.find(name);
        if (it != m_states.end() && !it->second->in_flight) {
            clear_spread(*it->second);
            start_refresh(name);
        }
    });
}

void Refresher::start_refresh(const std::string& name, bool urgent) {
    const CredentialRecord* r = m_broker.find_record(name);
    const SecretMaterial* m = m_broker.find_secrets(name);
    if (r == nullptr || m == nullptr) {
        return;
    }
    if (!m_strategies.contains(r->kind)) {
        spdlog::error("credential {}: no strategy for kind {}", name, r->kind);
        return;
    }
    State& s = state_of(name);
    s.timer.cancel();
    clear_spread(s);
    if (s.uncommitted) {
        // Never spend the old refresh token while a rotated one waits to be stored.
        return retry_commit(name);
    }
    s.in_flight = true;
    s.queued = true;
    if (urgent) {
        m_queue.push_front(name);
    } else {
        m_queue.push_back(name);
    }
    pump();
}

// Starts queued refreshes while fewer than max_concurrent ask their providers. A loop,
// not recursion, since a strategy may answer before refresh() returns.
void Refresher::pump() {
    if (m_pumping) {
        return;
    }
    m_pumping = true;
    while (!m_stopped && !m_queue.empty() && m_asking < m_options.max_concurrent) {
        const std::string name = std::move(m_queue.front());
        m_queue.pop_front();
        launch(name);
    }
    m_pumping = false;
}

void Refresher::launch(const std::string& name) {
    const auto it = m_states.find(name);
    if (it == m_states.end()) {
        return;
    }
    State& s = *it->second;
    s.queued = false;
    const CredentialRecord* r = m_broker.find_record(name);
    const SecretMaterial* m = m_broker.find_secrets(name);
    const auto strategy = r == nullptr ? m_strategies.end() : m_strategies.find(r->kind);
    if (r == nullptr || m == nullptr || strategy == m_strategies.end()) {
        s.in_flight = false;
        return drop_state(name);
    }
    RefreshInput input{name, r->kind, r->params, {}};
    input.secrets.token = m->token.clone();
    input.secrets.refresh_token = m->refresh_token.clone();
    input.secrets.client_secret = m->client_secret.clone();
    const std::uint64_t generation = r->generation;
    spdlog::debug("credential {}: refreshing (generation {})", name, generation);
    ++m_asking;
    strategy->second->refresh(std::move(input), [this, name, generation](RefreshOutcome outcome) {
        --m_asking;
        finish(name, generation, std::move(outcome));
        pump();
    });
}

void Refresher::retry_commit(const std::string& name) {
    State& s = state_of(name);
    s.in_flight = true;
    const bool succeeded = s.uncommitted_succeeded;
    m_broker.commit_refresh(clone_commit(*s.uncommitted),
                            [this, name, succeeded](Result<std::uint64_t> done) {
                                committed(name, succeeded, true, std::move(done));
                            });
}

void Refresher::finish(const std::string& name, std::uint64_t generation, RefreshOutcome outcome) {
    const auto it = m_states.find(name);
    if (it == m_states.end()) {
        return;
    }
    // Shutting down, a success is still committed: the provider may have rotated the
    // refresh token, and the old one is spent. A failure changes nothing worth keeping.
    if (m_stopped && !outcome) {
        return end_after_stop(*it->second);
    }
    const CredentialRecord* r = m_broker.find_record(name);
    const SecretMaterial* m = m_broker.find_secrets(name);
    if (r == nullptr || m == nullptr || r->generation != generation) {
        const bool rotated = outcome && !outcome->refresh_token.empty();
        spdlog::info("credential {}: refresh result dropped: the credential changed "
                     "meanwhile{}",
                     name,
                     rotated ? "; the refresh token the provider rotated to is discarded" : "");
        if (r == nullptr) {
            it->second->in_flight = false;
            if (m_stopped) {
                return end_after_stop(*it->second);
            }
            return drop_state(name);
        }
        return committed(name, false, false,
                         make_error(Errc::superseded, "credential " + name + ": changed"));
    }
    RefreshCommit c{name, generation, std::nullopt, std::nullopt, r->refresh};
    RefreshState& st = c.state;
    const UnixMs now = now_ms();
    bool succeeded = outcome.has_value();
    std::optional<RefreshFailure> failed;
    if (succeeded && outcome->expires_at && *outcome->expires_at - now <= expiry_skew_ms) {
        // Already expired (or about to) on arrival: nothing servable came back. Backed off
        // like any transient failure, so this cannot turn into refreshes back to back.
        const UnixMs left = *outcome->expires_at - now;
        failed = RefreshFailure{ErrorClass::transient,
                                left <= 0 ? std::string("the new token had already expired")
                                          : "the new token expires in " + format_duration(left) +
                                                ", too soon to serve it",
                                std::nullopt};
        succeeded = false;
    }
    if (succeeded) {
        RefreshGrant& g = *outcome;
        SecretMaterial fresh;
        fresh.token = std::move(g.access_token);
        // No refresh_token in the answer: the provider does not rotate; keep ours.
        fresh.refresh_token =
            g.refresh_token.empty() ? m->refresh_token.clone() : std::move(g.refresh_token);
        fresh.client_secret = m->client_secret.clone();
        fresh.id_token = g.id_token.empty() ? m->id_token.clone() : std::move(g.id_token);
        c.secrets = std::move(fresh);
        c.expires_at = g.expires_at;
        st.last_refresh = now;
        st.failures = 0;
        st.error_class.clear();
        st.last_error.reset();
        st.default_lifetime = g.default_lifetime;
        st.next_refresh.reset();
        if (g.expires_at) {
            // The lead is from the lifetime the provider gave; never sooner than the gap.
            st.next_refresh =
                std::max(*g.expires_at - refresh_lead_ms(*g.expires_at - now, jitter_unit()),
                         now + min_refresh_gap_ms);
        }
        spdlog::info("credential {}: refreshed; expires at {}{}", name,
                     g.expires_at ? format_rfc3339(*g.expires_at) : "never",
                     g.default_lifetime ? " (no expires_in given: default lifetime assumed)" : "");
    } else {
        const RefreshFailure& f = failed ? *failed : outcome.error();
        if (failed && !outcome->refresh_token.empty()) {
            // The provider rotated the refresh token even so: the old one is spent, so the
            // new one is kept (with the access token we had).
            SecretMaterial kept = clone_secrets(*m);
            kept.refresh_token = std::move(outcome->refresh_token);
            c.secrets = std::move(kept);
            c.expires_at = r->expires_at;
        }
        st.failures += 1;
        st.error_class = std::string(error_class_name(f.error_class));
        st.last_error = f.message;
        st.next_refresh.reset();
        if (f.error_class == ErrorClass::transient) {
            st.next_refresh = now + backoff_ms(st.failures, jitter_unit(), f.retry_after_ms);
        }
        spdlog::warn("credential {}: refresh failed ({}): {}{}", name, st.error_class, f.message,
                     st.next_refresh ? "; next attempt at " + format_rfc3339(*st.next_refresh)
                                     : "; not retried until the credential changes");
    }
    const bool rotated = c.secrets.has_value();
    if (rotated) {
        // Kept until the commit lands: if the store fails, this is retried, not the refresh.
        it->second->uncommitted = std::make_unique<RefreshCommit>(clone_commit(c));
        it->second->uncommitted_succeeded = succeeded;
    }
    // Why through the Broker's queue: the rotated refresh token must be on disk before
    // anyone is answered with the new access token; a crash after answering must never
    // leave us holding only a refresh token the provider has already spent.
    m_broker.commit_refresh(std::move(c),
                            [this, name, succeeded, rotated](Result<std::uint64_t> done) {
                                committed(name, succeeded, rotated, std::move(done));
                            });
}

void Refresher::committed(const std::string& name, bool succeeded, bool rotated,
                          Result<std::uint64_t> result) {
    const auto it = m_states.find(name);
    if (it == m_states.end()) {
        return;
    }
    State& s = *it->second;
    if (m_stopped) {
        if (!result && rotated && result.error() != Errc::superseded) {
            spdlog::error("credential {}: exiting with a refresh result that could not be "
                          "stored ({}); the provider may refuse the stored refresh token",
                          name, result.error().message);
        }
        return end_after_stop(s);
    }
    s.in_flight = false;
    if (m_broker.find_record(name) == nullptr) {
        return drop_state(name); // removed while its result was being stored
    }
    if (!result && result.error() == Errc::superseded) {
        // The credential changed under the refresh: its result, rotated refresh token
        // included, is dropped, and its waiters start over on the new material.
        drop_uncommitted(s, name, s.uncommitted && rotated);
        auto waiters = std::move(s.waiters);
        schedule(name);
        for (auto& w : waiters) {
            w->deadline->cancel();
            if (w->strict) {
                rotate(name, std::move(w->done));
            } else {
                ensure(name, w->min_valid_ms, std::move(w->done));
            }
        }
        return;
    }
    if (!result) {
        auto waiters = std::move(s.waiters);
        if (rotated) {
            // New secrets, maybe a rotated refresh token: retry storing them, with backoff,
            // until it lands. The new access token is not served meanwhile.
            s.commit_failures += 1;
            s.store_error = result.error().message;
            spdlog::error("credential {}: refresh result not stored: {}; retrying the commit", name,
                          result.error().message);
            const Error e = store_failure(name, result.error().message);
            for (auto& w : waiters) {
                w->deadline->cancel();
                if (!w->strict && is_usable(name, w->min_valid_ms)) {
                    w->done({}); // the token we had is still good
                } else {
                    w->done(e);
                }
            }
            schedule(name); // the commit retry
        } else {
            spdlog::error("credential {}: refresh result not stored: {}", name,
                          result.error().message);
            for (auto& w : waiters) {
                w->deadline->cancel();
                w->done(result.error());
            }
            s.timer.expires_after(std::chrono::milliseconds(backoff_ms(3, jitter_unit())));
            s.timer.async_wait([this, name](const boost::system::error_code& ec) {
                if (ec || m_stopped) {
                    return;
                }
                const auto found = m_states.find(name);
                if (found != m_states.end() && !found->second->in_flight) {
                    start_refresh(name);
                }
            });
        }
        if (m_listener) {
            m_listener(name);
        }
        return;
    }
    if (s.commit_failures > 0) {
        spdlog::info("credential {}: refresh result stored after {} failed attempt(s)", name,
                     s.commit_failures);
    }
    s.uncommitted.reset();
    s.commit_failures = 0;
    s.store_error.reset();
    if (succeeded) {
        s.rejected_generation.reset();
    } else if (rotated && s.rejected_generation) {
        s.rejected_generation = *result; // only the refresh token changed: still rejected
    }
    settle_waiters(name, succeeded);
    schedule(name);
    if (m_listener) {
        m_listener(name);
    }
}

void Refresher::settle_waiters(const std::string& name, bool succeeded) {
    auto& s = state_of(name);
    auto waiters = std::move(s.waiters);
    const CredentialRecord* r = m_broker.find_record(name);
    for (auto& w : waiters) {
        w->deadline->cancel();
        if (succeeded || r == nullptr) {
            w->done({}); // the Broker answers, min_valid included
        } else if (!w->strict && is_usable(name, 0)) {
            w->done({}); // a valid token keeps being served through transient failures
        } else {
            w->done(failure_error(*r));
        }
    }
}

} // namespace credd
