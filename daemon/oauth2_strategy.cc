// OAuth2Strategy: builds the token request and turns the answer into a grant.
#include "oauth2_strategy.hh"

#include "form_encoding.hh"
#include "http_client.hh"
#include "token_response.hh"

namespace credd {

namespace {

std::string param(const boost::json::object& p, std::string_view key) {
    const auto* v = p.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string{};
}

HttpRequest token_request(const RefreshInput& in) {
    const auto& p = in.params;
    HttpRequest r;
    r.url = param(p, "token_url");
    if (const auto* d = p.if_contains("discovered"); r.url.empty() && d && d->is_object()) {
        r.url = param(d->get_object(), "token_url"); // device, auth-code: from discovery
    }
    if (const auto* v = p.if_contains("allow_insecure_http"); v && v->is_bool()) {
        r.allow_insecure_http = v->get_bool();
    }
    if (in.kind == kind_oauth2_refresh_token || is_login_kind(in.kind)) {
        append_form_field(r.body, "grant_type", "refresh_token");
        append_form_field(r.body, "refresh_token", in.secrets.refresh_token.expose());
    } else {
        append_form_field(r.body, "grant_type", "client_credentials");
    }
    for (const char* extra : {"scope", "audience", "resource"}) {
        if (auto v = param(p, extra); !v.empty()) {
            append_form_field(r.body, extra, v);
        }
    }
    add_client_auth(r, p, in.secrets.client_secret);
    return r;
}

} // namespace

void add_client_auth(HttpRequest& r, const boost::json::object& params,
                     const Secret& client_secret) {
    const std::string client_id = param(params, "client_id");
    std::string auth = param(params, "client_auth");
    if (auth.empty()) {
        auth = client_secret.empty() ? "none" : "client_secret_basic";
    }
    if (auth == "client_secret_basic") {
        r.authorization = basic_authorization(client_id, client_secret.expose());
        return;
    }
    if (!client_id.empty()) {
        append_form_field(r.body, "client_id", client_id);
    }
    if (auth == "client_secret_post") {
        append_form_field(r.body, "client_secret", client_secret.expose());
    }
}

void OAuth2Strategy::refresh(RefreshInput input, std::function<void(RefreshOutcome)> done) {
    if (is_login_kind(input.kind) && input.secrets.refresh_token.empty()) {
        // Not logged in yet (or the login gave no refresh token): nothing to spend.
        return done(RefreshFailure{ErrorClass::reauthorize, "not logged in", std::nullopt});
    }
    const std::int64_t assumed_s = default_lifetime_of(input.params);
    // expires_in counts from when the provider issued the token, which is after we sent
    // the request: counting from the send time errs on the safe side, however slow the
    // answer (counting from its arrival could serve a token past its real expiry).
    const UnixMs sent = now_ms();
    m_http.post(token_request(input), [done = std::move(done), assumed_s, sent](HttpResult result) {
        if (!result) {
            return done(result.error());
        }
        auto token = parse_token_response(*result, now_ms());
        if (!token) {
            return done(token.error());
        }
        RefreshGrant g;
        g.access_token = std::move(token->access_token);
        g.refresh_token = std::move(token->refresh_token);
        g.id_token = std::move(token->id_token);
        g.default_lifetime = !token->expires_in_s;
        g.expires_at = sent + token->expires_in_s.value_or(assumed_s) * 1000;
        done(std::move(g));
    });
}

} // namespace credd
