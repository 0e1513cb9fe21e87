// The refresh engine against a real OAuth2 server: npm oidc-provider on 127.0.0.1.
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "daemon_test.hh"
#include "line_server.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// Access tokens live this long. The lead is half of it (at most a third above 90 s),
// so tokens are renewed with 6 s left, past the 5 s fail-closed skew.
constexpr int lifetime_s = 12;

class OidcTest : public DaemonTest {
protected:
    DaemonOptions daemon_options() const override {
        return {{"--max-connections", "1024"}, {}, 4096};
    }

    void SetUp() override {
        if (!std::filesystem::exists(CREDD_OIDC_DIR "/node_modules/oidc-provider")) {
            GTEST_SKIP() << "oidc-provider is not installed: run npm ci in " CREDD_OIDC_DIR;
        }
        DaemonTest::SetUp();
        m_oidc = std::make_unique<LineServer>(
            std::vector<std::string>{"/usr/bin/env", "node", CREDD_OIDC_DIR "/server.mjs", "--ttl",
                                     std::to_string(lifetime_s)});
        ASSERT_TRUE(m_oidc->ready()) << m_oidc->failure();
        m_issuer = std::string(m_oidc->info().at("issuer").as_string());
        m_control = port_of(std::string(m_oidc->info().at("control").as_string()));
    }

    json::value control(const std::string& method, const std::string& path,
                        const std::string& body = {}) const {
        const auto a = http_call(method, m_control, path, body);
        boost::system::error_code ec;
        auto v = json::parse(a.body, ec);
        return ec ? json::value(nullptr) : v;
    }
    // Token requests the server has answered, by grant type.
    int requests(const char* grant_type) const {
        const auto stats = control("GET", "/stats");
        const auto* n = stats.is_object() ? stats.get_object().if_contains(grant_type) : nullptr;
        return n ? static_cast<int>(n->as_int64()) : 0;
    }
    // Whether the server's introspection endpoint says the token is active.
    bool is_active(const std::string& token) const {
        const auto v = control("POST", "/introspect", token);
        const auto* active = v.is_object() ? v.get_object().if_contains("active") : nullptr;
        return active && active->is_bool() && active->get_bool();
    }

    void add_client_credentials(const std::string& name) const {
        const auto r = rpc(
            "credential.add",
            {{"name", name},
             {"kind", "oauth2-client-credentials"},
             {"params",
              {{"token_url", m_issuer + "/token"}, {"client_id", "cc-client"}, {"scope", "api"}}},
             {"secret", {{"client_secret", "cc-secret-0123456789"}}}});
        ASSERT_TRUE(result_of(r)) << json::serialize(r);
    }
    // A refresh-token credential from a refresh token the server minted, added with cred.
    void add_refresh_token(const std::string& name) const {
        const auto minted = control("POST", "/mint");
        ASSERT_TRUE(minted.is_object());
        const std::string rt(minted.at("refresh_token").as_string());
        const auto r =
            cred({"add", name, "--kind", "oauth2-refresh-token", "--token-url", m_issuer + "/token",
                  "--client-id", "rt-client", "--client-auth", "client_secret_post"},
                 rt + "\nrt-secret-0123456789\n");
        ASSERT_EQ(r.exit_code(), 0) << r.describe();
    }
    std::int64_t generation_of(const std::string& name) const {
        const auto r = get_token_json(name);
        const auto* g = r.is_object() ? r.get_object().if_contains("generation") : nullptr;
        return g ? g->as_int64() : -1;
    }
    json::value get_token_json(const std::string& name) const {
        const auto response = rpc("token.get", {{"name", name}});
        const auto* result = result_of(response);
        return result ? *result : json::value(nullptr);
    }
    json::object status_of(const std::string& name) const {
        const auto response = rpc("credential.status", {{"name", name}});
        const auto* result = result_of(response);
        return result ? result->at("credentials").as_array().at(0).as_object() : json::object{};
    }

    std::unique_ptr<LineServer> m_oidc;
    std::string m_issuer;
    int m_control = 0;
};

TEST_F(OidcTest, StaysFreshUnaskedAndNeverServesAnExpiredToken) {
    add_client_credentials("cc-polled");
    add_refresh_token("rt-polled");
    add_client_credentials("cc-idle");
    add_refresh_token("rt-idle");
    ASSERT_TRUE(wait_until([&] { return generation_of("cc-idle") >= 2; }, 10s));
    // Two and a half lifetimes: every token handed out is checked with the server.
    const auto until = Clock::now() + std::chrono::seconds(lifetime_s * 5 / 2);
    std::set<std::string> seen;
    int checked = 0;
    while (Clock::now() < until) {
        const auto by_cred = cred({"token", "rt-polled"});
        ASSERT_EQ(by_cred.exit_code(), 0) << by_cred.describe();
        std::string rt_token = by_cred.out.substr(0, by_cred.out.find('\n'));
        const auto cc = get_token({{"name", "cc-polled"}});
        ASSERT_TRUE(cc.token) << cc.describe();
        for (const auto& t : {rt_token, *cc.token}) {
            EXPECT_TRUE(is_active(t)) << "a token the server does not accept was served";
            seen.insert(t);
            ++checked;
        }
    }
    EXPECT_GE(checked, 40);
    EXPECT_GE(seen.size(), 6U); // each credential renewed at least twice in the window
    // Nobody asked for the idle ones, yet they were renewed on schedule, and what they
    // serve now is current without another request.
    for (const char* idle : {"cc-idle", "rt-idle"}) {
        EXPECT_GE(generation_of(idle), 4) << idle;
        const int before = requests("client_credentials") + requests("refresh_token");
        const auto t = get_token({{"name", idle}});
        ASSERT_TRUE(t.token) << t.describe();
        EXPECT_TRUE(is_active(*t.token)) << idle;
        EXPECT_EQ(requests("client_credentials") + requests("refresh_token"), before) << idle;
        EXPECT_EQ(std::string(status_of(idle).at("status").as_string()), "fresh");
    }
}

TEST_F(OidcTest, FiveHundredConcurrentGetsCauseOneTokenRequest) {
    // Every token answer is held 1.5 s: the refresh add starts is in flight while all ask.
    control("POST", "/delay?ms=1500");
    add_refresh_token("busy");
    std::vector<std::unique_ptr<RpcClient>> clients;
    clients.reserve(500);
    for (int i = 0; i < 500; ++i) {
        clients.push_back(std::make_unique<RpcClient>(m_daemon->socket_path()));
        ASSERT_TRUE(clients.back()->send(
            R"({"jsonrpc":"2.0","id":7,"method":"token.get","params":{"name":"busy"}})"
            "\n"));
    }
    std::set<std::string> tokens;
    for (auto& c : clients) {
        const auto line = c->read_line(15s);
        ASSERT_EQ(line.status, ReadStatus::line);
        const auto response = parse_json(line.line);
        const auto* result = result_of(response);
        ASSERT_TRUE(result) << "an answer was an error";
        tokens.insert(std::string(result->at("token").as_string()));
    }
    EXPECT_EQ(tokens.size(), 1U);
    EXPECT_EQ(requests("refresh_token"), 1);
    EXPECT_TRUE(is_active(*tokens.begin()));
}

TEST_F(OidcTest, KilledRightAfterARotationTheNextRefreshSucceeds) {
    add_refresh_token("crashy");
    const auto first = generation_of("crashy");
    ASSERT_GE(first, 2);
    // The scheduled refresh rotates the refresh token; kill -9 the moment it is stored.
    ASSERT_TRUE(wait_until([&] { return generation_of("crashy") > first; }, 15s, 5ms));
    m_daemon->kill9();
    const int before = requests("refresh_token");
    EXPECT_GE(before, 2);
    restart(daemon_options());
    const auto r = cred({"rotate", "crashy"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(requests("refresh_token"), before + 1);
    const auto t = get_token({{"name", "crashy"}});
    ASSERT_TRUE(t.token) << t.describe();
    EXPECT_TRUE(is_active(*t.token));
}

TEST_F(OidcTest, ARevokedRefreshTokenNeedsLoginAndIsNotRetried) {
    add_refresh_token("gone");
    ASSERT_TRUE(get_token({{"name", "gone"}}).token);
    control("POST", "/revoke");
    const auto r = cred({"rotate", "gone"});
    EXPECT_EQ(r.exit_code(), 4) << r.describe();
    EXPECT_TRUE(contains(r.err, "invalid_grant")) << r.err;
    EXPECT_TRUE(contains(r.err, "cred add gone --kind oauth2-refresh-token")) << r.err;
    EXPECT_EQ(std::string(status_of("gone").at("status").as_string()), "needs_login");
    const int after = requests("refresh_token");
    // A window past the token's expiry, with clients asking all along: no request.
    const auto until = Clock::now() + std::chrono::seconds(lifetime_s / 2 + 1);
    while (Clock::now() < until) {
        get_token({{"name", "gone"}});
        std::this_thread::sleep_for(100ms); // pacing the client, not synchronisation
    }
    EXPECT_EQ(get_token({{"name", "gone"}}).error, "needs_login");
    EXPECT_EQ(requests("refresh_token"), after);
    const auto t = cred({"token", "gone"});
    EXPECT_EQ(t.exit_code(), 4);
}

} // namespace
} // namespace credd::test
