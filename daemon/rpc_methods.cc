// RpcMethods: one table entry and one handler per method (credd-protocol(7) is the contract).
#include "rpc_methods.hh"

#include <array>
#include <initializer_list>
#include <memory>

#include <unistd.h>

#include "broker.hh"
#include "helper_methods.hh"
#include "id_token.hh"
#include "key_gate.hh"
#include "login_manager.hh"
#include "protocol.hh"
#include "provider_presets.hh"
#include "refresher.hh"
#include "rpc_params.hh"
#include "strategy.hh"
#include "watch_hub.hh"

namespace credd {

namespace json = boost::json;

namespace {

constexpr std::int64_t max_min_valid_s = 366LL * 86400;

json::value nullable(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}

json::value nullable(const std::optional<UnixMs>& t) {
    return t ? json::value(*t) : json::value(nullptr);
}

std::string match_url(const Url& match) {
    Url u = match;
    u.username.reset();
    return u.to_string();
}

Result<std::string> get_name(const json::object& params) {
    auto name = protocol::get_string(params, "name");
    if (name && !is_valid_name(*name)) {
        return make_error(Errc::invalid_params,
                          "invalid credential name: use letters, digits and ._@+- (at most 128)");
    }
    return name;
}

const std::string& key_protection(const RpcContext& c) {
    return c.key_gate ? c.key_gate->protection() : c.info.key_protection;
}

json::value key_error_json(const KeyGate& gate, const json::storage_ptr& sp) {
    if (gate.state() != KeyState::failed || !gate.error()) {
        return nullptr;
    }
    const Error& e = *gate.error();
    return json::object({{"code", code_name(e.code)}, {"message", e.message}, {"hint", e.hint}},
                        sp);
}

json::object credential_json(const CredentialView& v, const json::storage_ptr& sp) {
    const auto& r = v.record;
    json::object labels(sp);
    for (const auto& [k, val] : r.labels) {
        labels[k] = val;
    }
    return json::object({{"name", r.name},
                         {"kind", r.kind},
                         {"url", match_url(r.match)},
                         {"username", nullable(r.match.username)},
                         {"labels", std::move(labels)},
                         {"expires_at", nullable(r.expires_at)},
                         {"status", status_name(v.status)},
                         {"created_at", r.created_at},
                         {"updated_at", r.updated_at}},
                        sp);
}

json::object status_json(const CredentialView& v, const RpcContext& context,
                         const json::storage_ptr& sp) {
    const auto& r = v.record;
    const RefreshState& rs = r.refresh;
    Status status = v.status;
    if (context.refresher && context.refresher->is_refreshing(r.name)) {
        status = Status::refreshing;
    }
    const bool refreshable = is_refreshable_kind(r.kind);
    json::object out(
        {{"name", r.name},
         {"kind", r.kind},
         {"url", match_url(r.match)},
         {"username", nullable(r.match.username)},
         {"status", status_name(status)},
         {"expires_at", nullable(r.expires_at)},
         {"next_refresh", nullable(rs.next_refresh)},
         {"last_refresh", nullable(rs.last_refresh)},
         {"last_error", v.last_error ? nullable(v.last_error) : nullable(rs.last_error)},
         {"protection", key_protection(context)}},
        sp);
    // A refresh result whose commit is being retried: the store's error is the news.
    if (const auto store_error =
            context.refresher ? context.refresher->store_error(r.name) : std::nullopt;
        store_error && !v.last_error) {
        out["last_error"] = *store_error;
    }
    if (refreshable) {
        out["error_class"] =
            rs.error_class.empty() ? json::value(nullptr) : json::value(rs.error_class);
        out["failures"] = rs.failures;
        out["lifetime_assumed"] = rs.default_lifetime;
    }
    return out;
}

void daemon_info(RpcCall call) {
    const auto& info = call.context.info;
    const auto uptime = std::chrono::steady_clock::now() - info.started;
    json::value out(json::object(
        {{"version", CREDD_VERSION},
         {"protocol", protocol::version},
         {"pid", ::getpid()},
         {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(uptime).count()},
         {"socket", info.socket_path},
         {"store", info.store_path},
         {"key_protection", info.key_protection},
         {"key_location", info.key_location},
         {"credentials", call.context.broker.size()}},
        call.storage));
    if (const KeyGate* gate = call.context.key_gate) {
        auto& o = out.get_object();
        o["key_store"] = gate->mode();
        o["key_protection"] = gate->protection();
        o["key_location"] = gate->location();
        o["key_state"] = key_state_name(gate->state());
        o["key_error"] = key_error_json(*gate, call.storage);
    }
    call.reply(std::move(out));
}

// The secret object of credential.add: "token" for static; "refresh_token",
// "client_secret" and an optional first "token" for the refreshable kinds.
Result<SecretMaterial> parse_secret(const json::object& p, std::string_view kind) {
    SecretMaterial m;
    const auto* secret = p.if_contains("secret");
    if (secret == nullptr && (kind == kind_exec || is_login_kind(kind))) {
        return m;
    }
    if (secret == nullptr || !secret->is_object()) {
        return make_error(Errc::invalid_params, "\"secret\" must be an object");
    }
    const std::pair<std::string_view, Secret SecretMaterial::*> fields[] = {
        {"token", &SecretMaterial::token},
        {"refresh_token", &SecretMaterial::refresh_token},
        {"client_secret", &SecretMaterial::client_secret}};
    for (const auto& kv : secret->get_object()) {
        bool known = false;
        for (const auto& [key, member] : fields) {
            if (kv.key() != key) {
                continue;
            }
            if (!kv.value().is_string() || kv.value().get_string().empty()) {
                return make_error(Errc::invalid_params,
                                  "secret \"" + std::string(key) + "\" must be a non-empty string");
            }
            m.*member = Secret(std::string_view(kv.value().get_string()));
            known = true;
        }
        if (!known) {
            return make_error(Errc::invalid_params,
                              "unknown secret \"" + std::string(kv.key()) + '"');
        }
    }
    if (kind == kind_static &&
        (m.token.empty() || !m.refresh_token.empty() || !m.client_secret.empty())) {
        return make_error(Errc::invalid_params, "\"secret\" must be an object with a non-empty "
                                                "string \"token\"");
    }
    if (is_login_kind(kind) && (!m.token.empty() || !m.refresh_token.empty())) {
        return make_error(Errc::invalid_params,
                          "a " + std::string(kind) + " credential takes only \"client_secret\"",
                          "its tokens come from: cred login NAME");
    }
    return m;
}

// A refreshable credential added without a URL is reached by name only: it is stored
// with this match, which no URL a client asks about has.
constexpr std::string_view name_only_url = "credd://unmatched";

// params.preset (github, gitlab, …) fills endpoints, scope and the URL match the user did
// not give (daemon/provider_presets.hh); only for the kinds that log in.
Result<void> apply_login_preset(std::string_view kind, json::object& params,
                                std::optional<Url>& url) {
    if (!params.contains("preset") || !is_login_kind(kind)) {
        return {};
    }
    return apply_preset(params, url);
}

Result<NewCredential> parse_new_credential(const json::object& p) {
    if (auto known = check_known(
            p, {"name", "url", "username", "kind", "expires_at", "labels", "secret", "params"});
        !known) {
        return known.error();
    }
    auto name = get_name(p);
    auto url = get_url(p);
    auto username = protocol::get_optional_string(p, "username");
    auto kind = protocol::get_optional_string(p, "kind");
    auto expires_at = protocol::get_optional_int(p, "expires_at");
    if (auto e = first_error(name, url, username, kind, expires_at)) {
        return *e;
    }
    const std::string kind_name = kind->value_or(std::string(kind_static));
    const bool refreshable = is_refreshable_kind(kind_name);
    if (kind_name != kind_static && !refreshable) {
        return make_error(Errc::invalid_params, "unknown kind \"" + kind_name + '"',
                          "kinds: static, oauth2-refresh-token, oauth2-client-credentials, exec, "
                          "device, auth-code");
    }
    if (!*url && !refreshable) {
        return make_error(Errc::invalid_params, "missing parameter \"url\"");
    }
    NewCredential c;
    c.record.name = std::move(*name);
    c.record.kind = kind_name;
    if (const auto* params = p.if_contains("params")) {
        if (!params->is_object() || !refreshable) {
            return make_error(Errc::invalid_params,
                              "\"params\" must be an object, for a refreshable kind");
        }
        c.record.params = params->get_object();
    }
    if (auto ok = apply_login_preset(kind_name, c.record.params, *url); !ok) {
        return ok.error();
    }
    c.record.match = *url ? std::move(**url) : parse_url(name_only_url).value();
    auto secrets = parse_secret(p, kind_name);
    if (!secrets) {
        return secrets.error();
    }
    c.secrets = std::move(*secrets);
    if (refreshable) {
        if (auto ok = check_kind_params(kind_name, c.record.params, c.secrets); !ok) {
            return ok.error();
        }
        if (c.secrets.token.empty()) {
            *expires_at = std::nullopt; // no token yet: fetched at once
        }
    }
    if (*username) {
        c.record.match.username = std::move(**username);
    }
    c.record.expires_at = *expires_at;
    if (const auto* labels = p.if_contains("labels")) {
        auto parsed = get_labels(*labels);
        if (!parsed) {
            return parsed.error();
        }
        c.record.labels = std::move(*parsed);
    }
    return c;
}

void credential_add(RpcCall call) {
    auto credential = parse_new_credential(call.params);
    if (!credential) {
        return call.reply(credential.error());
    }
    auto pending = std::make_shared<NewCredential>(std::move(*credential));
    with_key(call, [&broker = call.context.broker, reply = call.reply, sp = call.storage, pending] {
        std::string name = pending->record.name;
        broker.add(std::move(*pending), [reply, sp, name](auto outcome) {
            if (!outcome) {
                return reply(outcome.error());
            }
            reply(json::value(json::object({{"name", name},
                                            {"created", outcome->created},
                                            {"generation", outcome->generation}},
                                           sp)));
        });
    });
}

Result<CredentialChange> parse_change(const json::object& p) {
    if (auto known = check_known(p, {"name", "url", "username", "expires_at", "labels"}); !known) {
        return known.error();
    }
    auto name = get_name(p);
    if (!name) {
        return name.error();
    }
    CredentialChange c;
    c.name = std::move(*name);
    auto url = get_url(p);
    if (!url) {
        return url.error();
    }
    c.match = std::move(*url);
    if (p.contains("username")) {
        auto username = protocol::get_optional_string(p, "username");
        if (!username) {
            return username.error();
        }
        c.username = std::move(*username);
    }
    if (p.contains("expires_at")) {
        auto expires_at = protocol::get_optional_int(p, "expires_at");
        if (!expires_at) {
            return expires_at.error();
        }
        c.expires_at = *expires_at;
    }
    if (const auto* labels = p.if_contains("labels")) {
        auto parsed = get_labels(*labels);
        if (!parsed) {
            return parsed.error();
        }
        c.labels = std::move(*parsed);
    }
    return c;
}

void credential_update(RpcCall call) {
    auto change = parse_change(call.params);
    if (!change) {
        return call.reply(change.error());
    }
    std::string name = change->name;
    call.context.broker.update(
        std::move(*change), [reply = call.reply, sp = call.storage, name](auto generation) {
            if (!generation) {
                return reply(generation.error());
            }
            reply(json::value(json::object({{"name", name}, {"generation", *generation}}, sp)));
        });
}

void credential_remove(RpcCall call) {
    if (auto known = check_known(call.params, {"name"}); !known) {
        return call.reply(known.error());
    }
    auto name = get_name(call.params);
    if (!name) {
        return call.reply(name.error());
    }
    call.context.broker.remove(
        *name, [reply = call.reply, sp = call.storage, name = *name](Result<void> removed) {
            if (!removed) {
                return reply(removed.error());
            }
            reply(json::value(json::object({{"name", name}, {"removed", true}}, sp)));
        });
}

void credential_list(RpcCall call) {
    if (auto known = check_known(call.params, {}); !known) {
        return call.reply(known.error());
    }
    json::array out(call.storage);
    for (const auto& v : call.context.broker.list(now_ms())) {
        out.push_back(credential_json(v, call.storage));
    }
    call.reply(json::value(json::object({{"credentials", std::move(out)}}, call.storage)));
}

void credential_status(RpcCall call) {
    if (auto known = check_known(call.params, {"name"}); !known) {
        return call.reply(known.error());
    }
    const UnixMs now = now_ms();
    json::array out(call.storage);
    if (call.params.contains("name")) {
        auto name = get_name(call.params);
        if (!name) {
            return call.reply(name.error());
        }
        auto view = call.context.broker.status(*name, now);
        if (!view) {
            return call.reply(view.error());
        }
        out.push_back(status_json(*view, call.context, call.storage));
    } else {
        for (const auto& v : call.context.broker.list(now)) {
            out.push_back(status_json(v, call.context, call.storage));
        }
    }
    call.reply(json::value(json::object({{"credentials", std::move(out)}}, call.storage)));
}

Result<TokenQuery> parse_token_query(const json::object& p) {
    if (auto known = check_known(p, {"name", "url", "username", "min_valid", "with_refresh_token"});
        !known) {
        return known.error();
    }
    TokenQuery q;
    if (p.contains("name")) {
        auto name = get_name(p);
        if (!name) {
            return name.error();
        }
        q.name = std::move(*name);
    }
    auto url = get_url(p);
    auto username = protocol::get_optional_string(p, "username");
    auto min_valid = protocol::get_optional_int(p, "min_valid");
    if (auto e = first_error(url, username, min_valid)) {
        return *e;
    }
    if (q.name.has_value() == url->has_value()) {
        return make_error(Errc::invalid_params, "token.get needs either \"name\" or \"url\"");
    }
    q.url = std::move(*url);
    q.username = std::move(*username);
    const std::int64_t min_valid_s = min_valid->value_or(0);
    if (min_valid_s < 0 || min_valid_s > max_min_valid_s) {
        return make_error(Errc::invalid_params, "\"min_valid\" must be 0 to " +
                                                    std::to_string(max_min_valid_s) + " seconds");
    }
    q.min_valid_ms = min_valid_s * 1000;
    return q;
}

// "bearer" for kinds credd refreshes (OAuth access tokens) and for a static token
// labelled auth=bearer; "basic" (a password) otherwise. git's authtype answer uses it.
std::string_view auth_scheme_of(const CredentialRecord& r) {
    const auto label = r.labels.find("auth");
    const bool bearer =
        r.kind != kind_static || (label != r.labels.end() && label->second == "bearer");
    return bearer ? "bearer" : "basic";
}

// Answers token.get from the index. `want_refresh`: a static credential's refresh token
// too — that one belongs to whoever stored it (git's OAuth helpers) and credd never
// spends it; a refreshed kind's never leaves the daemon.
void reply_token(RpcCall& call, const TokenQuery& query, bool want_refresh) {
    auto token = call.context.broker.get_token(query, now_ms());
    if (!token) {
        return call.reply(token.error());
    }
    const auto& r = token->record;
    json::object result({{"token", token->token},
                         {"name", r.name},
                         {"username", nullable(r.match.username)},
                         {"expires_at", nullable(r.expires_at)},
                         {"generation", r.generation},
                         {"kind", r.kind},
                         {"auth_scheme", auth_scheme_of(r)}},
                        call.storage);
    if (want_refresh && r.kind == kind_static && !token->refresh_token.empty()) {
        result["refresh_token"] = token->refresh_token;
    }
    call.reply(json::value(std::move(result)));
}

// Once the key is there, a refreshable credential is first made fresh enough — at once,
// or after the refresh this joins or starts — and then answered like any other.
void serve_token(RpcCall call, const TokenQuery& query, bool want_refresh) {
    Refresher* refresher = call.context.refresher;
    auto name = call.context.broker.resolve(query, now_ms());
    const CredentialRecord* record = name ? call.context.broker.find_record(*name) : nullptr;
    if (refresher == nullptr || record == nullptr || !is_refreshable_kind(record->kind)) {
        return reply_token(call, query, want_refresh);
    }
    TokenQuery by_name{*name, std::nullopt, std::nullopt, query.min_valid_ms};
    refresher->ensure(*name, query.min_valid_ms,
                      [call, by_name = std::move(by_name)](Result<void> ready) mutable {
                          if (!ready) {
                              return call.reply(ready.error());
                          }
                          reply_token(call, by_name, false);
                      });
}

void token_get(RpcCall call) {
    auto query = parse_token_query(call.params);
    if (!query) {
        return call.reply(query.error());
    }
    const auto* with_refresh = call.params.if_contains("with_refresh_token");
    if (with_refresh && !with_refresh->is_bool()) {
        return call.reply(
            make_error(Errc::invalid_params, "\"with_refresh_token\" must be a boolean"));
    }
    const bool want_refresh = with_refresh && with_refresh->get_bool();
    with_key(call, [call, query = std::move(*query), want_refresh] {
        serve_token(call, query, want_refresh);
    });
}

void keystore_migrate(RpcCall call) {
    if (auto known = check_known(call.params, {"to"}); !known) {
        return call.reply(known.error());
    }
    auto to = protocol::get_string(call.params, "to");
    if (!to) {
        return call.reply(to.error());
    }
    if (*to != "keyring" && *to != "file") {
        return call.reply(
            make_error(Errc::invalid_params, "\"to\" must be \"keyring\" or \"file\""));
    }
    if (!call.context.key_gate) {
        return call.reply(make_error(Errc::internal, "keystore: no key gate in this daemon"));
    }
    call.context.key_gate->migrate(*to, [reply = call.reply, sp = call.storage](auto outcome) {
        if (!outcome) {
            return reply(outcome.error());
        }
        reply(json::value(json::object({{"key_protection", outcome->protection},
                                        {"key_location", outcome->location},
                                        {"moved", outcome->moved},
                                        {"removed_copy", outcome->removed_copy}},
                                       sp)));
    });
}

void credential_rotate(RpcCall call) {
    if (auto known = check_known(call.params, {"name"}); !known) {
        return call.reply(known.error());
    }
    auto name = get_name(call.params);
    if (!name) {
        return call.reply(name.error());
    }
    if (call.context.refresher == nullptr) {
        return call.reply(make_error(Errc::internal, "credential.rotate: no refresher"));
    }
    // A refresh spends secrets: the key first.
    with_key(call, [call, name = *name] {
        call.context.refresher->rotate(name, [call, name](Result<void> done) mutable {
            if (!done) {
                return call.reply(done.error());
            }
            auto view = call.context.broker.status(name, now_ms());
            if (!view) {
                return call.reply(view.error());
            }
            call.reply(json::value(status_json(*view, call.context, call.storage)));
        });
    });
}

// git-credential erase after a 401: the server refused this token, so a refreshed
// credential must not hand it out again (the next token.get refreshes).
void token_reject(RpcCall call) {
    if (auto known = check_known(call.params, {"name", "token"}); !known) {
        return call.reply(known.error());
    }
    auto name = get_name(call.params);
    auto token = protocol::get_string(call.params, "token");
    if (auto e = first_error(name, token)) {
        return call.reply(*e);
    }
    // The comparison needs the stored token, so the key.
    auto refused = std::make_shared<Secret>(std::string_view(*token));
    wipe(*token);
    with_key(call, [call, name = *name, refused] {
        const bool rejected =
            call.context.refresher && call.context.refresher->reject_token(name, refused->expose());
        call.reply(
            json::value(json::object({{"name", name}, {"rejected", rejected}}, call.storage)));
    });
}

// Runs an interactive login for a device or auth-code credential; the outcome arrives as
// login.progress notifications on this connection.
void login_start(RpcCall call) {
    if (auto known = check_known(call.params, {"name", "open_listener"}); !known) {
        return call.reply(known.error());
    }
    auto name = get_name(call.params);
    if (!name) {
        return call.reply(name.error());
    }
    const auto* open = call.params.if_contains("open_listener");
    if (open && !open->is_bool()) {
        return call.reply(make_error(Errc::invalid_params, "\"open_listener\" must be a boolean"));
    }
    if (call.context.logins == nullptr || call.watcher == nullptr) {
        return call.reply(make_error(Errc::internal, "login.start: not available here"));
    }
    // The client secret (confidential clients) is sealed: the key first.
    with_key(call, [call, name = *name, open_listener = !open || open->get_bool()] {
        call.context.logins->start(
            name, open_listener, call.watcher, [call](Result<json::object> started) {
                if (!started) {
                    return call.reply(started.error());
                }
                call.reply(json::value(json::object(*started, call.storage)));
            });
    });
}

Result<std::string> get_login_id(const json::object& params) {
    auto id = protocol::get_string(params, "login_id");
    if (id && (id->empty() || id->size() > 64)) {
        return make_error(Errc::invalid_params, "\"login_id\" must be a login id");
    }
    return id;
}

void login_complete(RpcCall call) {
    if (auto known = check_known(call.params, {"login_id", "redirect_url", "code"}); !known) {
        return call.reply(known.error());
    }
    auto id = get_login_id(call.params);
    if (!id) {
        return call.reply(id.error());
    }
    if (call.context.logins == nullptr) {
        return call.reply(make_error(Errc::internal, "login.complete: not available here"));
    }
    if (auto done = call.context.logins->complete(*id, call.params); !done) {
        return call.reply(done.error());
    }
    call.reply(json::value(json::object({}, call.storage)));
}

void login_cancel(RpcCall call) {
    if (auto known = check_known(call.params, {"login_id"}); !known) {
        return call.reply(known.error());
    }
    auto id = get_login_id(call.params);
    if (!id) {
        return call.reply(id.error());
    }
    if (call.context.logins == nullptr) {
        return call.reply(make_error(Errc::not_found, "no login " + *id + " in progress"));
    }
    if (auto done = call.context.logins->cancel(*id); !done) {
        return call.reply(done.error());
    }
    call.reply(json::value(json::object({}, call.storage)));
}

// The claims of the stored ID token, decoded and shown, never verified.
void credential_whoami(RpcCall call) {
    if (auto known = check_known(call.params, {"name"}); !known) {
        return call.reply(known.error());
    }
    auto name = get_name(call.params);
    if (!name) {
        return call.reply(name.error());
    }
    with_key(call, [call, name = *name] {
        const CredentialRecord* r = call.context.broker.find_record(name);
        if (r == nullptr) {
            return call.reply(make_error(Errc::not_found, "no credential named \"" + name + '"',
                                         "see: cred list"));
        }
        const SecretMaterial* m = call.context.broker.find_secrets(name);
        std::optional<json::object> claims;
        if (m != nullptr && !m->id_token.empty()) {
            claims = id_token_claims(m->id_token.expose());
        }
        if (!claims) {
            return call.reply(make_error(Errc::no_id_token,
                                         "credential " + name + ": no ID token stored",
                                         "log in with the openid scope: cred login " + name));
        }
        auto claim = [&](const char* key) {
            const auto* v = claims->if_contains(key);
            return v && v->is_string() ? *v : json::value(nullptr);
        };
        json::value expires_at = nullptr;
        if (const auto* exp = claims->if_contains("exp"); exp && exp->is_number()) {
            boost::system::error_code ec;
            const auto s = exp->to_number<std::int64_t>(ec);
            if (!ec && s > 0 && s < (1LL << 40)) {
                expires_at = s * 1000;
            }
        }
        json::value issuer = claim("iss");
        if (issuer.is_null()) {
            if (const auto* i = r->params.if_contains("issuer")) {
                issuer = *i;
            }
        }
        call.reply(json::value(json::object({{"name", name},
                                             {"sub", claim("sub")},
                                             {"email", claim("email")},
                                             {"preferred_username", claim("preferred_username")},
                                             {"name_claim", claim("name")},
                                             {"issuer", issuer},
                                             {"expires_at", expires_at}},
                                            call.storage)));
    });
}

// Subscribes this connection to token.changed notifications for one credential or all.
void token_watch(RpcCall call) {
    if (auto known = check_known(call.params, {"name", "with_token"}); !known) {
        return call.reply(known.error());
    }
    std::optional<std::string> name;
    if (call.params.contains("name")) {
        auto n = get_name(call.params);
        if (!n) {
            return call.reply(n.error());
        }
        // A misspelt name would wait forever for events that never come.
        if (!call.context.broker.find_record(*n)) {
            return call.reply(make_error(Errc::not_found, "no credential named \"" + *n + '"',
                                         "watch every credential (no \"name\") to see it added"));
        }
        name = std::move(*n);
    }
    const auto* with_token = call.params.if_contains("with_token");
    if (with_token && !with_token->is_bool()) {
        return call.reply(make_error(Errc::invalid_params, "\"with_token\" must be a boolean"));
    }
    if (call.watcher == nullptr || call.context.watch_hub == nullptr) {
        return call.reply(make_error(Errc::internal, "token.watch: not available here"));
    }
    json::value watching = name ? json::value(*name) : json::value(nullptr);
    call.watcher->watch(std::move(name), with_token && with_token->get_bool());
    call.reply(json::value(json::object({{"watching", std::move(watching)}}, call.storage)));
}

void token_unwatch(RpcCall call) {
    if (auto known = check_known(call.params, {}); !known) {
        return call.reply(known.error());
    }
    if (call.watcher != nullptr) {
        call.watcher->unwatch();
    }
    call.reply(json::value(json::object({{"watching", nullptr}}, call.storage)));
}

constexpr std::array methods{
    RpcMethod{protocol::method::daemon_info, daemon_info, false},
    RpcMethod{protocol::method::credential_add, credential_add, true},
    RpcMethod{protocol::method::credential_update, credential_update, true},
    RpcMethod{protocol::method::credential_remove, credential_remove, true},
    RpcMethod{protocol::method::credential_list, credential_list, false},
    RpcMethod{protocol::method::credential_status, credential_status, false},
    RpcMethod{protocol::method::token_get, token_get, false},
    RpcMethod{protocol::method::credential_store, credential_store, true},
    RpcMethod{protocol::method::credential_erase, credential_erase, true},
    RpcMethod{protocol::method::keystore_migrate, keystore_migrate, true},
    RpcMethod{protocol::method::credential_rotate, credential_rotate, true},
    RpcMethod{protocol::method::token_reject, token_reject, true},
    RpcMethod{protocol::method::token_watch, token_watch, false},
    RpcMethod{protocol::method::token_unwatch, token_unwatch, false},
    RpcMethod{protocol::method::login_start, login_start, true},
    RpcMethod{protocol::method::login_complete, login_complete, true},
    RpcMethod{protocol::method::login_cancel, login_cancel, true},
    RpcMethod{protocol::method::credential_whoami, credential_whoami, false},
};

} // namespace

const RpcMethod* find_rpc_method(std::string_view name) {
    for (const auto& m : methods) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

} // namespace credd
