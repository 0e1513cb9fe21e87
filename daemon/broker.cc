// Broker: lookup, matching rule, expiry and the change queue.
#include "broker.hh"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <tuple>

#include <spdlog/spdlog.h>

#include <unistd.h>

#include "worker.hh"

namespace credd {

namespace {

std::string replace_hint(const CredentialRecord& r) {
    std::string hint = "store a new token: printf %s \"$NEW_TOKEN\" | cred add " + r.name +
                       " --url " + r.match.to_string();
    if (r.match.username) {
        hint += " --username " + *r.match.username;
    }
    if (r.expires_at) {
        hint += " --expires-at WHEN";
    }
    return hint;
}

Error not_found(std::string_view name) {
    return make_error(Errc::not_found, "credential " + std::string(name) + ": not found",
                      "see what there is: cred list");
}

// The key that orders URL candidates, smallest first (see credd-protocol(7), MATCHING):
// deeper path prefix, then naming the asked-for username, then username, then a
// servable token, the one expiring last, and finally the name.
using MatchRank = std::tuple<int, bool, std::string_view, bool, UnixMs, std::string_view>;

MatchRank match_rank(const CredentialRecord& r, bool servable, bool asked_username) {
    const bool names_user = asked_username && r.match.username.has_value();
    const UnixMs expiry = r.expires_at.value_or(INT64_MAX);
    const std::string_view username = r.match.username ? *r.match.username : std::string_view{};
    return {-path_depth(r.match.path), !names_user, username, !servable, -expiry, r.name};
}

// Fault injection for the tests of a refresh whose commit fails:
// CREDD_TEST_FAIL_REFRESH_COMMIT_WHILE=PATH fails every refresh commit while PATH exists.
// Unset (always, outside tests) it does nothing. Runs on the Worker.
bool refresh_commit_fault() {
    static const char* path = std::getenv("CREDD_TEST_FAIL_REFRESH_COMMIT_WHILE");
    return path != nullptr && *path != '\0' && ::access(path, F_OK) == 0;
}

Error refresh_commit_fault_error() {
    return make_error(Errc::io_error, "store: write failed: injected by "
                                      "CREDD_TEST_FAIL_REFRESH_COMMIT_WHILE");
}

} // namespace

std::string_view status_name(Status s) {
    switch (s) {
    case Status::fresh:
        return "fresh";
    case Status::expiring:
        return "expiring";
    case Status::expired:
        return "expired";
    case Status::error:
        return "error";
    case Status::needs_login:
        return "needs_login";
    case Status::refreshing:
        return "refreshing";
    }
    return "error";
}

std::string_view store_action_name(StoreAction a) {
    switch (a) {
    case StoreAction::created:
        return "created";
    case StoreAction::replaced:
        return "replaced";
    case StoreAction::unchanged:
        return "unchanged";
    case StoreAction::ignored:
        return "ignored";
    }
    return "ignored";
}

Broker::Broker(Store& store, Worker& worker, std::function<void()> on_changed)
    : m_store(store), m_worker(worker), m_on_changed(std::move(on_changed)) {}

Result<void> Broker::load(UnixMs now) {
    auto loaded = m_store.load_all();
    if (!loaded) {
        return loaded.error();
    }
    for (auto& l : *loaded) {
        std::optional<SecretMaterial> secrets;
        const bool awaiting_key = !l.secrets && l.secrets.error() == Errc::key_unavailable;
        if (l.secrets) {
            secrets = std::move(*l.secrets);
        } else if (!awaiting_key) {
            spdlog::error("{}; the record is kept so it can be replaced",
                          l.secrets.error().message);
        }
        m_last_generation = std::max(m_last_generation, l.record.generation);
        std::string name = l.record.name;
        auto [it, _] = m_entries.insert_or_assign(
            std::move(name), Entry{std::move(l.record), std::move(secrets), awaiting_key});
        index(it->second);
    }
    spdlog::info("loaded {} credential(s)", m_entries.size());
    check_expiry(now);
    return {};
}

Status Broker::status_of(const Entry& e, UnixMs now) {
    // A secret waiting for the data key is not damaged: its status is its expiry's, and
    // the key's own state is shown once, daemon-wide.
    if (!e.secrets && !e.awaiting_key) {
        return Status::error;
    }
    const bool refreshable = is_refreshable_kind(e.record.kind);
    if (refreshable) {
        if (e.record.refresh.error_class == "reauthorize") {
            return Status::needs_login;
        }
        if (e.record.refresh.error_class == "fix_configuration") {
            return Status::error;
        }
        if (e.secrets && is_login_kind(e.record.kind) && e.secrets->refresh_token.empty() &&
            e.secrets->token.empty()) {
            return Status::needs_login; // added, never logged in: cred login NAME
        }
        if (e.secrets && e.secrets->token.empty()) {
            return Status::expired;
        }
    }
    if (!e.record.expires_at) {
        return Status::fresh;
    }
    const UnixMs left = *e.record.expires_at - now;
    if (left <= expiry_skew_ms) {
        return Status::expired;
    }
    // A refreshable token is renewed long before the static-token warning window.
    return !refreshable && left <= expiring_window_ms ? Status::expiring : Status::fresh;
}

// A credential whose refresh token was refused (needs_login) or whose configuration is
// wrong still serves its access token until that expires: it is valid, and the status
// tells the user what to fix.
bool Broker::is_servable(const Entry& e, UnixMs now) {
    if (!e.secrets || e.secrets->token.empty()) {
        return false;
    }
    if (!e.record.expires_at) {
        return true;
    }
    return *e.record.expires_at - now > expiry_skew_ms;
}

const Broker::Entry* Broker::best_match(const TokenQuery& q, UnixMs now) const {
    // A username may be asked for explicitly or come with the URL (https://bob@host).
    const auto& user = q.username ? q.username : q.url->username;
    const Entry* best = nullptr;
    MatchRank best_rank;
    for (const Entry* e : candidates(*q.url, user)) {
        const auto rank = match_rank(e->record, is_servable(*e, now), user.has_value());
        if (!best || rank < best_rank) {
            best = e;
            best_rank = rank;
        }
    }
    return best;
}

Result<TokenView> Broker::get_token(const TokenQuery& q, UnixMs now) const {
    const Entry* e = nullptr;
    if (q.name) {
        const auto it = m_entries.find(*q.name);
        if (it == m_entries.end()) {
            return not_found(*q.name);
        }
        e = &it->second;
    } else if (q.url) {
        const auto& user = q.username ? q.username : q.url->username;
        e = best_match(q, now);
        if (!e) {
            return make_error(Errc::not_found,
                              "no credential matches " + q.url->origin() + q.url->path +
                                  (user ? " for user " + *user : ""),
                              "add one: printf %s \"$TOKEN\" | cred add NAME --url " +
                                  q.url->origin());
        }
    } else {
        return make_error(Errc::invalid_params, "token.get needs \"name\" or \"url\"");
    }
    return serve(*e, q, now);
}

Result<TokenView> Broker::serve(const Entry& e, const TokenQuery& q, UnixMs now) const {
    const auto& r = e.record;
    if (e.awaiting_key) {
        return make_error(Errc::key_unavailable,
                          "credential " + r.name + ": the data key is not loaded",
                          "see why: cred keystore");
    }
    if (!e.secrets) {
        return make_error(Errc::corrupt,
                          "credential " + r.name +
                              ": sealed secret failed authentication (tampered, truncated or "
                              "sealed with another key)",
                          replace_hint(r));
    }
    // Fail closed: past its expiry (minus the skew) a token is never handed out.
    if (!is_servable(e, now)) {
        return make_error(Errc::expired,
                          "credential " + r.name +
                              (r.expires_at ? " expired at " + format_rfc3339(*r.expires_at)
                                            : " has no token yet"),
                          replace_hint(r));
    }
    if (r.expires_at && *r.expires_at - now < q.min_valid_ms) {
        return make_error(Errc::insufficient_validity,
                          "credential " + r.name + " is valid only until " +
                              format_rfc3339(*r.expires_at) + ", less than the " +
                              format_duration(q.min_valid_ms) + " asked for",
                          replace_hint(r));
    }
    return TokenView{r, e.secrets->token.expose(), e.secrets->refresh_token.expose()};
}

CredentialView Broker::view_of(const Entry& e, UnixMs now) const {
    CredentialView v{e.record, status_of(e, now), std::nullopt};
    if (!e.secrets && !e.awaiting_key) {
        v.last_error = "corrupt: sealed secret failed authentication";
    }
    return v;
}

std::vector<CredentialView> Broker::list(UnixMs now) const {
    std::vector<CredentialView> out;
    out.reserve(m_entries.size());
    for (const auto& [_, e] : m_entries) {
        out.push_back(view_of(e, now));
    }
    return out;
}

Result<CredentialView> Broker::status(std::string_view name, UnixMs now) const {
    const auto it = m_entries.find(name);
    if (it == m_entries.end()) {
        return not_found(name);
    }
    return view_of(it->second, now);
}

std::optional<UnixMs> Broker::check_expiry(UnixMs now) {
    std::optional<UnixMs> next;
    const auto consider = [&](UnixMs t) {
        if (t > now && (!next || t < *next)) {
            next = t;
        }
    };
    for (auto& [name, e] : m_entries) {
        // Refreshable kinds are the Refresher's: their expiry is its schedule.
        if (!e.record.expires_at || (!e.secrets && !e.awaiting_key) ||
            is_refreshable_kind(e.record.kind)) {
            continue;
        }
        const UnixMs expires = *e.record.expires_at;
        const Status s = status_of(e, now);
        if (s == Status::expired && !e.warned_expired) {
            spdlog::warn("credential {} expired at {}; it is no longer served", name,
                         format_rfc3339(expires));
            e.warned_expired = e.warned_expiring = true;
        } else if (s == Status::expiring && !e.warned_expiring) {
            spdlog::warn("credential {} expires at {} (in {}); replace it before then", name,
                         format_rfc3339(expires), format_duration(expires - now));
            e.warned_expiring = true;
        }
        consider(expires - expiring_window_ms);
        consider(expires - expiry_skew_ms);
    }
    return next;
}

void Broker::index(const Entry& e) {
    m_by_origin[e.record.match.origin()].push_back(&e);
}

void Broker::unindex(const Entry& e) {
    const auto bucket = m_by_origin.find(e.record.match.origin());
    if (bucket == m_by_origin.end()) {
        return;
    }
    std::erase(bucket->second, &e);
    if (bucket->second.empty()) {
        m_by_origin.erase(bucket);
    }
}

// Generations are unique across names and removals, not only per credential: a
// credential removed and added again under its name must not repeat a generation, or a
// refresh of the removed one could pass for the new one's.
std::uint64_t Broker::next_generation() {
    return ++m_last_generation;
}

void Broker::enqueue(std::function<void()> change) {
    m_changes.push_back(std::move(change));
    if (!m_changing) {
        finish_change();
    }
}

// Starts the next queued change, if any; every change calls this when it is done.
void Broker::finish_change() {
    if (m_changes.empty()) {
        m_changing = false;
        return;
    }
    m_changing = true;
    auto next = std::move(m_changes.front());
    m_changes.pop_front();
    next();
}

void Broker::add(NewCredential credential, std::function<void(Result<AddOutcome>)> done) {
    auto pending = std::make_shared<NewCredential>(std::move(credential));
    enqueue([this, pending, done = std::move(done)] { commit_add(pending, done); });
}

// Runs inside a queued change: commits `pending` (new or replacing one of its name),
// applies it to the index, answers, and starts the next change.
void Broker::commit_add(std::shared_ptr<NewCredential> pending,
                        std::function<void(Result<AddOutcome>)> done) {
    auto& r = pending->record;
    const UnixMs now = now_ms();
    const auto existing = m_entries.find(r.name);
    const bool created = existing == m_entries.end();
    r.created_at = created ? now : existing->second.record.created_at;
    r.updated_at = now;
    r.generation = next_generation();
    auto result = std::make_shared<Result<void>>();
    m_worker.submit(
        [this, pending, result] { *result = m_store.put(pending->record, pending->secrets); },
        [this, pending, result, created, done] {
            if (!*result) {
                done(result->error());
            } else {
                const std::uint64_t generation = pending->record.generation;
                auto [it, _] = m_entries.try_emplace(pending->record.name);
                if (!created) {
                    unindex(it->second);
                }
                it->second = Entry{std::move(pending->record), std::move(pending->secrets)};
                index(it->second);
                if (m_on_changed) {
                    m_on_changed();
                }
                changed(it->first);
                done(AddOutcome{created, generation});
            }
            finish_change();
        });
}

void Broker::update(CredentialChange change, std::function<void(Result<std::uint64_t>)> done) {
    auto pending = std::make_shared<CredentialChange>(std::move(change));
    enqueue([this, pending, done = std::move(done)] {
        const auto it = m_entries.find(pending->name);
        if (it == m_entries.end()) {
            done(not_found(pending->name));
            return finish_change();
        }
        auto record = std::make_shared<CredentialRecord>(it->second.record);
        if (pending->match) {
            auto username = record->match.username;
            record->match = *pending->match;
            record->match.username = pending->match->username ? pending->match->username : username;
        }
        if (pending->username) {
            record->match.username = *pending->username;
        }
        if (pending->expires_at) {
            record->expires_at = *pending->expires_at;
        }
        if (pending->labels) {
            record->labels = *pending->labels;
        }
        record->updated_at = now_ms();
        auto result = std::make_shared<Result<void>>();
        m_worker.submit([this, record, result] { *result = m_store.put_record(*record); },
                        [this, record, result, done] {
                            if (!*result) {
                                done(result->error());
                            } else {
                                Entry& e = m_entries.at(record->name);
                                unindex(e);
                                e.record = std::move(*record);
                                e.warned_expiring = e.warned_expired = false;
                                index(e);
                                if (m_on_changed) {
                                    m_on_changed();
                                }
                                changed(e.record.name);
                                done(e.record.generation);
                            }
                            finish_change();
                        });
    });
}

void Broker::remove(std::string name, std::function<void(Result<void>)> done) {
    auto pending = std::make_shared<std::string>(std::move(name));
    enqueue([this, pending, done = std::move(done)] {
        if (!m_entries.contains(*pending)) {
            done(not_found(*pending));
            return finish_change();
        }
        auto result = std::make_shared<Result<void>>();
        m_worker.submit([this, pending, result] { *result = m_store.remove(*pending); },
                        [this, pending, result, done] {
                            if (*result) {
                                const auto it = m_entries.find(*pending);
                                unindex(it->second);
                                m_entries.erase(it);
                                changed(*pending);
                            }
                            done(*result);
                            finish_change();
                        });
    });
}

std::vector<const Broker::Entry*> Broker::candidates(const Url& url,
                                                     const std::optional<std::string>& user) const {
    std::vector<const Entry*> out;
    const auto bucket = m_by_origin.find(url.origin());
    if (bucket == m_by_origin.end()) {
        return out;
    }
    for (const Entry* e : bucket->second) {
        const auto& m = e->record.match;
        if (path_has_prefix(url.path, m.path) && !(user && m.username && *user != *m.username)) {
            out.push_back(e);
        }
    }
    return out;
}

void Broker::changed(const std::string& name) {
    if (m_change_listener) {
        m_change_listener(name);
    }
}

Result<std::string> Broker::resolve(const TokenQuery& q, UnixMs now) const {
    if (q.name) {
        if (!m_entries.contains(*q.name)) {
            return not_found(*q.name);
        }
        return *q.name;
    }
    if (!q.url) {
        return make_error(Errc::invalid_params, "token.get needs \"name\" or \"url\"");
    }
    const Entry* e = best_match(q, now);
    if (!e) {
        // The same answer get_token gives.
        auto token = get_token(q, now);
        return token.error();
    }
    return e->record.name;
}

const CredentialRecord* Broker::find_record(std::string_view name) const {
    const auto it = m_entries.find(name);
    return it == m_entries.end() ? nullptr : &it->second.record;
}

const SecretMaterial* Broker::find_secrets(std::string_view name) const {
    const auto it = m_entries.find(name);
    return it == m_entries.end() || !it->second.secrets ? nullptr : &*it->second.secrets;
}

std::vector<std::string> Broker::names() const {
    std::vector<std::string> out;
    out.reserve(m_entries.size());
    for (const auto& [name, _] : m_entries) {
        out.push_back(name);
    }
    return out;
}

void Broker::unlock(Sealer sealer, std::function<void(Result<void>)> done) {
    auto pending = std::make_shared<Sealer>(std::move(sealer));
    enqueue([this, pending, done = std::move(done)] {
        auto result = std::make_shared<Result<std::vector<LoadedCredential>>>();
        m_worker.submit(
            [this, pending, result] {
                if (auto ok = m_store.set_key(std::move(*pending)); !ok) {
                    *result = ok.error();
                } else {
                    *result = m_store.load_all();
                }
            },
            [this, result, done] {
                if (*result) {
                    open_secrets(std::move(**result));
                    done({});
                } else {
                    done(result->error());
                }
                finish_change();
            });
    });
}

// Fills in the secrets that waited for the key; what changed meanwhile went through the
// queue with the key already present, so only waiting entries are touched.
void Broker::open_secrets(std::vector<LoadedCredential> loaded) {
    for (auto& l : loaded) {
        const auto it = m_entries.find(l.record.name);
        if (it == m_entries.end() || !it->second.awaiting_key) {
            continue;
        }
        it->second.awaiting_key = false;
        if (l.secrets) {
            it->second.secrets = std::move(*l.secrets);
            changed(it->first); // a refreshed kind can be scheduled now
        } else {
            spdlog::error("{}; the record is kept so it can be replaced",
                          l.secrets.error().message);
        }
    }
    if (m_on_changed) {
        m_on_changed();
    }
}

void Broker::verify_key(Sealer sealer, std::function<void(Result<void>)> done) {
    auto pending = std::make_shared<Sealer>(std::move(sealer));
    auto result = std::make_shared<Result<void>>();
    m_worker.submit([this, pending, result] { *result = m_store.verify_key(*pending); },
                    [result, done = std::move(done)] { done(*result); });
}

void Broker::apply_refresh(const RefreshCommit& c, std::uint64_t generation, UnixMs now) {
    Entry& e = m_entries.at(c.name);
    e.record.refresh = c.state;
    e.record.updated_at = now;
    if (c.secrets) {
        e.record.expires_at = c.expires_at;
        e.record.generation = generation;
        e.secrets = clone_secrets(*c.secrets);
    }
    if (c.params) {
        e.record.params = *c.params;
    }
}

void Broker::commit_refresh(RefreshCommit commit, std::function<void(Result<std::uint64_t>)> done) {
    m_refresh_batch.push_back(
        {std::make_shared<RefreshCommit>(std::move(commit)), std::move(done)});
    // One queued change takes every refresh result that has arrived by the time it runs,
    // and writes them in one transaction: one disk flush for many refreshes.
    if (m_refresh_batch.size() == 1) {
        enqueue([this] { commit_refresh_batch(); });
    }
}

void Broker::commit_refresh_batch() {
    struct Item {
        std::shared_ptr<RefreshCommit> commit;
        std::function<void(Result<std::uint64_t>)> done;
        CredentialRecord record;
    };
    auto items = std::make_shared<std::vector<Item>>();
    auto batch = std::move(m_refresh_batch);
    m_refresh_batch.clear();
    const UnixMs now = now_ms();
    for (auto& p : batch) {
        const auto it = m_entries.find(p.commit->name);
        if (it == m_entries.end() || it->second.record.generation != p.commit->generation ||
            !it->second.secrets) {
            spdlog::info("credential {}: refresh result dropped: the credential changed meanwhile",
                         p.commit->name);
            p.done(make_error(Errc::superseded, "credential " + p.commit->name +
                                                    ": changed while it was being refreshed; "
                                                    "the refresh result was dropped"));
            continue;
        }
        CredentialRecord record = it->second.record;
        record.refresh = p.commit->state;
        record.updated_at = now;
        if (p.commit->params) {
            record.params = *p.commit->params;
        }
        if (p.commit->secrets) {
            record.expires_at = p.commit->expires_at;
            record.generation = next_generation();
        }
        items->push_back({p.commit, std::move(p.done), std::move(record)});
    }
    if (items->empty()) {
        return finish_change();
    }
    auto result = std::make_shared<Result<void>>();
    m_worker.submit(
        [this, items, result] {
            std::vector<StoreWrite> writes;
            writes.reserve(items->size());
            for (const auto& i : *items) {
                writes.push_back({&i.record, i.commit->secrets ? &*i.commit->secrets : nullptr});
            }
            *result = refresh_commit_fault() ? Result<void>(refresh_commit_fault_error())
                                             : m_store.put_many(writes);
        },
        [this, items, result, now] {
            for (auto& i : *items) {
                if (!*result) {
                    i.done(result->error());
                } else if (!m_entries.contains(i.commit->name)) {
                    i.done(not_found(i.commit->name));
                } else {
                    apply_refresh(*i.commit, i.record.generation, now);
                    i.done(i.record.generation);
                }
            }
            finish_change();
        });
}

} // namespace credd
