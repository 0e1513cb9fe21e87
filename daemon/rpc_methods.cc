// RpcMethods: one table entry and one handler per method (credd-protocol(7) is the contract).
#include "rpc_methods.hh"

#include <array>
#include <initializer_list>

#include <unistd.h>

#include "broker.hh"
#include "protocol.hh"
#include "refresher.hh"
#include "strategy.hh"

namespace credd {

namespace json = boost::json;

namespace {

constexpr std::size_t max_labels = 64;
constexpr std::size_t max_label_bytes = 256;
constexpr std::int64_t max_min_valid_s = 366LL * 86400;

// Unknown parameters are refused rather than ignored, so a misspelt option
// ("expire_at") fails loudly instead of silently doing less than asked.
Result<void> check_known(const json::object& params,
                         std::initializer_list<std::string_view> known) {
    for (const auto& kv : params) {
        bool ok = false;
        for (auto k : known) {
            ok = ok || kv.key() == k;
        }
        if (!ok) {
            return make_error(Errc::invalid_params,
                              "unknown parameter \"" + std::string(kv.key()) + '"');
        }
    }
    return {};
}

// The first failure among several parameter reads, in parameter order.
template <class... Results>
std::optional<Error> first_error(const Results&... results) {
    std::optional<Error> first;
    ((first || results ? void() : void(first = results.error())), ...);
    return first;
}

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

Result<std::optional<Url>> get_url(const json::object& params) {
    auto text = protocol::get_optional_string(params, "url");
    if (!text) {
        return text.error();
    }
    if (!*text) {
        return std::optional<Url>{};
    }
    auto url = parse_url(**text);
    if (!url) {
        return url.error();
    }
    return std::optional<Url>(std::move(*url));
}

Result<std::map<std::string, std::string>> get_labels(const json::value& v) {
    if (!v.is_object() || v.get_object().size() > max_labels) {
        return make_error(Errc::invalid_params, "\"labels\" must be an object of at most 64 "
                                                "string values");
    }
    std::map<std::string, std::string> labels;
    for (const auto& kv : v.get_object()) {
        if (!kv.value().is_string() || kv.key().empty() || kv.key().size() > max_label_bytes ||
            kv.value().get_string().size() > max_label_bytes) {
            return make_error(Errc::invalid_params, "label \"" + std::string(kv.key()) +
                                                        "\": key and value must be strings of "
                                                        "1 to 256 bytes");
        }
        labels.emplace(kv.key(), kv.value().get_string());
    }
    return labels;
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
         {"protection", context.info.key_protection}},
        sp);
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
    call.reply(json::value(json::object(
        {{"version", CREDD_VERSION},
         {"protocol", protocol::version},
         {"pid", ::getpid()},
         {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(uptime).count()},
         {"socket", info.socket_path},
         {"store", info.store_path},
         {"key_protection", info.key_protection},
         {"key_location", info.key_location},
         {"credentials", call.context.broker.size()}},
        call.storage)));
}

// The secret object of credential.add: "token" for static; "refresh_token",
// "client_secret" and an optional first "token" for the refreshable kinds.
Result<SecretMaterial> parse_secret(const json::object& p, std::string_view kind) {
    SecretMaterial m;
    const auto* secret = p.if_contains("secret");
    if (secret == nullptr && kind == kind_exec) {
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
    return m;
}

// A refreshable credential added without a URL is reached by name only: it is stored
// with this match, which no URL a client asks about has.
constexpr std::string_view name_only_url = "credd://unmatched";

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
                          "kinds: static, oauth2-refresh-token, oauth2-client-credentials, exec");
    }
    if (!*url && !refreshable) {
        return make_error(Errc::invalid_params, "missing parameter \"url\"");
    }
    NewCredential c;
    c.record.name = std::move(*name);
    c.record.kind = kind_name;
    c.record.match = *url ? std::move(**url) : parse_url(name_only_url).value();
    if (const auto* params = p.if_contains("params")) {
        if (!params->is_object() || !refreshable) {
            return make_error(Errc::invalid_params,
                              "\"params\" must be an object, for a refreshable kind");
        }
        c.record.params = params->get_object();
    }
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
    std::string name = credential->record.name;
    call.context.broker.add(std::move(*credential), [reply = call.reply, sp = call.storage,
                                                     name](auto outcome) {
        if (!outcome) {
            return reply(outcome.error());
        }
        reply(json::value(json::object(
            {{"name", name}, {"created", outcome->created}, {"generation", outcome->generation}},
            sp)));
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
    if (auto known = check_known(p, {"name", "url", "username", "min_valid"}); !known) {
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

void reply_token(RpcCall& call, const TokenQuery& query) {
    auto token = call.context.broker.get_token(query, now_ms());
    if (!token) {
        return call.reply(token.error());
    }
    const auto& r = token->record;
    call.reply(json::value(json::object({{"token", token->token},
                                         {"name", r.name},
                                         {"username", nullable(r.match.username)},
                                         {"expires_at", nullable(r.expires_at)},
                                         {"generation", r.generation}},
                                        call.storage)));
}

// A refreshable credential is first made fresh enough — at once, or after the refresh
// this joins or starts — and then answered like any other.
void token_get(RpcCall call) {
    auto query = parse_token_query(call.params);
    if (!query) {
        return call.reply(query.error());
    }
    Refresher* refresher = call.context.refresher;
    auto name = call.context.broker.resolve(*query, now_ms());
    const CredentialRecord* record = name ? call.context.broker.find_record(*name) : nullptr;
    if (refresher == nullptr || record == nullptr || !is_refreshable_kind(record->kind)) {
        return reply_token(call, *query);
    }
    TokenQuery by_name{*name, std::nullopt, std::nullopt, query->min_valid_ms};
    refresher->ensure(
        *name, query->min_valid_ms,
        [call = std::move(call), by_name = std::move(by_name)](Result<void> ready) mutable {
            if (!ready) {
                return call.reply(ready.error());
            }
            reply_token(call, by_name);
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
    call.context.refresher->rotate(
        *name, [call = std::move(call), name = *name](Result<void> done) mutable {
            if (!done) {
                return call.reply(done.error());
            }
            auto view = call.context.broker.status(name, now_ms());
            if (!view) {
                return call.reply(view.error());
            }
            call.reply(json::value(status_json(*view, call.context, call.storage)));
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
    const bool rejected =
        call.context.refresher && call.context.refresher->reject_token(*name, *token);
    wipe(*token);
    call.reply(json::value(json::object({{"name", *name}, {"rejected", rejected}}, call.storage)));
}

constexpr std::array methods{
    RpcMethod{protocol::method::daemon_info, daemon_info, false},
    RpcMethod{protocol::method::credential_add, credential_add, true},
    RpcMethod{protocol::method::credential_update, credential_update, true},
    RpcMethod{protocol::method::credential_remove, credential_remove, true},
    RpcMethod{protocol::method::credential_list, credential_list, false},
    RpcMethod{protocol::method::credential_status, credential_status, false},
    RpcMethod{protocol::method::token_get, token_get, false},
    RpcMethod{protocol::method::credential_rotate, credential_rotate, true},
    RpcMethod{protocol::method::token_reject, token_reject, true},
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
