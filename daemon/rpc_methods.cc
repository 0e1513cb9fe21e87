// RpcMethods: one table entry and one handler per method (credd-protocol(7) is the contract).
#include "rpc_methods.hh"

#include <array>
#include <initializer_list>
#include <memory>

#include <unistd.h>

#include "broker.hh"
#include "helper_methods.hh"
#include "key_gate.hh"
#include "protocol.hh"
#include "rpc_params.hh"

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

json::object status_json(const CredentialView& v, const std::string& protection,
                         const json::storage_ptr& sp) {
    const auto& r = v.record;
    return json::object({{"name", r.name},
                         {"kind", r.kind},
                         {"url", match_url(r.match)},
                         {"username", nullable(r.match.username)},
                         {"status", status_name(v.status)},
                         {"expires_at", nullable(r.expires_at)},
                         {"next_refresh", nullptr},
                         {"last_refresh", nullptr},
                         {"last_error", nullable(v.last_error)},
                         {"protection", protection}},
                        sp);
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

Result<NewCredential> parse_new_credential(const json::object& p) {
    if (auto known =
            check_known(p, {"name", "url", "username", "kind", "expires_at", "labels", "secret"});
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
    if (!*url) {
        return make_error(Errc::invalid_params, "missing parameter \"url\"");
    }
    if (*kind && **kind != kind_static) {
        return make_error(Errc::invalid_params, "kind \"" + **kind +
                                                    "\" is not supported yet; "
                                                    "use \"static\"");
    }
    NewCredential c;
    c.record.name = std::move(*name);
    c.record.match = std::move(**url);
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
    const auto* secret = p.if_contains("secret");
    const auto* token =
        secret && secret->is_object() ? secret->get_object().if_contains("token") : nullptr;
    if (!token || !token->is_string() || token->get_string().empty()) {
        return make_error(Errc::invalid_params, "\"secret\" must be an object with a non-empty "
                                                "string \"token\"");
    }
    c.secrets.token = Secret(std::string_view(token->get_string()));
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
    const auto& protection = key_protection(call.context);
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
        out.push_back(status_json(*view, protection, call.storage));
    } else {
        for (const auto& v : call.context.broker.list(now)) {
            out.push_back(status_json(v, protection, call.storage));
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
    with_key(call, [&broker = call.context.broker, reply = call.reply, sp = call.storage,
                    query = std::move(*query), want_refresh] {
        auto token = broker.get_token(query, now_ms());
        if (!token) {
            return reply(token.error());
        }
        const auto& r = token->record;
        json::object result({{"token", token->token},
                             {"name", r.name},
                             {"username", nullable(r.match.username)},
                             {"expires_at", nullable(r.expires_at)},
                             {"generation", r.generation},
                             {"kind", r.kind},
                             {"auth_scheme", auth_scheme_of(r)}},
                            sp);
        // Only a static credential's: that refresh token belongs to whoever stored it
        // (git's OAuth helpers), credd never spends it. A refreshed kind's never leaves
        // the daemon.
        if (want_refresh && r.kind == kind_static && !token->refresh_token.empty()) {
            result["refresh_token"] = token->refresh_token;
        }
        reply(json::value(std::move(result)));
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
