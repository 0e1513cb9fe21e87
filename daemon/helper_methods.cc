// HelperMethods: parsing a helper's store and erase, handing them to the Broker.
#include "helper_methods.hh"

#include <memory>

#include "broker.hh"
#include "protocol.hh"
#include "rpc_params.hh"

namespace credd {

namespace json = boost::json;

namespace {

Result<Secret> get_secret_member(const json::object& p, std::string_view key, bool required) {
    const auto* secret = p.if_contains("secret");
    const auto* value =
        secret && secret->is_object() ? secret->get_object().if_contains(key) : nullptr;
    if (!value) {
        if (required || (secret && !secret->is_object())) {
            return make_error(Errc::invalid_params, "\"secret\" must be an object with a "
                                                    "non-empty string \"token\"");
        }
        return Secret{};
    }
    if (!value->is_string() || value->get_string().empty()) {
        return make_error(Errc::invalid_params,
                          "\"secret." + std::string(key) + "\" must be a non-empty string");
    }
    return Secret(std::string_view(value->get_string()));
}

// The URL with the optional "username" folded in; refuses an empty username.
Result<Url> get_helper_match(const json::object& p) {
    auto url = get_url(p);
    auto username = protocol::get_optional_string(p, "username");
    if (auto e = first_error(url, username)) {
        return *e;
    }
    if (!*url) {
        return make_error(Errc::invalid_params, "missing parameter \"url\"");
    }
    if (*username && (*username)->empty()) {
        return make_error(Errc::invalid_params, "\"username\" must not be empty");
    }
    Url match = std::move(**url);
    if (*username) {
        match.username = std::move(**username);
    }
    return match;
}

Result<HelperStore> parse_helper_store(const json::object& p) {
    if (auto known =
            check_known(p, {"source", "url", "username", "expires_at", "labels", "secret"});
        !known) {
        return known.error();
    }
    auto source = protocol::get_string(p, "source");
    auto match = get_helper_match(p);
    auto expires_at = protocol::get_optional_int(p, "expires_at");
    auto token = get_secret_member(p, "token", true);
    auto refresh_token = get_secret_member(p, "refresh_token", false);
    if (auto e = first_error(source, match, expires_at, token, refresh_token)) {
        return *e;
    }
    if (*source != "git" && *source != "docker") {
        return make_error(Errc::invalid_params, "\"source\" must be \"git\" or \"docker\"");
    }
    HelperStore s{std::move(*source), std::move(*match), *expires_at, {}, {}};
    s.secrets.token = std::move(*token);
    s.secrets.refresh_token = std::move(*refresh_token);
    if (const auto* labels = p.if_contains("labels")) {
        auto parsed = get_labels(*labels);
        if (!parsed) {
            return parsed.error();
        }
        s.labels = std::move(*parsed);
    }
    return s;
}

json::array names_array(const std::vector<std::string>& names, const json::storage_ptr& sp) {
    json::array out(sp);
    for (const auto& n : names) {
        out.push_back(json::value(n, sp));
    }
    return out;
}

} // namespace

void credential_store(RpcCall call) {
    auto request = parse_helper_store(call.params);
    if (!request) {
        return call.reply(request.error());
    }
    auto pending = std::make_shared<HelperStore>(std::move(*request));
    with_key(call, [&broker = call.context.broker, reply = call.reply, sp = call.storage, pending] {
        broker.store(std::move(*pending), [reply, sp](auto outcome) {
            if (!outcome) {
                return reply(outcome.error());
            }
            reply(json::value(json::object(
                {{"name", outcome->name}, {"action", store_action_name(outcome->action)}}, sp)));
        });
    });
}

void credential_erase(RpcCall call) {
    const auto& p = call.params;
    if (auto known = check_known(p, {"source", "url", "username", "secret"}); !known) {
        return call.reply(known.error());
    }
    auto source = protocol::get_optional_string(p, "source");
    auto match = get_helper_match(p);
    auto token = get_secret_member(p, "token", false);
    if (auto e = first_error(source, match, token)) {
        return call.reply(*e);
    }
    if (*source && **source != "git" && **source != "docker") {
        return call.reply(
            make_error(Errc::invalid_params, "\"source\" must be \"git\" or \"docker\""));
    }
    HelperErase request{std::move(*match), std::nullopt, std::move(*source)};
    if (!token->empty()) {
        request.token = std::move(*token);
    }
    // The comparison needs the stored secrets, so the key.
    auto pending = std::make_shared<HelperErase>(std::move(request));
    with_key(call, [&broker = call.context.broker, reply = call.reply, sp = call.storage, pending] {
        broker.erase(std::move(*pending), [reply, sp](auto outcome) {
            if (!outcome) {
                return reply(outcome.error());
            }
            reply(json::value(json::object({{"removed", names_array(outcome->removed, sp)},
                                            {"rejected", names_array(outcome->rejected, sp)},
                                            {"kept", names_array(outcome->kept, sp)}},
                                           sp)));
        });
    });
}

} // namespace credd
