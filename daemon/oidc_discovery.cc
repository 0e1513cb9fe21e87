// OidcDiscovery: well-known URLs, one GET after the other, and the issuer check.
#include "oidc_discovery.hh"

#include <memory>

#include <boost/json/parse.hpp>

#include "http_client.hh"

namespace credd {

namespace json = boost::json;

namespace {

std::string trim_slash(std::string_view s) {
    while (!s.empty() && s.back() == '/') {
        s.remove_suffix(1);
    }
    return std::string(s);
}

// Tries urls[index…] in turn, collecting why each failed.
struct Attempt {
    HttpClient& http;
    std::string issuer;
    bool allow_insecure_http;
    std::vector<std::string> urls;
    std::size_t index = 0;
    std::string failures;
    std::function<void(Result<json::object>)> done;
};

void try_next(std::shared_ptr<Attempt> a) {
    if (a->index >= a->urls.size()) {
        return a->done(make_error(Errc::discovery_failed,
                                  "discovery for " + a->issuer + ": no metadata: " + a->failures,
                                  "check --issuer, or give the endpoints (--token-url, "
                                  "--device-url, --auth-url)"));
    }
    HttpRequest r;
    r.url = a->urls[a->index];
    r.get = true;
    r.allow_insecure_http = a->allow_insecure_http;
    a->http.post(std::move(r), [a](HttpResult result) {
        const std::string& url = a->urls[a->index];
        auto fail = [&](const std::string& why) {
            a->failures += (a->failures.empty() ? "" : "; ") + url + ": " + why;
            a->index += 1;
            try_next(a);
        };
        if (!result) {
            return fail(result.error().message);
        }
        if (result->status != 200) {
            return fail("HTTP " + std::to_string(result->status));
        }
        boost::system::error_code ec;
        json::value v = json::parse(result->body, ec);
        if (ec || !v.is_object()) {
            return fail("not a JSON object");
        }
        // A document that answers but names another issuer is an error, not a reason to
        // try the next URL: it is exactly the mix-up this check is for.
        a->done(discovered_from_metadata(a->issuer, v.get_object(), now_ms()));
    });
}

// A provider's string for an error message: control bytes and non-ASCII as '?'.
std::string printable(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
            c = '?';
        }
    }
    return out;
}

} // namespace

std::vector<std::string> discovery_urls(std::string_view issuer) {
    const std::string base = trim_slash(issuer);
    std::vector<std::string> out{base + "/.well-known/openid-configuration"};
    const auto scheme = base.find("://");
    const auto path_at =
        scheme == std::string::npos ? std::string::npos : base.find('/', scheme + 3);
    if (path_at == std::string::npos) {
        out.push_back(base + "/.well-known/oauth-authorization-server");
    } else {
        out.push_back(base.substr(0, path_at) + "/.well-known/oauth-authorization-server" +
                      base.substr(path_at));
        // Some servers publish it appended like OIDC's, against RFC 8414: tried last.
        out.push_back(base + "/.well-known/oauth-authorization-server");
    }
    return out;
}

Result<json::object> discovered_from_metadata(std::string_view issuer, const json::object& metadata,
                                              UnixMs now) {
    const auto* iss = metadata.if_contains("issuer");
    if (iss == nullptr || !iss->is_string() ||
        trim_slash(iss->get_string()) != trim_slash(issuer)) {
        return make_error(
            Errc::discovery_failed,
            "discovery for " + std::string(issuer) + ": the metadata names another issuer" +
                (iss && iss->is_string() ? " (" + printable(iss->get_string().subview(0, 200)) + ")"
                                         : std::string(" (none)")),
            "set --issuer to exactly the issuer the provider names");
    }
    json::object out;
    out["issuer"] = std::string(issuer);
    const std::pair<const char*, const char*> endpoints[] = {
        {"token_endpoint", "token_url"},
        {"device_authorization_endpoint", "device_authorization_url"},
        {"authorization_endpoint", "authorization_url"},
    };
    // Only web URLs: the authorization endpoint goes to the user's browser (xdg-open),
    // where a file: or custom-scheme URL from a hostile issuer would open something else.
    // http:// only from an http:// issuer (the HttpClient then allows loopback alone).
    const bool http_issuer = issuer.starts_with("http://");
    for (const auto& [from, to] : endpoints) {
        const auto* v = metadata.if_contains(from);
        if (v == nullptr || !v->is_string() || v->get_string().size() > 2048) {
            continue;
        }
        const std::string_view url = v->get_string();
        if (url.starts_with("https://") || (http_issuer && url.starts_with("http://"))) {
            out[to] = *v;
        }
    }
    if (!out.contains("token_url")) {
        return make_error(Errc::discovery_failed,
                          "discovery for " + std::string(issuer) + ": no token_endpoint",
                          "give the token endpoint: --token-url");
    }
    out["fetched_at"] = now;
    return out;
}

void discover(HttpClient& http, std::string issuer, bool allow_insecure_http,
              std::function<void(Result<json::object>)> done) {
    auto a = std::make_shared<Attempt>(
        Attempt{http, issuer, allow_insecure_http, discovery_urls(issuer), 0, {}, std::move(done)});
    try_next(std::move(a));
}

bool discovery_is_fresh(const json::object& discovered, std::string_view issuer, UnixMs now) {
    const auto* iss = discovered.if_contains("issuer");
    const auto* at = discovered.if_contains("fetched_at");
    return iss && iss->is_string() && iss->get_string() == issuer && at && at->is_int64() &&
           now - at->get_int64() < discovery_max_age_ms && now >= at->get_int64();
}

} // namespace credd
