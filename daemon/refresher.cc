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
    bool in_flight = false;
    std::optional<std::uint64_t> rejected_generation;
    std::vector<std::shared_ptr<Waiter>> waiters;
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

void Refresher::start() {
    for (const auto& name : m_broker.names()) {
        schedule(name);
    }
    spdlog::info("refresher: {} credential(s) planned", m_states.size());
}

void Refresher::stop() {
    m_stopped = true;
    for (auto& [name, s] : m_states) {
        s->timer.cancel();
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
        if (it != m_states.end() && !it->second->in_flight) {
            auto waiters = std::move(it->second->waiters);
            m_states.erase(it);
            for (auto& w : waiters) {
                w->deadline->cancel();
                w->done(make_error(Errc::not_found, "credential " + name + ": removed"));
            }
        }
        return;
    }
    State& s = state_of(name);
    // A refresh in flight for the old generation is dropped when it ends; the plan for
    // the new one is made then.
    if (!s.in_flight) {
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
        return add_waiter(s, name, min_valid_ms, false, std::move(done));
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
    start_refresh(name);
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
        start_refresh(name);
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
            auto waiter = weak.lock();
            const auto it = m_states.find(name);
            if (ec || !waiter || it == m_states.end()) {
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
    const RefreshState& rs = r->refresh;
    if (s.in_flight || is_final_class(rs.error_class)) {
        return; // a final error waits for the user: a new credential or cred rotate
    }
    const UnixMs now = now_ms();
    std::optional<UnixMs> at;
    if (rs.next_refresh) {
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
    s.timer.expires_after(std::chrono::milliseconds(std::max<UnixMs>(0, *at - now)));
    s.timer.async_wait([this, name](const boost::system::error_code& ec) {
        if (!ec && !m_stopped) {
            const auto it = m_states.find(name);
            if (it != m_states.end() && !it->second->in_flight) {
                start_refresh(name);
            }
        }
    });
}

void Refresher::start_refresh(const std::string& name) {
    const CredentialRecord* r = m_broker.find_record(name);
    const SecretMaterial* m = m_broker.find_secrets(name);
    if (r == nullptr || m == nullptr) {
        return;
    }
    const auto strategy = m_strategies.find(r->kind);
    if (strategy == m_strategies.end()) {
        spdlog::error("credential {}: no strategy for kind {}", name, r->kind);
        return;
    }
    State& s = state_of(name);
    s.in_flight = true;
    s.timer.cancel();
    RefreshInput input{name, r->kind, r->params, {}};
    input.secrets.token = m->token.clone();
    input.secrets.refresh_token = m->refresh_token.clone();
    input.secrets.client_secret = m->client_secret.clone();
    const std::uint64_t generation = r->generation;
    spdlog::debug("credential {}: refreshing (generation {})", name, generation);
    strategy->second->refresh(std::move(input), [this, name, generation](RefreshOutcome outcome) {
        finish(name, generation, std::move(outcome));
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
        spdlog::info("credential {}: refresh result dropped: the credential changed meanwhile",
                     name);
        return committed(name, false,
                         make_error(Errc::superseded, "credential " + name + ": changed"));
    }
    RefreshCommit c{name, generation, std::nullopt, std::nullopt, r->refresh};
    RefreshState& st = c.state;
    const UnixMs now = now_ms();
    const bool succeeded = outcome.has_value();
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
            st.next_refresh = *g.expires_at - refresh_lead_ms(*g.expires_at - now, jitter_unit());
        }
        spdlog::info("credential {}: refreshed; expires at {}{}", name,
                     g.expires_at ? format_rfc3339(*g.expires_at) : "never",
                     g.default_lifetime ? " (no expires_in given: default lifetime assumed)" : "");
    } else {
        const RefreshFailure& f = outcome.error();
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
    // Why through the Broker's queue: the rotated refresh token must be on disk before
    // anyone is answered with the new access token; a crash after answering must never
    // leave us holding only a refresh token the provider has already spent.
    m_broker.commit_refresh(std::move(c), [this, name, succeeded](Result<std::uint64_t> done) {
        committed(name, succeeded, std::move(done));
    });
}

void Refresher::committed(const std::string& name, bool succeeded, Result<std::uint64_t> result) {
    const auto it = m_states.find(name);
    if (it == m_states.end()) {
        return;
    }
    if (m_stopped) {
        return end_after_stop(*it->second);
    }
    State& s = *it->second;
    s.in_flight = false;
    if (!result && result.error() == Errc::superseded) {
        // The credential changed under the refresh: its waiters start over on the new one.
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
        spdlog::error("credential {}: refresh result not stored: {}", name, result.error().message);
        auto waiters = std::move(s.waiters);
        for (auto& w : waiters) {
            w->deadline->cancel();
            w->done(result.error());
        }
        s.timer.expires_after(std::chrono::milliseconds(backoff_ms(3, jitter_unit())));
        s.timer.async_wait([this, name](const boost::system::error_code& ec) {
            if (!ec && !m_stopped && m_states.contains(name) && !m_states[name]->in_flight) {
                start_refresh(name);
            }
        });
        return;
    }
    if (succeeded) {
        s.rejected_generation.reset();
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
