// ProviderPresets: a plain table of providers' documented endpoints, and filling them in.
#include "provider_presets.hh"

#include <array>
#include <string>

namespace credd {

namespace json = boost::json;

namespace {

// Each row cites where the provider documents its endpoints.
constexpr std::array<ProviderPreset, 6> presets{{
    // GitHub OAuth apps: device flow and web flow, no OIDC discovery for users.
    // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
    // ("Device flow": POST https://github.com/login/device/code, poll
    // https://github.com/login/oauth/access_token; "Web application flow": GET
    // https://github.com/login/oauth/authorize). "repo" is what git over HTTPS needs.
    {"github", "", "https://github.com/login/device/code",
     "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token",
     "repo", "", "https://github.com", false, false},
    // GitLab.com: an OIDC provider (discovery at https://gitlab.com/.well-known/
    // openid-configuration); endpoints from https://docs.gitlab.com/api/oauth2/
    // ("Device authorization grant flow": POST /oauth/authorize_device; /oauth/authorize,
    // /oauth/token). read_repository/write_repository: git over HTTPS.
    {"gitlab", "https://gitlab.com", "https://gitlab.com/oauth/authorize_device",
     "https://gitlab.com/oauth/authorize", "https://gitlab.com/oauth/token",
     "openid profile email read_repository write_repository", "", "https://gitlab.com", false,
     false},
    // Google: issuer https://accounts.google.com; device endpoint from "OAuth 2.0 for TV and
    // Limited-Input Device Applications",
    // https://developers.google.com/identity/protocols/oauth2/limited-input-device (POST
    // https://oauth2.googleapis.com/device/code, token https://oauth2.googleapis.com/token);
    // authorization endpoint from the discovery document. Google's device and desktop
    // clients need their client secret, sent in the form (client_secret_post; cred add
    // --client-secret-stdin reads it). No git host: no match.
    {"google", "https://accounts.google.com", "https://oauth2.googleapis.com/device/code",
     "https://accounts.google.com/o/oauth2/v2/auth", "https://oauth2.googleapis.com/token",
     "openid email profile", "client_secret_post", "", false, false},
    // Microsoft Entra ID (v2.0 endpoints):
    // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code (POST
    // https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode) and
    // https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
    // (/oauth2/v2.0/authorize, /oauth2/v2.0/token). Tenant: common, organizations (the
    // default), consumers, or a directory's GUID or domain. Explicit endpoints, since the
    // multi-tenant discovery document names a templated issuer.
    {"microsoft", "https://login.microsoftonline.com/{tenant}/v2.0",
     "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
     "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
     "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
     "openid profile email offline_access", "", "", false, true},
    // Bitbucket Cloud: authorization code only (no device flow), confidential consumers
    // (key = client id; the secret by HTTP Basic, as its docs' curl -u does; on stdin with
    // --client-secret-stdin); scopes are the consumer's permissions.
    // https://developer.atlassian.com/cloud/bitbucket/oauth-2/
    {"bitbucket", "", "", "https://bitbucket.org/site/oauth2/authorize",
     "https://bitbucket.org/site/oauth2/access_token", "", "client_secret_basic",
     "https://bitbucket.org", false, false},
    // Gitea, and Forgejo/Codeberg which keep its API: the instance URL is the issuer (it
    // serves /.well-known/openid-configuration). Authorization code only.
    // https://docs.gitea.com/development/oauth2-provider ("Endpoints").
    {"gitea", "{issuer}", "", "{issuer}/login/oauth/authorize", "{issuer}/login/oauth/access_token",
     "openid profile email", "", "{issuer}", true, false},
}};

Error preset_error(std::string message, std::string hint = {}) {
    return make_error(Errc::invalid_params, "preset: " + std::move(message), std::move(hint));
}

// A tenant as Entra names one: common, organizations, consumers, a GUID or a domain.
bool is_tenant_name(std::string_view t) {
    if (t.empty() || t.size() > 128) {
        return false;
    }
    for (char c : t) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

void replace_all(std::string& text, std::string_view what, std::string_view with) {
    for (auto at = text.find(what); at != std::string::npos;
         at = text.find(what, at + with.size())) {
        text.replace(at, what.size(), with);
    }
}

const json::string* string_param(const json::object& params, std::string_view key) {
    const auto* v = params.if_contains(key);
    return v && v->is_string() ? &v->get_string() : nullptr;
}

std::string preset_names() {
    std::string names;
    for (const auto& p : presets) {
        names += (names.empty() ? "" : ", ") + std::string(p.name);
    }
    return names;
}

} // namespace

std::span<const ProviderPreset> provider_presets() {
    return presets;
}

const ProviderPreset* find_provider_preset(std::string_view name) {
    for (const auto& p : presets) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

Result<void> apply_preset(json::object& params, std::optional<Url>& match) {
    const auto* name_value = params.if_contains("preset");
    if (name_value == nullptr) {
        return {};
    }
    const auto* name = name_value->if_string();
    const ProviderPreset* preset = name ? find_provider_preset(*name) : nullptr;
    if (preset == nullptr) {
        return preset_error(name ? "unknown preset \"" + std::string(name->subview(0, 64)) + '"'
                                 : "\"preset\" must be a string",
                            "presets: " + preset_names());
    }
    std::string tenant = "organizations";
    if (const auto* t = params.if_contains("tenant")) {
        if (!preset->takes_tenant) {
            return preset_error("preset " + std::string(preset->name) + " takes no tenant");
        }
        if (!t->is_string() || !is_tenant_name(t->get_string())) {
            return preset_error("\"tenant\" must be common, organizations, consumers, or a "
                                "directory's GUID or domain name");
        }
        tenant = std::string(t->get_string());
    }
    std::string issuer;
    if (preset->needs_issuer) {
        const auto* given = string_param(params, "issuer");
        auto url = given ? parse_url(*given) : Result<Url>(preset_error(""));
        if (!url || url->username) {
            return preset_error("preset " + std::string(preset->name) +
                                    " needs the instance's URL as the issuer",
                                "cred add NAME --preset " + std::string(preset->name) +
                                    " --issuer https://codeberg.org --client-id ID");
        }
        issuer = url->to_string(); // normalised: no trailing '/', no query
    }
    const auto expand = [&](std::string_view pattern) {
        std::string text(pattern);
        replace_all(text, "{issuer}", issuer);
        replace_all(text, "{tenant}", tenant);
        return text;
    };
    const auto fill = [&](std::string_view key, std::string_view pattern) {
        if (!pattern.empty() && !params.contains(key)) {
            params[key] = expand(pattern);
        }
    };
    fill("issuer", preset->issuer);
    fill("device_authorization_url", preset->device_authorization_url);
    fill("authorization_url", preset->authorization_url);
    fill("token_url", preset->token_url);
    fill("scope", preset->scope);
    fill("client_auth", preset->client_auth);
    if (!match && !preset->match.empty()) {
        auto url = parse_url(expand(preset->match));
        if (!url) {
            return url.error();
        }
        match = std::move(*url);
    }
    return {};
}

} // namespace credd
