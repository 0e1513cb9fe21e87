// Broker: the in-memory index of credentials, lookup by name or URL, fail-closed expiry,
// and the one path through which credentials change.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "credential.hh"
#include "error.hh"
#include "store.hh"
#include "time_text.hh"
#include "url.hh"

namespace credd {

class Worker;

// A token this close to its expiry counts as expired: it would die on the way to the
// server that checks it. DESIGN.md's "small skew".
inline constexpr std::int64_t expiry_skew_ms = 5'000;
// A static token this close to its expiry is `expiring`, and the daemon warns once.
inline constexpr std::int64_t expiring_window_ms = 7LL * 24 * 3600 * 1000;

// needs_login and refreshing apply to refreshable kinds only (refreshing is reported by
// the Refresher, which alone knows a refresh is in flight).
enum class Status { fresh, expiring, expired, error, needs_login, refreshing };
std::string_view status_name(Status s);

struct TokenQuery {
    std::optional<std::string> name; // either a name…
    std::optional<Url> url;          // …or a URL, with an optional username
    std::optional<std::string> username;
    std::int64_t min_valid_ms = 0;
};

// A view into the index, valid until the next change: serialise it, don't keep it.
struct TokenView {
    const CredentialRecord& record;
    std::string_view token;
    std::string_view refresh_token = {}; // empty when there is none
};

struct CredentialView {
    const CredentialRecord& record;
    Status status;
    std::optional<std::string> last_error;
};

struct NewCredential {
    CredentialRecord record; // name, kind, match, expires_at, labels; the rest is ours
    SecretMaterial secrets;
};

struct CredentialChange {
    std::string name;
    std::optional<Url> match; // keeps the username unless given
    std::optional<std::optional<std::string>> username;
    std::optional<std::optional<UnixMs>> expires_at;
    std::optional<std::map<std::string, std::string>> labels;
};

// The outcome of one refresh, to be committed: new secrets and expiry after a success,
// only the refresh state after a failure. Applied only if the credential still has
// `generation`, so a refresh superseded by a newer change (cred add) is dropped.
struct RefreshCommit {
    std::string name;
    std::uint64_t generation = 0;
    std::optional<SecretMaterial> secrets;
    std::optional<UnixMs> expires_at;
    RefreshState state;
    // A login's commit also records what discovery found (params.discovered).
    std::optional<boost::json::object> params = {};
};

struct AddOutcome {
    bool created = false;
    std::uint64_t generation = 0;
};

// What a credential helper (git's store, docker login) asks credd to keep.
struct HelperStore {
    std::string source; // "git" or "docker": the prefix of a derived name, label "source"
    Url match;          // with the username
    std::optional<UnixMs> expires_at;
    SecretMaterial secrets; // token, and refresh_token when git had one
    std::map<std::string, std::string> labels;
};

enum class StoreAction { created, replaced, unchanged, ignored };
std::string_view store_action_name(StoreAction a);

struct StoreOutcome {
    StoreAction action = StoreAction::ignored;
    std::string name;
};

// A helper's erase: git's after a server refused `token`, docker's logout (no token).
struct HelperErase {
    Url match; // with the username when the helper gave one
    std::optional<Secret> token;
    // The helper asking ("git", "docker"): without a token, only credentials labelled
    // source=<it> are removed. Unset (no helper named itself): every static one.
    std::optional<std::string> source;
};

struct EraseOutcome {
    std::vector<std::string> removed;
    std::vector<std::string> rejected; // refreshed kinds whose token was marked rejected
    std::vector<std::string> kept;     // matched, but held another token (or not marked)
};

// Owned by the Daemon; lives on the I/O thread. Reads are answered from memory.
// Changes go through a queue, one at a time: each is committed durably by the Store
// on the Worker, and only then applied to the index and acknowledged — so what a
// client is told has happened survives a crash, and two changes to one credential
// can never interleave.
class Broker {
public:
    // `on_changed` runs on the I/O thread after each change is applied: expiry times
    // may have moved, so whoever schedules check_expiry re-plans.
    Broker(Store& store, Worker& worker, std::function<void()> on_changed = {});

    // Fills the index from the Store; called once before serving.
    Result<void> load(UnixMs now);

    Result<TokenView> get_token(const TokenQuery& query, UnixMs now) const;
    std::vector<CredentialView> list(UnixMs now) const;
    Result<CredentialView> status(std::string_view name, UnixMs now) const;
    std::size_t size() const { return m_entries.size(); }

    // The name of the credential a query is for (by name, or the best URL match).
    Result<std::string> resolve(const TokenQuery& query, UnixMs now) const;
    // The stored record and open secrets of a credential; nullptr when there is no such
    // credential (or its secrets did not open).
    const CredentialRecord* find_record(std::string_view name) const;
    const SecretMaterial* find_secrets(std::string_view name) const;
    std::vector<std::string> names() const;

    // Called on the I/O thread after add, update or remove of `name` is applied, so the
    // Refresher re-plans that credential.
    // Who marks a refreshed credential's access token rejected (the Refresher): called
    // with the name and the token a server refused; true when it was the one served.
    void set_reject_handler(std::function<bool(const std::string&, std::string_view)> handler) {
        m_reject_handler = std::move(handler);
    }
    void set_change_listener(std::function<void(const std::string& name)> listener) {
        m_change_listener = std::move(listener);
    }

    // Through the change queue like every change: committed durably (on the Worker) and
    // only then applied to the index, so a rotated refresh token is on disk before the new
    // access token can be served. Errc::superseded when the generation has moved on.
    void commit_refresh(RefreshCommit commit, std::function<void(Result<std::uint64_t>)> done);

    void add(NewCredential credential, std::function<void(Result<AddOutcome>)> done);
    void update(CredentialChange change, std::function<void(Result<std::uint64_t>)> done);
    void remove(std::string name, std::function<void(Result<void>)> done);

    // git's and docker's `store`: ignored when the credential that answers for the URL
    // is one credd refreshes itself (credd is the authority there), a no-op when it
    // already serves this very token, else the static credential of exactly this match
    // is replaced, or one is created under helper_credential_name().
    void store(HelperStore request, std::function<void(Result<StoreOutcome>)> done);
    // git's and docker's `erase`, as one change: each static credential the URL lookup
    // would consider is removed when it holds `token` (compared in constant time), or,
    // without a token, when `source` stored it (any static one when no source is given);
    // one holding another token is newer and is kept.
    // Credentials credd refreshes go to mark_token_rejected().
    void erase(HelperErase request, std::function<void(Result<EraseOutcome>)> done);
    // Hands the data key to the Store (which checks it is the store's own) and opens the
    // secrets that waited for it; queued like a change, so it never interleaves with one.
    void unlock(Sealer sealer, std::function<void(Result<void>)> done);
    // Whether `sealer` opens the store, without adopting it (key migration's check).
    void verify_key(Sealer sealer, std::function<void(Result<void>)> done);

    // Logs each credential that has become expiring or expired since the last call
    // (once each), and returns when the next such moment is due.
    std::optional<UnixMs> check_expiry(UnixMs now);

private:
    struct Entry {
        CredentialRecord record;
        std::optional<SecretMaterial> secrets; // nullopt: the sealed blob did not open…
        bool awaiting_key = false;             // …or the data key is not loaded yet
        bool warned_expiring = false;
        bool warned_expired = false;
    };
    using Entries = std::map<std::string, Entry, std::less<>>;

    static Status status_of(const Entry& e, UnixMs now);
    static bool is_servable(const Entry& e, UnixMs now);
    const Entry* best_match(const TokenQuery& query, UnixMs now) const;
    Result<TokenView> serve(const Entry& e, const TokenQuery& query, UnixMs now) const;
    CredentialView view_of(const Entry& e, UnixMs now) const;
    // The credentials a URL lookup considers: same origin, path prefix, and no other
    // username than `user` (when one is asked for).
    std::vector<const Entry*> candidates(const Url& url,
                                         const std::optional<std::string>& user) const;
    Result<NewCredential> stored_credential(HelperStore& request, const Entry* best) const;
    void commit_add(std::shared_ptr<NewCredential> pending,
                    std::function<void(Result<AddOutcome>)> done);
    void commit_removals(std::shared_ptr<EraseOutcome> outcome,
                         std::function<void(Result<EraseOutcome>)> done);
    // For a credential credd refreshes itself, whose access token a server refused:
    // the token is to be dropped and refreshed on the next get, if it is still the one
    // served (the reject handler, the Refresher, decides). False: kept.
    bool mark_token_rejected(const Entry& e, const std::optional<Secret>& token);

    void index(const Entry& e);
    void unindex(const Entry& e);

    void open_secrets(std::vector<LoadedCredential> loaded);
    void enqueue(std::function<void()> change);
    void finish_change();
    void changed(const std::string& name);
    void commit_refresh_batch();
    std::uint64_t next_generation();
    void apply_refresh(const RefreshCommit& commit, std::uint64_t generation, UnixMs now);

    Store& m_store;
    Worker& m_worker;
    std::function<void()> m_on_changed;
    std::function<void(const std::string&)> m_change_listener;
    std::function<bool(const std::string&, std::string_view)> m_reject_handler;
    Entries m_entries;
    // Candidates for URL lookup, by origin (scheme://host[:port]).
    std::unordered_map<std::string, std::vector<const Entry*>> m_by_origin;
    std::deque<std::function<void()>> m_changes;
    // Refresh results waiting for the queued change that commits them together.
    struct PendingRefresh {
        std::shared_ptr<RefreshCommit> commit;
        std::function<void(Result<std::uint64_t>)> done;
    };
    std::vector<PendingRefresh> m_refresh_batch;
    bool m_changing = false;
    std::uint64_t m_last_generation = 0; // the highest generation handed out or loaded
};

} // namespace credd
