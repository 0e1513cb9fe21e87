// Interactive login (login.start / login.progress / login.complete / login.cancel) against
// a real OIDC provider (npm oidc-provider with its real device, login and consent pages,
// driven by tests/login/browser.mjs) and the in-tree fault endpoint for what the provider
// will not do on demand (slow_down, RFC 8414-only discovery, a mixed-up issuer).
#include <chrono>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "process.hh"
#include "refresh_fixture.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr int lifetime_s = 12; // access tokens from the provider

// One connection that starts logins: answers are matched by id, login.progress
// notifications kept in order.
class LoginConnection {
public:
    explicit LoginConnection(const std::string& socket) : m_client(socket) {}

    json::value call(std::string_view method, const json::object& params,
                     std::chrono::milliseconds deadline = 15s) {
        const std::string line = protocol_line(method, params);
        if (!m_client.send(line)) {
            return nullptr;
        }
        const auto end = Clock::now() + deadline;
        while (Clock::now() < end) {
            const auto r = m_client.read_line(left(end));
            if (r.status != ReadStatus::line) {
                return nullptr;
            }
            auto v = parse_json(r.line);
            if (is_progress(v)) {
                m_notes.push_back(v.as_object().at("params").as_object());
                continue;
            }
            return v;
        }
        return nullptr;
    }

    // The next login.progress params (empty when none came in time).
    json::object next(std::chrono::milliseconds deadline = 20s) {
        if (!m_notes.empty()) {
            auto n = std::move(m_notes.front());
            m_notes.pop_front();
            return n;
        }
        const auto end = Clock::now() + deadline;
        while (Clock::now() < end) {
            const auto r = m_client.read_line(left(end));
            if (r.status != ReadStatus::line) {
                return {};
            }
            auto v = parse_json(r.line);
            if (is_progress(v)) {
                return v.as_object().at("params").as_object();
            }
        }
        return {};
    }

    // The terminal notification (skipping waiting / slow_down), or empty.
    json::object terminal(std::chrono::milliseconds deadline = 25s) {
        const auto end = Clock::now() + deadline;
        while (Clock::now() < end) {
            auto n = next(left(end));
            if (n.empty()) {
                return n;
            }
            const auto state = string_at(n, "state");
            if (state != "waiting" && state != "slow_down") {
                return n;
            }
            seen_states.push_back(state);
        }
        return {};
    }

    void close() { m_client.close(); }

    std::vector<std::string> seen_states;

private:
    static std::chrono::milliseconds left(Clock::time_point end) {
        return std::max(std::chrono::milliseconds(1),
                        std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()));
    }
    static bool is_progress(const json::value& v) {
        return v.is_object() && string_at(v.as_object(), "method") == "login.progress" &&
               !v.as_object().contains("id");
    }
    std::string protocol_line(std::string_view method, const json::object& params) {
        json::object req{
            {"jsonrpc", "2.0"}, {"id", m_next_id++}, {"method", method}, {"params", params}};
        return json::serialize(req) + "\n";
    }

    RpcClient m_client;
    std::int64_t m_next_id = 1;
    std::deque<json::object> m_notes;
};

class LoginTest : public OidcLoginFixture {
protected:
    static void SetUpTestSuite() { start_provider(lifetime_s); }
    static void TearDownTestSuite() { stop_provider(); }

    // The provider's token requests so far for one grant type.
    int provider_requests(const char* grant_type) const {
        const auto a = http_call("GET", m_control, "/stats");
        boost::system::error_code ec;
        const auto v = json::parse(a.body, ec);
        const auto* n = !ec && v.is_object() ? v.get_object().if_contains(grant_type) : nullptr;
        return n ? static_cast<int>(n->as_int64()) : 0;
    }

    json::value add_login(const std::string& name, const std::string& kind, json::object params) {
        return rpc("credential.add", {{"name", name}, {"kind", kind}, {"params", params}});
    }

    json::object start(LoginConnection& c, const std::string& name, json::object extra = {}) {
        extra["name"] = name;
        const auto r = c.call("login.start", extra);
        const auto* result = result_of(r);
        EXPECT_TRUE(result) << json::serialize(r);
        return result ? result->as_object() : json::object{};
    }

    std::string fault_base() const { return "http://127.0.0.1:" + std::to_string(m_fault_port); }
};

const char* const device_grant = "urn:ietf:params:oauth:grant-type:device_code";

TEST_F(LoginTest, DeviceLoginThroughTheProvidersPagesThenRefreshesWithRotation) {
    ASSERT_TRUE(result_of(add_login("dev", "device",
                                    {{"issuer", m_issuer},
                                     {"client_id", "device-client"},
                                     {"scope", "openid offline_access email profile"}})));
    // Added, never logged in: needs_login, and token.get says how to fix it.
    EXPECT_TRUE(
        wait_until([&] { return string_at(status_of("dev"), "status") == "needs_login"; }, 5s))
        << json::serialize(status_of("dev"));
    const auto before = rpc("token.get", {{"name", "dev"}});
    EXPECT_EQ(error_code_of(before), "needs_login") << json::serialize(before);
    EXPECT_NE(json::serialize(before).find("cred login dev"), std::string::npos);

    LoginConnection c(m_daemon->socket_path());
    const auto started = start(c, "dev");
    ASSERT_EQ(string_at(started, "flow"), "device");
    EXPECT_EQ(string_at(started, "verification_uri"), m_issuer + "/device");
    const std::string complete = string_at(started, "verification_uri_complete");
    const std::string user_code = string_at(started, "user_code");
    EXPECT_NE(complete.find(user_code), std::string::npos);
    EXPECT_EQ(started.at("interval").as_int64(), 1);
    // The QR symbol of the complete URI, for cred and plugins to draw: a square of bits
    // whose side is a QR version's (17 + 4v); the unit golden test checks the modules.
    ASSERT_TRUE(started.at("qr").is_array()) << json::serialize(started);
    const auto& qr = started.at("qr").as_array();
    EXPECT_GE(qr.size(), 21U);
    EXPECT_EQ((qr.size() - 17) % 4, 0U);
    for (const auto& row : qr) {
        EXPECT_EQ(row.as_string().size(), qr.size());
        EXPECT_EQ(row.as_string().find_first_not_of("01"), json::string::npos);
    }
    // One login per credential.
    LoginConnection other(m_daemon->socket_path());
    EXPECT_EQ(error_code_of(other.call("login.start", {{"name", "dev"}})), "login_in_progress");

    // The user opens the verification page, types the code, signs in, approves.
    const auto page = browse(m_issuer + "/device", {"--user-code", user_code});
    ASSERT_EQ(page.at("status").as_int64(), 200) << json::serialize(page);
    ASSERT_NE(string_at(page, "body").find("Sign-in Success"), std::string::npos)
        << json::serialize(page);

    const auto done = c.terminal();
    ASSERT_EQ(string_at(done, "state"), "succeeded") << json::serialize(done);
    EXPECT_EQ(string_at(done, "login_id"), string_at(started, "login_id"));
    const auto& identity = done.at("identity").as_object();
    EXPECT_EQ(string_at(identity, "sub"), "alice");
    EXPECT_EQ(string_at(identity, "email"), "alice@example.test");
    EXPECT_EQ(string_at(identity, "preferred_username"), "alice");
    EXPECT_GT(done.at("expires_at").as_int64(), now_unix_ms());

    // Stored before `succeeded`: served at once, without another token request.
    const int polls = provider_requests(device_grant);
    EXPECT_GE(polls, 1);
    const int refreshes = provider_requests("refresh_token");
    const auto first = get_token({{"name", "dev"}});
    ASSERT_TRUE(first.token) << first.describe();
    EXPECT_EQ(provider_requests("refresh_token"), refreshes);
    EXPECT_EQ(string_at(status_of("dev"), "status"), "fresh");

    const auto who = rpc("credential.whoami", {{"name", "dev"}});
    const auto* w = result_of(who);
    ASSERT_TRUE(w) << json::serialize(who);
    EXPECT_EQ(string_at(w->as_object(), "sub"), "alice");
    EXPECT_EQ(string_at(w->as_object(), "name_claim"), "User alice");
    EXPECT_EQ(string_at(w->as_object(), "issuer"), m_issuer);
    // The ID token is never served as the token.
    EXPECT_EQ(json::serialize(rpc("token.get", {{"name", "dev"}})).find("eyJ"), std::string::npos);

    // Then it is an ordinary refreshed credential: renewed in the background, with the
    // refresh token rotated each time (the provider refuses a spent one).
    ASSERT_TRUE(
        wait_until([&] { return provider_requests("refresh_token") >= refreshes + 2; }, 25s));
    const auto later = get_token({{"name", "dev"}});
    ASSERT_TRUE(later.token) << later.describe();
    EXPECT_NE(*later.token, *first.token);
    // Both refreshes succeeded: a spent (unrotated) refresh token would be invalid_grant.
    ASSERT_TRUE(wait_until([&] { return string_at(status_of("dev"), "status") == "fresh"; }, 5s));
    const auto st = status_of("dev");
    EXPECT_TRUE(st.at("error_class").is_null()) << json::serialize(st);
    EXPECT_EQ(st.at("failures").as_int64(), 0);
    EXPECT_FALSE(st.at("last_refresh").is_null());
}

TEST_F(LoginTest, AuthCodeWithPkceLandsOnTheLoopbackListener) {
    ASSERT_TRUE(result_of(add_login("laptop", "auth-code",
                                    {{"issuer", m_issuer},
                                     {"client_id", "native-client"},
                                     {"scope", "openid offline_access email"}})));
    const int exchanges = provider_requests("authorization_code");
    LoginConnection c(m_daemon->socket_path());
    const auto started = start(c, "laptop");
    ASSERT_EQ(string_at(started, "flow"), "auth-code");
    const std::string redirect = string_at(started, "redirect_uri");
    ASSERT_EQ(redirect.rfind("http://127.0.0.1:", 0), 0u) << redirect;
    const std::string url = string_at(started, "authorization_url");
    EXPECT_NE(url.find("code_challenge_method=S256"), std::string::npos);
    EXPECT_NE(url.find("state="), std::string::npos);

    // The browser follows the provider's pages and is redirected to credd's listener.
    const auto page = browse(url);
    EXPECT_EQ(string_at(page, "url").rfind(redirect, 0), 0u) << json::serialize(page);
    EXPECT_EQ(page.at("status").as_int64(), 200) << json::serialize(page);
    EXPECT_NE(string_at(page, "body").find("close this tab"), std::string::npos);

    const auto done = c.terminal();
    ASSERT_EQ(string_at(done, "state"), "succeeded") << json::serialize(done);
    EXPECT_EQ(string_at(done.at("identity").as_object(), "email"), "alice@example.test");
    EXPECT_TRUE(get_token({{"name", "laptop"}}).token);
    EXPECT_EQ(provider_requests("authorization_code"), exchanges + 1);
    // The listener is gone once the login ended.
    EXPECT_EQ(http_call("GET", port_of(redirect), "/callback?code=x&state=y", {}, 2s).status, 0);
}

TEST_F(LoginTest, AWrongStateIsRefusedByTheListenerAndFailsLoginComplete) {
    const int exchanges = provider_requests("authorization_code");
    ASSERT_TRUE(result_of(add_login("laptop", "auth-code",
                                    {{"issuer", m_issuer},
                                     {"client_id", "native-client"},
                                     {"scope", "openid offline_access email"}})));
    {
        LoginConnection c(m_daemon->socket_path());
        const auto started = start(c, "laptop");
        const int port = port_of(string_at(started, "redirect_uri"));
        // A stray request (a favicon) is answered 404 and the listener keeps waiting.
        EXPECT_EQ(http_call("GET", port, "/favicon.ico").status, 404);
        // A redirect with another state (a stale tab, a hostile page) is refused, and the
        // login goes on: it cannot be aborted by whoever can reach 127.0.0.1.
        const auto a = http_call("GET", port, "/callback?code=stolen&state=not-ours");
        EXPECT_EQ(a.status, 400);
        const auto page = browse(string_at(started, "authorization_url"));
        EXPECT_EQ(page.at("status").as_int64(), 200) << json::serialize(page);
        const auto done = c.terminal();
        ASSERT_EQ(string_at(done, "state"), "succeeded") << json::serialize(done);
    }
    {
        LoginConnection c(m_daemon->socket_path());
        const auto started = start(c, "laptop", {{"open_listener", false}});
        const std::string redirect = string_at(started, "redirect_uri");
        EXPECT_EQ(redirect.rfind("http://127.0.0.1:", 0), 0u);
        const auto r = c.call("login.complete", {{"login_id", string_at(started, "login_id")},
                                                 {"redirect_url", redirect + "?code=x&state=bad"}});
        EXPECT_TRUE(result_of(r)) << json::serialize(r);
        const auto done = c.terminal();
        ASSERT_EQ(string_at(done, "state"), "failed") << json::serialize(done);
        EXPECT_EQ(string_at(done.at("error").as_object(), "code"), "state_mismatch");
    }
    EXPECT_EQ(provider_requests("authorization_code"), exchanges + 1) << "only the real code";
}

TEST_F(LoginTest, APastedRedirectUrlCompletesTheLogin) {
    ASSERT_TRUE(result_of(add_login("headless", "auth-code",
                                    {{"issuer", m_issuer},
                                     {"client_id", "native-client"},
                                     {"scope", "openid offline_access"}})));
    LoginConnection c(m_daemon->socket_path());
    const auto started = start(c, "headless", {{"open_listener", false}});
    // Nothing listens: the browser's last stop is the redirect it could not follow.
    const auto page = browse(string_at(started, "authorization_url"));
    const std::string landed = string_at(page, "url");
    ASSERT_EQ(landed.rfind(string_at(started, "redirect_uri"), 0), 0u) << json::serialize(page);
    const auto r = c.call("login.complete",
                          {{"login_id", string_at(started, "login_id")}, {"redirect_url", landed}});
    ASSERT_TRUE(result_of(r)) << json::serialize(r);
    const auto done = c.terminal();
    ASSERT_EQ(string_at(done, "state"), "succeeded") << json::serialize(done);
    EXPECT_TRUE(get_token({{"name", "headless"}}).token);
}

// The state of an authorization URL credd built (as the provider would echo it back).
std::string state_of(const std::string& authorization_url) {
    const auto at = authorization_url.find("&state=");
    const auto end = authorization_url.find('&', at + 1);
    return at == std::string::npos ? std::string{} : authorization_url.substr(at + 7, end - at - 7);
}

TEST_F(LoginTest, APastedAnswerIsCheckedForIssuerErrorAndCode) {
    ASSERT_TRUE(result_of(
        add_login("laptop", "auth-code", {{"issuer", m_issuer}, {"client_id", "native-client"}})));
    const auto fails_with = [&](const std::string& key, const std::string& value) {
        LoginConnection c(m_daemon->socket_path());
        const auto started = start(c, "laptop", {{"open_listener", false}});
        const std::string state = state_of(string_at(started, "authorization_url"));
        EXPECT_FALSE(state.empty());
        json::object params{{"login_id", string_at(started, "login_id")}};
        if (key == "code") {
            params["code"] = value;
        } else {
            params["redirect_url"] =
                string_at(started, "redirect_uri") + "?state=" + state + "&" + value;
        }
        EXPECT_TRUE(result_of(c.call("login.complete", params)));
        const auto done = c.terminal();
        EXPECT_EQ(string_at(done, "state"), "failed") << json::serialize(done);
        return done.contains("error") ? string_at(done.at("error").as_object(), "code")
                                      : std::string{};
    };
    // RFC 9207: the redirect names another issuer.
    EXPECT_EQ(fails_with("redirect_url", "code=abc&iss=http%3A%2F%2Fevil.example"), "login_failed");
    EXPECT_EQ(fails_with("redirect_url", "error=access_denied"), "access_denied");
    // A typed code the provider does not know: its token endpoint refuses it.
    const int exchanges = provider_requests("authorization_code");
    EXPECT_EQ(fails_with("code", "not-a-code"), "login_failed");
    EXPECT_EQ(provider_requests("authorization_code"), exchanges + 1);
    EXPECT_EQ(string_at(status_of("laptop"), "status"), "needs_login");
}

TEST_F(LoginTest, TheUserRefusingIsAccessDenied) {
    ASSERT_TRUE(result_of(
        add_login("dev", "device",
                  {{"issuer", m_issuer}, {"client_id", "device-client"}, {"scope", "openid"}})));
    LoginConnection c(m_daemon->socket_path());
    const auto started = start(c, "dev");
    browse(string_at(started, "verification_uri_complete"), {"--deny"});
    const auto done = c.terminal();
    ASSERT_EQ(string_at(done, "state"), "failed") << json::serialize(done);
    EXPECT_EQ(string_at(done.at("error").as_object(), "code"), "access_denied");
    EXPECT_NE(string_at(done.at("error").as_object(), "hint").find("cred login dev"),
              std::string::npos);
    EXPECT_EQ(string_at(status_of("dev"), "status"), "needs_login");
}

TEST_F(LoginTest, ADeviceCodeThatExpiresEndsTheLogin) {
    ASSERT_TRUE(result_of(
        add_login("short", "device",
                  {{"issuer", m_issuer}, {"client_id", "device-short"}, {"scope", "openid"}})));
    LoginConnection c(m_daemon->socket_path());
    const auto started = start(c, "short");
    EXPECT_LE(started.at("expires_at").as_int64(), now_unix_ms() + 4000);
    const auto done = c.terminal(15s);
    ASSERT_EQ(string_at(done, "state"), "failed") << json::serialize(done);
    EXPECT_EQ(string_at(done.at("error").as_object(), "code"), "expired_token");
    EXPECT_FALSE(c.seen_states.empty()); // it did poll (authorization_pending) meanwhile
}

TEST_F(LoginTest, SlowDownAddsFiveSecondsAndDiscoveryFallsBackToRfc8414) {
    // The issuer has a path; its OIDC document 404s; RFC 8414's is at
    // /.well-known/oauth-authorization-server/tenant1 (the fault endpoint's script).
    const std::string issuer = fault_base() + "/tenant1";
    ASSERT_TRUE(result_of(add_login("slow", "device", {{"issuer", issuer}, {"client_id", "c"}})));
    LoginConnection c(m_daemon->socket_path());
    const auto started = start(c, "slow");
    // Google's spelling, verification_url, is accepted.
    EXPECT_EQ(string_at(started, "verification_uri"), fault_base() + "/verify");
    EXPECT_TRUE(started.at("verification_uri_complete").is_null());
    const auto slow = c.next();
    EXPECT_EQ(string_at(slow, "state"), "slow_down") << json::serialize(slow);
    EXPECT_EQ(slow.at("interval").as_int64(), 6);
    const auto done = c.terminal();
    ASSERT_EQ(string_at(done, "state"), "succeeded") << json::serialize(done);
    EXPECT_TRUE(done.at("identity").is_null());
    const auto times = json::parse(http_call("GET", m_fault_port, "/times/device-slow").body)
                           .at("times")
                           .as_array();
    ASSERT_EQ(times.size(), 2u);
    EXPECT_GE(times[1].as_double() - times[0].as_double(), 5.5);
    // Discovery is cached with the credential, and the refresh uses its token endpoint.
    const auto r = rpc("credential.rotate", {{"name", "slow"}});
    EXPECT_TRUE(result_of(r)) << json::serialize(r);
    EXPECT_EQ(string_at(fault_last("device-slow").at("form").as_object(), "refresh_token"),
              "rt-device");
    EXPECT_EQ(error_code_of(rpc("credential.whoami", {{"name", "slow"}})), "no_id_token");
}

TEST_F(LoginTest, AMetadataDocumentForAnotherIssuerFailsDiscovery) {
    ASSERT_TRUE(result_of(
        add_login("mixed", "device", {{"issuer", fault_base() + "/mixup"}, {"client_id", "c"}})));
    LoginConnection c(m_daemon->socket_path());
    const auto r = c.call("login.start", {{"name", "mixed"}});
    EXPECT_EQ(error_code_of(r), "discovery_failed") << json::serialize(r);
    EXPECT_NE(json::serialize(r).find("evil.example"), std::string::npos);
    // Nothing was asked of the device endpoint the document named.
    EXPECT_EQ(fault_count("device-slow"), 0);
}

TEST_F(LoginTest, CancelAndAClosedConnectionStopPolling) {
    ASSERT_TRUE(result_of(add_login("pend", "device",
                                    {{"token_url", fault_url("device-pending")},
                                     {"device_authorization_url", fault_base() + "/device/p"},
                                     {"client_id", "c"}})));
    {
        LoginConnection c(m_daemon->socket_path());
        const auto started = start(c, "pend");
        ASSERT_EQ(string_at(c.next(), "state"), "waiting");
        const auto r = c.call("login.cancel", {{"login_id", string_at(started, "login_id")}});
        ASSERT_TRUE(result_of(r)) << json::serialize(r);
        EXPECT_EQ(string_at(c.terminal(), "state"), "cancelled");
        EXPECT_EQ(
            error_code_of(c.call("login.cancel", {{"login_id", string_at(started, "login_id")}})),
            "not_found");
    }
    const int after_cancel = fault_count("device-pending");
    {
        LoginConnection c(m_daemon->socket_path());
        start(c, "pend");
        ASSERT_EQ(string_at(c.next(), "state"), "waiting");
        c.close();
    }
    // A new login for the credential is possible at once: the closed one is gone.
    ASSERT_TRUE(wait_until(
        [&] {
            LoginConnection c(m_daemon->socket_path());
            const auto r = c.call("login.start", {{"name", "pend"}});
            if (!result_of(r)) {
                return false;
            }
            c.call("login.cancel",
                   {{"login_id", string_at(result_of(r)->as_object(), "login_id")}});
            return true;
        },
        5s));
    const int settled = fault_count("device-pending");
    EXPECT_GT(settled, after_cancel);
    // No login polls any more: none arrives within two and a half intervals (a
    // violation fails at once; the full wait is the cost of showing an absence).
    EXPECT_FALSE(wait_until([&] { return fault_count("device-pending") > settled; }, 2500ms, 100ms))
        << "a cancelled login is still polling";
}

TEST_F(LoginTest, ARefusedRefreshAfterLoginAsksForCredLogin) {
    ASSERT_TRUE(result_of(add_login("once", "device",
                                    {{"token_url", fault_url("device-once")},
                                     {"device_authorization_url", fault_base() + "/device/o"},
                                     {"client_id", "c"}})));
    LoginConnection c(m_daemon->socket_path());
    start(c, "once");
    ASSERT_EQ(string_at(c.terminal(), "state"), "succeeded");
    EXPECT_TRUE(get_token({{"name", "once"}}).token);
    // The provider refuses the refresh token: needs_login, and the hint is cred login.
    const auto r = rpc("credential.rotate", {{"name", "once"}});
    EXPECT_EQ(error_code_of(r), "needs_login") << json::serialize(r);
    EXPECT_NE(json::serialize(r).find("cred login once"), std::string::npos) << json::serialize(r);
    EXPECT_EQ(string_at(fault_last("device-once").at("form").as_object(), "refresh_token"),
              "rt-once");
    EXPECT_EQ(string_at(status_of("once"), "status"), "needs_login");
}

TEST_F(LoginTest, LoginParamsAreCheckedOnAddAndStart) {
    auto r = add_login("nocid", "device", {{"issuer", m_issuer}});
    EXPECT_EQ(error_code_of(r), "invalid_params");
    r = add_login("noiss", "auth-code", {{"client_id", "x"}});
    EXPECT_EQ(error_code_of(r), "invalid_params");
    r = rpc("credential.add", {{"name", "rt"},
                               {"kind", "device"},
                               {"params", {{"issuer", m_issuer}, {"client_id", "x"}}},
                               {"secret", {{"refresh_token", "no"}}}});
    EXPECT_EQ(error_code_of(r), "invalid_params");
    add_static({"plain", "https://example.test", "tok"});
    LoginConnection c(m_daemon->socket_path());
    EXPECT_EQ(error_code_of(c.call("login.start", {{"name", "plain"}})), "invalid_params");
    EXPECT_EQ(error_code_of(c.call("login.start", {{"name", "nope"}})), "not_found");
    EXPECT_EQ(error_code_of(c.call("login.cancel", {{"login_id", "L999"}})), "not_found");
    EXPECT_EQ(error_code_of(rpc("credential.whoami", {{"name", "nope"}})), "not_found");
}

} // namespace
} // namespace credd::test
