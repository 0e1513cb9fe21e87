// LoginManager: discovery, device polling on Asio timers, the loopback redirect, the code
// exchange, and the commit of what a login obtained.
#include "login_manager.hh"

#include <algorithm>
#include <cctype>
#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include "broker.hh"
#include "form_encoding.hh"
#include "http_client.hh"
#include "id_token.hh"
#include "loopback_redirect.hh"
#include "oauth2_strategy.hh"
#include "oidc_discovery.hh"
#include "pkce.hh"
#include "protocol.hh"
#include "qr_encoder.hh"
#include "refresh_timing.hh"
#include "strategy.hh"
#include "token_response.hh"
#include "watch_hub.hh"
#include "wiping_arena.hh"

namespace credd {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::int64_t default_interval_s = 5; // RFC 8628 §3.2
constexpr std::int64_t slow_down_step_s = 5;   // RFC 8628 §3.5
constexpr std::int64_t max_interval_s = 300;
constexpr std::int64_t default_device_expiry_s = 1800;

const char* const success_page =
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>credd: logged in</title></head>"
    "<body><h1>Logged in</h1><p>credd has the authorization. You can close this tab.</p>"
    "</body></html>";

std::string error_page(const std::string& why) {
    return "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>credd: login failed"
           "</title></head><body><h1>Login failed</h1><p>" +
           why + "</p><p>Close this tab and run cred login again.</p></body></html>";
}

std::string param(const json::object& p, std::string_view key) {
    const auto* v = p.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string{};
}

// Only printable ASCII, bounded: provider text goes into messages and pages.
std::string sanitise(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 200)) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') ||
                           std::string_view(" _-.,:()'/").find(c) != std::string_view::npos;
        out.push_back(plain ? c : '?');
    }
    return out;
}

std::optional<std::int64_t> int_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_int64()) {
        return v->get_int64();
    }
    if (v->is_uint64() && v->get_uint64() < (1ULL << 40)) {
        return static_cast<std::int64_t>(v->get_uint64());
    }
    if (v->is_string() && !v->get_string().empty() && v->get_string().size() < 10 &&
        std::all_of(v->get_string().begin(), v->get_string().end(), ::isdigit)) {
        return std::stoll(std::string(v->get_string()));
    }
    return std::nullopt;
}

std::string get(const std::map<std::string, std::string>& m, const std::string& key) {
    const auto it = m.find(key);
    return it == m.end() ? std::string{} : it->second;
}

// The OAuth error code of a token endpoint answer that carries no access token (JSON or
// a form body); empty when there is none.
std::string oauth_error(const HttpResponse& r) {
    // The answer may hold the tokens: parsed where it is wiped afterwards.
    WipingArena arena(4096);
    boost::system::error_code ec;
    const json::value v = parse_wiping(arena, r.body, ec);
    if (!ec && v.is_object()) {
        const auto& o = v.get_object();
        if (o.contains("access_token")) {
            return {};
        }
        return param(o, "error");
    }
    std::string error;
    if (auto form = form_decode(r.body)) {
        if (!form->contains("access_token")) {
            error = get(*form, "error");
        }
        for (auto& [k, v] : *form) {
            wipe(v);
        }
    }
    return error;
}

// The query of a request-target or URL, decoded; empty when there is none or it is not
// a form.
std::map<std::string, std::string> query_of(std::string_view target) {
    const auto q = target.find('?');
    if (q == std::string_view::npos) {
        return {};
    }
    std::string_view query = target.substr(q + 1);
    query = query.substr(0, query.find('#'));
    auto form = form_decode(query);
    return form ? std::move(*form) : std::map<std::string, std::string>{};
}

} // namespace

struct LoginManager::Login {
    Login(asio::io_context& io) : timer(io), deadline(io) {}

    std::string id;
    std::string name;
    std::string kind;
    Watcher* peer = nullptr;
    std::uint64_t generation = 0;
    UnixMs created_at = 0; // the record's: a re-added credential is another one
    json::object params;   // the record's, with `discovered` refreshed when it was fetched
    bool params_changed = false;
    std::string token_url;
    std::string device_authorization_url;
    std::string authorization_url;
    Secret client_secret;
    bool allow_insecure_http = false;
    bool open_listener = true;
    std::function<void(Result<json::object>)> reply; // until login.start is answered
    asio::steady_timer timer;                        // device: the next poll
    asio::steady_timer deadline;                     // auth-code: the redirect's deadline
    bool in_flight = false;                          // a token request is out
    UnixMs sent_at = 0; // when the last token request left: expiry counts from there
    // device
    Secret device_code;
    std::int64_t interval_s = default_interval_s;
    UnixMs expires_at = 0;
    // auth-code
    Secret verifier;
    std::string state;
    std::string redirect_uri;
    std::shared_ptr<LoopbackRedirect> listener;
};

LoginManager::LoginManager(asio::io_context& io, Broker& broker, HttpClient& http)
    : m_io(io), m_broker(broker), m_http(http) {}

LoginManager::~LoginManager() {
    stop();
}

bool LoginManager::alive(const LoginPtr& l) const {
    if (!l) {
        return false;
    }
    const auto it = m_logins.find(l->id);
    return it != m_logins.end() && it->second == l;
}

void LoginManager::start(const std::string& name, bool open_listener, Watcher* peer,
                         std::function<void(Result<json::object>)> reply) {
    if (peer != nullptr && peer->is_closed()) {
        // Its connection closed while the request waited for the key: nobody to tell,
        // and connection_closed has already run for it.
        return reply(make_error(Errc::login_failed, "login cancelled: the connection closed"));
    }
    const CredentialRecord* r = m_broker.find_record(name);
    if (r == nullptr) {
        return reply(
            make_error(Errc::not_found, "no credential named \"" + name + '"', "see: cred list"));
    }
    if (!is_login_kind(r->kind)) {
        return reply(
            make_error(Errc::invalid_params,
                       "credential " + name + ": kind " + r->kind + " has no interactive login",
                       "add it with --kind device or --kind auth-code"));
    }
    if (param(r->params, "client_id").empty()) {
        return reply(make_error(Errc::invalid_params, "credential " + name + ": no client_id",
                                "add it again with --client-id"));
    }
    for (const auto& [id, other] : m_logins) {
        if (other->name == name) {
            return reply(
                make_error(Errc::login_in_progress,
                           "credential " + name + ": a login is already running (" + id + ")",
                           "finish or cancel it first (Ctrl-C in its cred login)"));
        }
    }
    const SecretMaterial* secrets = m_broker.find_secrets(name);
    if (secrets == nullptr) {
        return reply(make_error(Errc::corrupt, "credential " + name + ": its secrets do not open",
                                "replace it: cred remove " + name + ", then cred add " + name));
    }
    auto l = std::make_shared<Login>(m_io);
    l->id = "L" + std::to_string(m_next_id++);
    l->name = name;
    l->kind = r->kind;
    l->peer = peer;
    l->generation = r->generation;
    l->created_at = r->created_at;
    l->params = r->params;
    l->client_secret = secrets->client_secret.clone();
    l->open_listener = open_listener;
    if (const auto* v = r->params.if_contains("allow_insecure_http"); v && v->is_bool()) {
        l->allow_insecure_http = v->get_bool();
    }
    l->reply = std::move(reply);
    m_logins.emplace(l->id, l);
    if (peer != nullptr) {
        peer->hold_open(true);
    }
    spdlog::info("credential {}: login {} started ({})", name, l->id, l->kind);
    resolve_endpoints(l);
}

// Explicit endpoints win; what is missing comes from the issuer's metadata, cached in
// params.discovered for a day.
void LoginManager::resolve_endpoints(const LoginPtr& l) {
    const bool device = l->kind == kind_device;
    auto fill = [&](const json::object& from) {
        for (auto [key, target] :
             {std::pair{"token_url", &Login::token_url},
              std::pair{"device_authorization_url", &Login::device_authorization_url},
              std::pair{"authorization_url", &Login::authorization_url}}) {
            if ((*l).*target == std::string{}) {
                (*l).*target = param(from, key);
            }
        }
    };
    fill(l->params);
    const auto complete = [&] {
        return !l->token_url.empty() &&
               !(device ? l->device_authorization_url : l->authorization_url).empty();
    };
    if (complete()) {
        return begin(l);
    }
    const std::string issuer = param(l->params, "issuer");
    if (issuer.empty()) {
        return fail_start(l, make_error(Errc::invalid_params,
                                        "credential " + l->name + ": no issuer and no endpoints",
                                        "add it again with --issuer, or --token-url and " +
                                            std::string(device ? "--device-url" : "--auth-url")));
    }
    const auto* cached = l->params.if_contains("discovered");
    if (cached && cached->is_object() &&
        discovery_is_fresh(cached->get_object(), issuer, now_ms())) {
        fill(cached->get_object());
        if (complete()) {
            return begin(l);
        }
    }
    std::weak_ptr<Login> weak = l;
    discover(m_http, issuer, l->allow_insecure_http,
             [this, weak, device, issuer](Result<json::object> found) {
                 auto l = weak.lock();
                 if (!alive(l)) {
                     return;
                 }
                 if (!found) {
                     return fail_start(l, found.error());
                 }
                 l->params["discovered"] = *found;
                 l->params_changed = true;
                 for (auto [key, target] :
                      {std::pair{"token_url", &Login::token_url},
                       std::pair{"device_authorization_url", &Login::device_authorization_url},
                       std::pair{"authorization_url", &Login::authorization_url}}) {
                     if ((*l).*target == std::string{}) {
                         (*l).*target = param(*found, key);
                     }
                 }
                 const std::string& missing =
                     device ? l->device_authorization_url : l->authorization_url;
                 if (missing.empty()) {
                     return fail_start(l, make_error(Errc::discovery_failed,
                                                     "discovery for " + issuer +
                                                         ": the metadata has no " +
                                                         (device ? "device_authorization_endpoint"
                                                                 : "authorization_endpoint"),
                                                     std::string("give it: ") +
                                                         (device ? "--device-url" : "--auth-url")));
                 }
                 begin(l);
             });
}

void LoginManager::begin(const LoginPtr& l) {
    if (l->kind == kind_device) {
        begin_device(l);
    } else {
        begin_auth_code(l);
    }
}

namespace {

void add_extras(std::string& body, const json::object& p) {
    for (const char* extra : {"scope", "audience", "resource"}) {
        if (auto v = param(p, extra); !v.empty()) {
            append_form_field(body, extra, v);
        }
    }
}

} // namespace

void LoginManager::begin_device(const LoginPtr& l) {
    HttpRequest r;
    r.url = l->device_authorization_url;
    r.allow_insecure_http = l->allow_insecure_http;
    for (const char* extra : {"scope", "audience", "resource"}) {
        if (auto v = param(l->params, extra); !v.empty()) {
            append_form_field(r.body, extra, v);
        }
    }
    add_client_auth(r, l->params, l->client_secret);
    std::weak_ptr<Login> weak = l;
    m_http.post(std::move(r), [this, weak](HttpResult result) {
        auto l = weak.lock();
        if (!alive(l)) {
            return;
        }
        const std::string where = "device authorization at " + l->device_authorization_url;
        if (!result) {
            return fail_start(
                l, make_error(Errc::login_failed, where + ": " + result.error().message));
        }
        // The answer holds the device code: parsed where it is wiped afterwards.
        WipingArena arena(2048);
        boost::system::error_code ec;
        json::value v = parse_wiping(arena, result->body, ec);
        if (result->status != 200 || ec || !v.is_object()) {
            std::string why = "HTTP " + std::to_string(result->status);
            if (!ec && v.is_object()) {
                if (auto e = param(v.get_object(), "error"); !e.empty()) {
                    why += ": " + sanitise(e);
                }
                if (auto d = param(v.get_object(), "error_description"); !d.empty()) {
                    why += " (" + sanitise(d) + ")";
                }
            }
            return fail_start(l, make_error(Errc::login_failed, where + ": refused: " + why,
                                            "check the client id and that the client may use "
                                            "the device flow"));
        }
        json::object& o = v.get_object();
        std::string device_code = param(o, "device_code");
        const std::string user_code = param(o, "user_code");
        std::string uri = param(o, "verification_uri");
        if (uri.empty()) {
            uri = param(o, "verification_url"); // Google's spelling
        }
        if (device_code.empty() || user_code.empty() || uri.empty()) {
            wipe(device_code);
            return fail_start(l, make_error(Errc::login_failed,
                                            where + ": answer lacks device_code, user_code or "
                                                    "verification_uri"));
        }
        // They go to the user's terminal and to plugins; a provider gets no more room
        // than a URL and a code need.
        if (uri.size() > 2048 || param(o, "verification_uri_complete").size() > 2048 ||
            user_code.size() > 64 || device_code.size() > 4096) {
            wipe(device_code);
            return fail_start(l, make_error(Errc::login_failed,
                                            where + ": answer has an implausibly long "
                                                    "user_code, device_code or verification URI"));
        }
        l->device_code = Secret::adopt(device_code);
        const UnixMs now = now_ms();
        const std::int64_t expires_in = std::clamp<std::int64_t>(
            int_field(o, "expires_in").value_or(default_device_expiry_s), 1, 24 * 3600);
        l->expires_at = now + expires_in * 1000;
        l->interval_s = std::clamp<std::int64_t>(
            int_field(o, "interval").value_or(default_interval_s), 1, max_interval_s);
        const std::string complete = param(o, "verification_uri_complete");
        // The URL a phone should open, as a QR symbol: cred draws it, a plugin may too.
        json::value qr = nullptr;
        if (auto matrix = encode_qr(complete.empty() ? uri : complete)) {
            json::array rows;
            for (auto& row : qr_rows(*matrix)) {
                rows.emplace_back(std::move(row));
            }
            qr = std::move(rows);
        } else {
            spdlog::warn("{}", matrix.error().message);
        }
        json::object out{{"login_id", l->id},
                         {"flow", "device"},
                         {"verification_uri", uri},
                         {"verification_uri_complete",
                          complete.empty() ? json::value(nullptr) : json::value(complete)},
                         {"user_code", user_code},
                         {"expires_at", l->expires_at},
                         {"interval", l->interval_s},
                         {"qr", std::move(qr)}};
        auto reply = std::move(l->reply);
        l->reply = nullptr;
        schedule_poll(l);
        reply(std::move(out));
    });
}

void LoginManager::schedule_poll(const LoginPtr& l) {
    const UnixMs now = now_ms();
    const std::int64_t wait_ms =
        std::min(l->interval_s * 1000, std::max<std::int64_t>(l->expires_at - now, 0));
    l->timer.expires_after(std::chrono::milliseconds(wait_ms));
    std::weak_ptr<Login> weak = l;
    l->timer.async_wait([this, weak](const boost::system::error_code& ec) {
        auto l = weak.lock();
        if (ec || !alive(l)) {
            return;
        }
        poll(l);
    });
}

// One token-endpoint request of a login: the client authenticated as for refreshes, the
// send time kept (expiry counts from it), and `then` called only while the login lives.
void LoginManager::post_token_request(const LoginPtr& l, HttpRequest r,
                                      std::function<void(const LoginPtr&, HttpResult&)> then) {
    add_client_auth(r, l->params, l->client_secret);
    l->in_flight = true;
    l->sent_at = now_ms();
    std::weak_ptr<Login> weak = l;
    m_http.post(std::move(r), [this, weak, then = std::move(then)](HttpResult result) {
        auto l = weak.lock();
        if (!alive(l)) {
            return;
        }
        l->in_flight = false;
        then(l, result);
    });
}

void LoginManager::poll(const LoginPtr& l) {
    if (now_ms() >= l->expires_at) {
        return fail(l, Errc::expired_token,
                    "credential " + l->name + ": the device code expired before the login ended",
                    "log in again: cred login " + l->name);
    }
    HttpRequest r;
    r.url = l->token_url;
    r.allow_insecure_http = l->allow_insecure_http;
    append_form_field(r.body, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
    append_form_field(r.body, "device_code", l->device_code.expose());
    post_token_request(l, std::move(r), [this](const LoginPtr& l, HttpResult& result) {
        if (!result) {
            if (result.error().error_class == ErrorClass::transient) {
                // The network may come back before the code expires: keep polling.
                spdlog::info("credential {}: login {}: poll failed, retrying: {}", l->name, l->id,
                             result.error().message);
                notify(*l, json::object{{"state", "waiting"}, {"interval", l->interval_s}});
                return schedule_poll(l);
            }
            return fail(l, Errc::login_failed,
                        "credential " + l->name + ": login failed: " + result.error().message);
        }
        const std::string error = oauth_error(*result);
        if (error == "authorization_pending") {
            notify(*l, json::object{{"state", "waiting"}, {"interval", l->interval_s}});
            return schedule_poll(l);
        }
        if (error == "slow_down") {
            l->interval_s = std::min(l->interval_s + slow_down_step_s, max_interval_s);
            notify(*l, json::object{{"state", "slow_down"}, {"interval", l->interval_s}});
            return schedule_poll(l);
        }
        if (error == "expired_token") {
            return fail(l, Errc::expired_token,
                        "credential " + l->name +
                            ": the device code expired before the login ended",
                        "log in again: cred login " + l->name);
        }
        if (error == "access_denied") {
            return fail(l, Errc::access_denied, "credential " + l->name + ": the login was refused",
                        "log in again and approve the request: cred login " + l->name);
        }
        on_token_answer(l, *result);
    });
}

void LoginManager::begin_auth_code(const LoginPtr& l) {
    auto verifier = random_url_token(32);
    auto state = random_url_token(24);
    if (!verifier || !state) {
        return fail_start(l, make_error(Errc::internal, "login: no random bytes from OpenSSL"));
    }
    l->verifier = Secret::adopt(*verifier);
    l->state = std::move(*state);
    std::uint16_t port = 0;
    if (l->open_listener) {
        std::weak_ptr<Login> weak = l;
        auto opened = LoopbackRedirect::open(m_io, [this, weak](const std::string& target) {
            auto l = weak.lock();
            if (!alive(l)) {
                return RedirectAnswer{404, error_page("This login has ended."), true};
            }
            const std::string path = target.substr(0, target.find('?'));
            if (path != "/callback") {
                return RedirectAnswer{404, error_page("Not found."), false};
            }
            auto query = query_of(target);
            if (!constant_time_equal(get(query, "state"), l->state)) {
                // Not this login's answer: any local process or web page can send one, so
                // it is refused without ending the login (or the listener) it did not
                // come from.
                for (auto& [k, v] : query) {
                    wipe(v);
                }
                return RedirectAnswer{
                    400, error_page("The answer does not belong to this login (state mismatch)."),
                    false};
            }
            RedirectAnswer a{200, success_page, true};
            if (!get(query, "error").empty()) {
                a = {200, error_page("The provider said: " + sanitise(get(query, "error"))), true};
            } else if (get(query, "code").empty()) {
                a = {400, error_page("The answer carries no code."), true};
            }
            // After the page is on its way: the login may end (and close this listener).
            asio::post(m_io, [this, weak, query = std::move(query)]() mutable {
                auto l = weak.lock();
                if (alive(l)) {
                    on_redirect(l, query);
                }
                for (auto& [k, v] : query) {
                    wipe(v);
                }
            });
            return a;
        });
        if (!opened) {
            return fail_start(l, opened.error());
        }
        l->listener = std::move(*opened);
        port = l->listener->port();
    } else {
        port = pick_loopback_port(m_io);
    }
    if (port == 0) {
        return fail_start(l, make_error(Errc::io_error, "login: no free port on 127.0.0.1"));
    }
    l->redirect_uri = "http://127.0.0.1:" + std::to_string(port) + "/callback";
    std::string query;
    append_form_field(query, "response_type", "code");
    append_form_field(query, "client_id", param(l->params, "client_id"));
    append_form_field(query, "redirect_uri", l->redirect_uri);
    add_extras(query, l->params);
    append_form_field(query, "state", l->state);
    append_form_field(query, "code_challenge", code_challenge_s256(l->verifier.expose()));
    append_form_field(query, "code_challenge_method", "S256");
    const std::string url = l->authorization_url +
                            (l->authorization_url.find('?') == std::string::npos ? "?" : "&") +
                            query;
    l->deadline.expires_after(std::chrono::milliseconds(login_redirect_timeout_ms));
    std::weak_ptr<Login> weak = l;
    l->deadline.async_wait([this, weak](const boost::system::error_code& ec) {
        auto l = weak.lock();
        if (ec || !alive(l) || l->in_flight) {
            return;
        }
        fail(l, Errc::login_failed,
             "credential " + l->name + ": no answer from the browser within " +
                 std::to_string(login_redirect_timeout_ms / 60000) + " minutes",
             "log in again: cred login " + l->name);
    });
    auto reply = std::move(l->reply);
    l->reply = nullptr;
    reply(json::object{{"login_id", l->id},
                       {"flow", "auth-code"},
                       {"authorization_url", url},
                       {"redirect_uri", l->redirect_uri}});
}

void LoginManager::on_redirect(const LoginPtr& l, const std::map<std::string, std::string>& query) {
    if (l->in_flight) {
        return; // a code is being exchanged already (the listener and a paste raced)
    }
    if (!constant_time_equal(get(query, "state"), l->state)) {
        return fail(l, Errc::state_mismatch,
                    "credential " + l->name +
                        ": the redirect does not belong to this login (state mismatch)",
                    "log in again: cred login " + l->name);
    }
    // RFC 9207: a provider that names itself in the redirect must be the one we asked.
    if (const std::string iss = get(query, "iss"); !iss.empty()) {
        const std::string expected = param(l->params, "issuer");
        if (!expected.empty() && iss != expected && iss + "/" != expected &&
            iss != expected + "/") {
            return fail(l, Errc::login_failed,
                        "credential " + l->name + ": the redirect names another issuer (" +
                            sanitise(iss) + ")",
                        "check --issuer; log in again: cred login " + l->name);
        }
    }
    if (const std::string error = get(query, "error"); !error.empty()) {
        if (error == "access_denied") {
            return fail(l, Errc::access_denied, "credential " + l->name + ": the login was refused",
                        "log in again and approve the request: cred login " + l->name);
        }
        std::string why = sanitise(error);
        if (auto d = get(query, "error_description"); !d.empty()) {
            why += " (" + sanitise(d) + ")";
        }
        return fail(l, Errc::login_failed,
                    "credential " + l->name + ": the provider refused the login: " + why,
                    "check the client id, scope and redirect settings");
    }
    std::string code = get(query, "code");
    if (code.empty()) {
        return fail(l, Errc::login_failed, "credential " + l->name + ": the redirect has no code",
                    "log in again: cred login " + l->name);
    }
    exchange_code(l, std::move(code));
}

void LoginManager::exchange_code(const LoginPtr& l, std::string code) {
    if (l->listener) {
        l->listener->close();
    }
    HttpRequest r;
    r.url = l->token_url;
    r.allow_insecure_http = l->allow_insecure_http;
    append_form_field(r.body, "grant_type", "authorization_code");
    append_form_field(r.body, "code", code);
    wipe(code);
    append_form_field(r.body, "redirect_uri", l->redirect_uri);
    append_form_field(r.body, "code_verifier", l->verifier.expose());
    post_token_request(l, std::move(r), [this](const LoginPtr& l, HttpResult& result) {
        if (!result) {
            return fail(l, Errc::login_failed,
                        "credential " + l->name + ": login failed: " + result.error().message,
                        "log in again: cred login " + l->name);
        }
        on_token_answer(l, *result);
    });
}

// The token endpoint's final answer: store what it gave, then say so.
void LoginManager::on_token_answer(const LoginPtr& l, HttpResponse& response) {
    // As for a refresh: the lifetime counts from when the request left, so a slow answer
    // cannot make the token look longer-lived than it is.
    const UnixMs now = l->sent_at != 0 ? l->sent_at : now_ms();
    auto token = parse_token_response(response, now);
    if (!token) {
        return fail(l, Errc::login_failed,
                    "credential " + l->name + ": login failed: " + token.error().message,
                    "log in again: cred login " + l->name);
    }
    RefreshCommit c;
    c.name = l->name;
    // A background refresh during the login bumps the generation; that is no reason to
    // throw away a login the user has just approved (its code is spent). Only a
    // credential removed, re-added (a new created_at) or changed to another kind or
    // client supersedes it.
    c.generation = l->generation;
    if (const CredentialRecord* r = m_broker.find_record(l->name);
        r != nullptr && r->created_at == l->created_at && r->kind == l->kind &&
        param(r->params, "client_id") == param(l->params, "client_id")) {
        c.generation = r->generation;
    }
    SecretMaterial m;
    m.token = std::move(token->access_token);
    m.refresh_token = std::move(token->refresh_token);
    m.id_token = std::move(token->id_token);
    m.client_secret = l->client_secret.clone();
    std::optional<UnixMs> expires_at;
    bool assumed = false;
    if (token->expires_in_s) {
        expires_at = now + *token->expires_in_s * 1000;
    } else if (!m.refresh_token.empty()) {
        expires_at = now + default_lifetime_of(l->params) * 1000;
        assumed = true;
    } // else: no expiry and nothing to refresh with (GitHub's OAuth app tokens)
    json::value identity = nullptr;
    if (!m.id_token.empty()) {
        if (auto claims = id_token_claims(m.id_token.expose())) {
            identity = identity_of(*claims);
        }
    }
    c.secrets = std::move(m);
    c.expires_at = expires_at;
    c.state.last_refresh = now;
    c.state.default_lifetime = assumed;
    if (expires_at) {
        c.state.next_refresh = *expires_at - refresh_lead_ms(*expires_at - now, jitter_unit());
    }
    if (l->params_changed) {
        c.params = l->params;
    }
    l->in_flight = true; // nothing else may end it while the commit is out
    std::weak_ptr<Login> weak = l;
    m_broker.commit_refresh(std::move(c), [this, weak, expires_at, identity = std::move(identity)](
                                              Result<std::uint64_t> done) mutable {
        auto l = weak.lock();
        if (!alive(l)) {
            return;
        }
        l->in_flight = false;
        if (!done) {
            return fail(l, Errc::login_failed,
                        "credential " + l->name + ": login not stored: " + done.error().message,
                        done.error().hint);
        }
        spdlog::info("credential {}: login {} succeeded; token expires at {}", l->name, l->id,
                     expires_at ? format_rfc3339(*expires_at) : "never");
        if (m_listener) {
            m_listener(l->name);
        }
        finish(l, json::object{{"state", "succeeded"},
                               {"expires_at", expires_at ? json::value(*expires_at) : nullptr},
                               {"identity", std::move(identity)}});
    });
}

Result<void> LoginManager::complete(const std::string& login_id, const json::object& params) {
    const auto it = m_logins.find(login_id);
    if (it == m_logins.end()) {
        return make_error(Errc::not_found, "no login " + login_id + " in progress",
                          "start one: cred login NAME");
    }
    LoginPtr l = it->second;
    if (l->kind != kind_auth_code || l->reply) {
        return make_error(Errc::invalid_params,
                          "login " + login_id + ": login.complete is for auth-code logins");
    }
    if (l->in_flight) {
        return make_error(Errc::invalid_params, "login " + login_id + ": already completing");
    }
    const auto* url = params.if_contains("redirect_url");
    const auto* code = params.if_contains("code");
    if ((url == nullptr) == (code == nullptr) || (url && !url->is_string()) ||
        (code && (!code->is_string() || code->get_string().empty()))) {
        return make_error(Errc::invalid_params,
                          "login.complete needs exactly one of \"redirect_url\" and \"code\"");
    }
    if (code != nullptr) {
        // Typed by the user from the provider's page: there is no state to check.
        exchange_code(l, std::string(code->get_string()));
        return {};
    }
    auto query = query_of(std::string_view(url->get_string()));
    if (query.empty()) {
        return make_error(Errc::invalid_params,
                          "login " + login_id + ": the pasted URL has no query (no code)",
                          "paste the whole address the browser was sent to");
    }
    on_redirect(l, query);
    for (auto& [k, v] : query) {
        wipe(v);
    }
    return {};
}

Result<void> LoginManager::cancel(const std::string& login_id) {
    const auto it = m_logins.find(login_id);
    if (it == m_logins.end()) {
        return make_error(Errc::not_found, "no login " + login_id + " in progress");
    }
    LoginPtr l = it->second;
    spdlog::info("credential {}: login {} cancelled", l->name, l->id);
    if (l->reply) {
        // login.start has not been answered yet (discovery or the device request in
        // flight): it is answered now, and no progress follows.
        fail_start(l, make_error(Errc::login_failed, "login " + login_id + ": cancelled"));
        return {};
    }
    finish(l, json::object{{"state", "cancelled"}});
    return {};
}

void LoginManager::connection_closed(Watcher* peer) {
    std::vector<LoginPtr> gone;
    for (const auto& [id, l] : m_logins) {
        if (l->peer == peer) {
            gone.push_back(l);
        }
    }
    for (auto& l : gone) {
        spdlog::info("credential {}: login {} cancelled: its connection closed", l->name, l->id);
        l->peer = nullptr;
        auto reply = std::move(l->reply);
        remove(l);
        if (reply) {
            reply(make_error(Errc::login_failed, "login cancelled: the connection closed"));
        }
    }
}

void LoginManager::stop() {
    std::vector<LoginPtr> all;
    for (const auto& [id, l] : m_logins) {
        all.push_back(l);
    }
    for (auto& l : all) {
        if (l->reply) {
            fail_start(l, make_error(Errc::login_failed, "login cancelled: credd is stopping"));
        } else {
            finish(l, json::object{{"state", "cancelled"}});
        }
    }
}

void LoginManager::fail_start(const LoginPtr& l, Error e) {
    spdlog::info("credential {}: login {} failed: {}", l->name, l->id, e.message);
    auto reply = std::move(l->reply);
    remove(l);
    if (reply) {
        reply(std::move(e));
    }
}

void LoginManager::fail(const LoginPtr& l, Errc code, std::string message, std::string hint) {
    if (l->reply) {
        return fail_start(l, make_error(code, std::move(message), std::move(hint)));
    }
    spdlog::info("credential {}: login {} failed ({}): {}", l->name, l->id, code_name(code),
                 message);
    finish(l, json::object{{"state", "failed"},
                           {"error", json::object{{"code", code_name(code)},
                                                  {"message", std::move(message)},
                                                  {"hint", std::move(hint)}}}});
}

void LoginManager::finish(const LoginPtr& l, json::object progress) {
    remove(l);
    notify(*l, std::move(progress));
}

void LoginManager::notify(const Login& l, json::object progress) const {
    if (l.peer == nullptr) {
        return;
    }
    progress["login_id"] = l.id;
    std::string line = R"({"jsonrpc":"2.0","method":")";
    line += protocol::notification_login_progress;
    line += R"(","params":)";
    protocol::append_json(line, progress);
    line += "}\n";
    l.peer->notify(std::move(line));
}

void LoginManager::remove(const LoginPtr& l) {
    l->timer.cancel();
    l->deadline.cancel();
    if (l->listener) {
        l->listener->close();
    }
    m_logins.erase(l->id);
    if (l->peer != nullptr) {
        l->peer->hold_open(false);
    }
}

} // namespace credd
