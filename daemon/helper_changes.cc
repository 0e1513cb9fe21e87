// Broker: what credential helpers ask for (git's and docker's store and erase), kept
// apart from lookup and the change queue in broker.cc.
#include <memory>

#include <spdlog/spdlog.h>

#include "broker.hh"
#include "helper_credential_name.hh"
#include "worker.hh"

namespace credd {

namespace {

bool is_stored_by(const CredentialRecord& r, std::string_view source) {
    const auto label = r.labels.find("source");
    return r.kind == kind_static && label != r.labels.end() && label->second == source;
}

// Whether `e` already answers a helper's store: the same token (compared in constant
// time), and the expiry and refresh token too when the helper sent them. git stores
// back every credential that worked, including the one credd just served: that must
// cost no write.
bool serves_already(const CredentialRecord& r, const std::optional<SecretMaterial>& secrets,
                    const HelperStore& s) {
    if (!secrets || !secrets->token.equals(s.secrets.token.expose())) {
        return false;
    }
    // Compared in whole seconds: git carries expiry as unix seconds, so the expiry it
    // stores back is the one credd answered with its milliseconds cut off.
    if (s.expires_at && (!r.expires_at || *s.expires_at / 1000 != *r.expires_at / 1000)) {
        return false;
    }
    return s.secrets.refresh_token.empty() ||
           secrets->refresh_token.equals(s.secrets.refresh_token.expose());
}

} // namespace

Result<NewCredential> Broker::stored_credential(HelperStore& s, const Entry* best) const {
    NewCredential c;
    const std::string wanted = s.match.to_string();
    for (const Entry* e : candidates(s.match, s.match.username)) {
        if (e->record.kind == kind_static && e->record.match.to_string() == wanted &&
            e->record.match.username == s.match.username) {
            c.record = e->record; // keeps the name, labels and creation time
        }
    }
    // The credential that answered still holds this very token: what the helper stores
    // back (with the username git prompted for, or a newer expiry) is that credential,
    // never a second one that would outrank it.
    if (c.record.name.empty() && best && best->record.kind == kind_static && best->secrets &&
        best->secrets->token.equals(s.secrets.token.expose())) {
        c.record = best->record;
    }
    if (c.record.name.empty()) {
        c.record.name = helper_credential_name(s.source, s.match);
        // The derived name is taken: by this helper's own earlier store (docker's login of
        // another user on the server), which the new one replaces, or by something else.
        const auto taken = m_entries.find(c.record.name);
        if (taken != m_entries.end() && !is_stored_by(taken->second.record, s.source)) {
            return make_error(Errc::invalid_params,
                              "credential " + c.record.name + " exists for another url",
                              "remove it: cred remove " + c.record.name);
        }
        c.record.kind = std::string(kind_static);
        c.record.match = s.match;
        c.record.labels = std::move(s.labels);
        c.record.labels["source"] = s.source;
    }
    c.record.expires_at = s.expires_at;
    c.secrets = std::move(s.secrets);
    return c;
}

void Broker::store(HelperStore request, std::function<void(Result<StoreOutcome>)> done) {
    auto pending = std::make_shared<HelperStore>(std::move(request));
    enqueue([this, pending, done = std::move(done)] {
        TokenQuery q;
        q.url = pending->match;
        q.username = pending->match.username;
        const Entry* best = best_match(q, now_ms());
        // credd refreshes that one itself: a token a helper hands back is at best a copy
        // of ours and at worst stale, so credd stays the authority.
        if (best && best->record.kind != kind_static) {
            done(StoreOutcome{StoreAction::ignored, best->record.name});
            return finish_change();
        }
        if (best && serves_already(best->record, best->secrets, *pending)) {
            done(StoreOutcome{StoreAction::unchanged, best->record.name});
            return finish_change();
        }
        auto credential = stored_credential(*pending, best);
        if (!credential) {
            done(credential.error());
            return finish_change();
        }
        std::string name = credential->record.name;
        commit_add(std::make_shared<NewCredential>(std::move(*credential)), [done, name](
                                                                                Result<AddOutcome>
                                                                                    added) {
            if (!added) {
                return done(added.error());
            }
            done(StoreOutcome{added->created ? StoreAction::created : StoreAction::replaced, name});
        });
    });
}

bool Broker::mark_token_rejected(const Entry& e, const std::optional<Secret>& token) {
    // Without the refused token there is nothing to compare: a newer token may already be
    // served, and marking it would spend a refresh for nothing.
    if (!token || !m_reject_handler) {
        return false;
    }
    return m_reject_handler(e.record.name, token->expose());
}

void Broker::erase(HelperErase request, std::function<void(Result<EraseOutcome>)> done) {
    auto pending = std::make_shared<HelperErase>(std::move(request));
    enqueue([this, pending, done = std::move(done)] {
        auto outcome = std::make_shared<EraseOutcome>();
        for (const Entry* e : candidates(pending->match, pending->match.username)) {
            const auto& name = e->record.name;
            if (e->record.kind != kind_static) {
                (mark_token_rejected(*e, pending->token) ? outcome->rejected : outcome->kept)
                    .push_back(name);
                continue;
            }
            // Compared here, inside the change queue, so no store can slip in between
            // the comparison and the removal: a stale erase never deletes a newer token.
            // Without a token, a helper that names itself removes only what it stored.
            const bool same = pending->token
                                  ? e->secrets && e->secrets->token.equals(pending->token->expose())
                                  : !pending->source || is_stored_by(e->record, *pending->source);
            (same ? outcome->removed : outcome->kept).push_back(name);
        }
        commit_removals(outcome, done);
    });
}

void Broker::commit_removals(std::shared_ptr<EraseOutcome> outcome,
                             std::function<void(Result<EraseOutcome>)> done) {
    if (outcome->removed.empty()) {
        done(std::move(*outcome));
        return finish_change();
    }
    auto failure = std::make_shared<std::optional<Error>>();
    auto gone = std::make_shared<std::vector<std::string>>();
    m_worker.submit(
        [this, outcome, failure, gone] {
            for (const auto& name : outcome->removed) {
                if (auto removed = m_store.remove(name); !removed) {
                    *failure = removed.error();
                    break;
                }
                gone->push_back(name);
            }
        },
        [this, outcome, failure, gone, done] {
            for (const auto& name : *gone) {
                const auto it = m_entries.find(name);
                unindex(it->second);
                m_entries.erase(it);
                changed(name);
            }
            if (!gone->empty() && m_on_changed) {
                m_on_changed();
            }
            if (*failure) {
                done(**failure);
            } else {
                done(std::move(*outcome));
            }
            finish_change();
        });
}

} // namespace credd
