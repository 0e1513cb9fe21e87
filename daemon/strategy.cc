// Strategy: the parameters each refreshable kind takes.
#include "strategy.hh"

#include <array>
#include <initializer_list>

namespace credd {

namespace json = boost::json;

namespace {

Error bad_param(std::string_view kind, std::string message) {
    return make_error(Errc::invalid_params, "kind " + std::string(kind) + ": " + message,
                      "see: cred add --help");
}

Result<void> check_types(std::string_view kind, const json::object& params,
                         std::initializer_list<std::string_view> strings,
                         std::initializer_list<std::string_view> others) {
    for (const auto& kv : params) {
        bool known = false;
        for (auto k : strings) {
            if (kv.key() == k) {
                known = true;
                if (!kv.value().is_string() || kv.value().get_string().empty() ||
                    kv.value().get_string().size() > 2048) {
                    return bad_param(kind, "\"" + std::string(k) +
                                               "\" must be a string of 1 to 2048 bytes");
                }
            }
        }
        for (auto k : others) {
            known = known || kv.key() == k;
        }
        if (!known) {
            return bad_param(kind, "unknown parameter \"" + std::string(kv.key()) + '"');
        }
    }
    if (const auto* v = params.if_contains("allow_insecure_http"); v && !v->is_bool()) {
        return bad_param(kind, "\"allow_insecure_http\" must be true or false");
    }
    if (const auto* v = params.if_contains("default_lifetime");
        v && (!v->is_int64() || v->get_int64() < 1 || v->get_int64() > 366LL * 86400)) {
        return bad_param(kind, "\"default_lifetime\" must be 1 to 31622400 seconds");
    }
    return {};
}

Result<void> check_oauth2(std::string_view kind, const json::object& p, const SecretMaterial& s) {
    if (auto ok = check_types(
            kind, p, {"token_url", "client_id", "client_auth", "scope", "audience", "resource"},
            {"allow_insecure_http", "default_lifetime"});
        !ok) {
        return ok;
    }
    const auto* url = p.if_contains("token_url");
    if (url == nullptr) {
        return bad_param(kind, "missing \"token_url\"");
    }
    const std::string_view u = url->get_string();
    if (!u.starts_with("https://") && !u.starts_with("http://")) {
        return bad_param(kind, "\"token_url\" must be an https:// URL");
    }
    const bool client_credentials = kind == kind_oauth2_client_credentials;
    if (client_credentials && !p.contains("client_id")) {
        return bad_param(kind, "missing \"client_id\"");
    }
    std::string_view auth = s.client_secret.empty() ? "none" : "client_secret_basic";
    if (const auto* a = p.if_contains("client_auth")) {
        auth = a->get_string();
    }
    if (auth != "none" && auth != "client_secret_basic" && auth != "client_secret_post") {
        return bad_param(kind, "\"client_auth\" must be none, client_secret_basic or "
                               "client_secret_post");
    }
    if (auth != "none" && (s.client_secret.empty() || !p.contains("client_id"))) {
        return bad_param(kind, std::string(auth) + " needs \"client_id\" and a client secret");
    }
    if (client_credentials && auth == "none") {
        return bad_param(kind, "the client credentials grant needs a client secret");
    }
    if (!client_credentials && s.refresh_token.empty()) {
        return bad_param(kind, "needs a refresh token (secret.refresh_token)");
    }
    return {};
}

bool is_http_url(std::string_view u) {
    return u.starts_with("https://") || u.starts_with("http://");
}

// device and auth-code: a client id, and an issuer to discover from or the endpoints the
// flow needs. `discovered` is ours (written at login), `preset`/`tenant` the preset's.
Result<void> check_login(std::string_view kind, const json::object& p, const SecretMaterial& s) {
    if (auto ok = check_types(kind, p,
                              {"issuer", "token_url", "device_authorization_url",
                               "authorization_url", "client_id", "client_auth", "scope", "audience",
                               "resource", "preset", "tenant"},
                              {"allow_insecure_http", "default_lifetime", "discovered"});
        !ok) {
        return ok;
    }
    if (!p.contains("client_id")) {
        return bad_param(kind, "missing \"client_id\"");
    }
    for (const char* key :
         {"issuer", "token_url", "device_authorization_url", "authorization_url"}) {
        if (const auto* v = p.if_contains(key); v && !is_http_url(v->get_string())) {
            return bad_param(kind, "\"" + std::string(key) + "\" must be an https:// URL");
        }
    }
    if (const auto* d = p.if_contains("discovered"); d && !d->is_object()) {
        return bad_param(kind, "\"discovered\" must be an object");
    }
    const bool has_endpoints =
        p.contains("token_url") &&
        p.contains(kind == kind_device ? "device_authorization_url" : "authorization_url");
    if (!p.contains("issuer") && !has_endpoints) {
        return bad_param(kind, "needs \"issuer\" (for discovery) or the endpoints: \"token_url\" "
                               "and \"" +
                                   std::string(kind == kind_device ? "device_authorization_url"
                                                                   : "authorization_url") +
                                   '"');
    }
    std::string_view auth = "none";
    if (const auto* a = p.if_contains("client_auth")) {
        auth = a->get_string();
    }
    if (auth != "none" && auth != "client_secret_basic" && auth != "client_secret_post") {
        return bad_param(kind, "\"client_auth\" must be none, client_secret_basic or "
                               "client_secret_post");
    }
    if (auth != "none" && s.client_secret.empty()) {
        return bad_param(kind, std::string(auth) + " needs a client secret");
    }
    return {};
}

Result<void> check_exec(const json::object& p) {
    if (auto ok = check_types(kind_exec, p, {}, {"argv", "timeout", "default_lifetime"}); !ok) {
        return ok;
    }
    const auto* argv = p.if_contains("argv");
    if (argv == nullptr || !argv->is_array() || argv->get_array().empty() ||
        argv->get_array().size() > 256) {
        return bad_param(kind_exec, "\"argv\" must be an array of 1 to 256 strings");
    }
    for (const auto& a : argv->get_array()) {
        if (!a.is_string() || a.get_string().size() > 4096 ||
            a.get_string().find('\0') != json::string::npos) {
            return bad_param(kind_exec, "\"argv\" must hold strings without NUL bytes");
        }
    }
    if (argv->get_array().front().get_string().empty()) {
        return bad_param(kind_exec, "\"argv\" must start with the program to run");
    }
    if (const auto* t = p.if_contains("timeout");
        t && (!t->is_int64() || t->get_int64() < 1 || t->get_int64() > 600)) {
        return bad_param(kind_exec, "\"timeout\" must be 1 to 600 seconds");
    }
    return {};
}

} // namespace

std::int64_t default_lifetime_of(const json::object& params) {
    if (const auto* v = params.if_contains("default_lifetime"); v && v->is_int64()) {
        return v->get_int64();
    }
    return default_lifetime_s;
}

Result<void> check_kind_params(std::string_view kind, const json::object& params,
                               const SecretMaterial& secrets) {
    if (kind == kind_oauth2_refresh_token || kind == kind_oauth2_client_credentials) {
        return check_oauth2(kind, params, secrets);
    }
    if (kind == kind_exec) {
        return check_exec(params);
    }
    if (is_login_kind(kind)) {
        return check_login(kind, params, secrets);
    }
    return make_error(Errc::invalid_params, "unknown kind \"" + std::string(kind) + '"',
                      "kinds: static, oauth2-refresh-token, oauth2-client-credentials, exec, "
                      "device, auth-code");
}

} // namespace credd
