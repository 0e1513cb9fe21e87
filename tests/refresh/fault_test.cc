// The refresh engine against the in-tree fault endpoint: what a real provider will not do.
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "refresh_fixture.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

class FaultTest : public RefreshFixture {};

TEST_F(FaultTest, ClientCredentialsSendsWhatTheRfcSaysAndServesTheToken) {
    ASSERT_TRUE(result_of(add_client_credentials("cc", fault_url("ok"))));
    const auto answer = get_token({{"name", "cc"}});
    EXPECT_TRUE(answer.is("ok-1")) << answer.describe();
    const auto last = fault_last("ok");
    EXPECT_EQ(string_at(last.at("form").as_object(), "grant_type"), "client_credentials");
    // base64("app:s3cret-client")
    EXPECT_EQ(string_at(last, "authorization"), "Basic YXBwOnMzY3JldC1jbGllbnQ=");
    EXPECT_EQ(string_at(last, "accept"), "application/json");
    EXPECT_EQ(string_at(status_of("cc"), "status"), "fresh");
}

TEST_F(FaultTest, RefreshTokenGrantWithClientSecretPost) {
    ASSERT_TRUE(result_of(add("rt", "oauth2-refresh-token",
                              {{"token_url", fault_url("ok")},
                               {"client_id", "app"},
                               {"client_auth", "client_secret_post"},
                               {"scope", "api offline_access"}},
                              {{"refresh_token", "rt-original"}, {"client_secret", "pst"}})));
    EXPECT_TRUE(get_token({{"name", "rt"}}).is("ok-1"));
    const auto form = fault_last("ok").at("form").as_object();
    EXPECT_EQ(string_at(form, "grant_type"), "refresh_token");
    EXPECT_EQ(string_at(form, "refresh_token"), "rt-original");
    EXPECT_EQ(string_at(form, "client_id"), "app");
    EXPECT_EQ(string_at(form, "client_secret"), "pst");
    EXPECT_EQ(string_at(form, "scope"), "api offline_access");
    EXPECT_TRUE(fault_last("ok").at("authorization").is_null());
}

TEST_F(FaultTest, KeepsTheRefreshTokenWhenNoneIsReturnedAndUsesARotatedOne) {
    ASSERT_TRUE(result_of(add("kept", "oauth2-refresh-token", {{"token_url", fault_url("ok")}},
                              {{"refresh_token", "rt-kept"}})));
    ASSERT_TRUE(
        result_of(add("rotated", "oauth2-refresh-token", {{"token_url", fault_url("rotate")}},
                      {{"refresh_token", "rt-first"}})));
    ASSERT_TRUE(get_token({{"name", "kept"}}).token);
    ASSERT_TRUE(get_token({{"name", "rotated"}}).token);
    EXPECT_EQ(cred({"rotate", "kept"}).exit_code(), 0);
    EXPECT_EQ(string_at(fault_last("ok").at("form").as_object(), "refresh_token"), "rt-kept");
    EXPECT_EQ(cred({"rotate", "rotated"}).exit_code(), 0);
    // The first answer rotated it to rt-1: that one is spent next, never rt-first again.
    EXPECT_EQ(string_at(fault_last("rotate").at("form").as_object(), "refresh_token"), "rt-1");
}

TEST_F(FaultTest, ReadsProviderQuirks) {
    ASSERT_TRUE(result_of(add_client_credentials("string", fault_url("ok-string", 120))));
    ASSERT_TRUE(result_of(add_client_credentials("none", fault_url("ok-no-expiry"))));
    ASSERT_TRUE(result_of(add_client_credentials("form", fault_url("form", 90))));
    const auto now = now_unix_ms();
    EXPECT_TRUE(get_token({{"name", "string"}}).is("ok-string-1"));
    EXPECT_TRUE(get_token({{"name", "none"}}).is("ok-no-expiry-1"));
    EXPECT_TRUE(get_token({{"name", "form"}}).is("form-1"));
    const auto s = status_of("string");
    EXPECT_NEAR(static_cast<double>(s.at("expires_at").as_int64() - now), 120'000.0, 5'000.0);
    const auto n = status_of("none");
    EXPECT_TRUE(n.at("lifetime_assumed").as_bool());
    EXPECT_NEAR(static_cast<double>(n.at("expires_at").as_int64() - now), 3'600'000.0, 5'000.0);
    EXPECT_FALSE(status_of("form").at("lifetime_assumed").as_bool());
}

struct FaultCase {
    const char* scenario;
    const char* error_class;
    const char* status;
    const char* token_error; // token.get's data.code
};

TEST_F(FaultTest, ClassesEveryFault) {
    const FaultCase cases[] = {
        {"500", "transient", "expired", "refresh_failed"},
        {"503", "transient", "expired", "refresh_failed"},
        {"429", "transient", "expired", "refresh_failed"},
        {"malformed", "transient", "expired", "refresh_failed"},
        {"huge", "transient", "expired", "refresh_failed"},
        {"reset", "transient", "expired", "refresh_failed"},
        {"hang", "transient", "expired", "refresh_failed"},
        {"html", "fix_configuration", "error", "refresh_failed"},
        {"invalid_client", "fix_configuration", "error", "refresh_failed"},
        {"github200", "fix_configuration", "error", "refresh_failed"},
        {"invalid_grant", "reauthorize", "needs_login", "needs_login"},
    };
    // All at once: the hang costs the 2 s request deadline once, not once per case.
    for (const auto& c : cases) {
        ASSERT_TRUE(
            result_of(add_client_credentials(std::string("f") + c.scenario, fault_url(c.scenario))))
            << c.scenario;
    }
    for (const auto& c : cases) {
        const std::string name = std::string("f") + c.scenario;
        ASSERT_TRUE(wait_for_status(name, "error_class")) << c.scenario;
        const auto s = status_of(name);
        EXPECT_EQ(string_at(s, "error_class"), c.error_class) << c.scenario;
        EXPECT_EQ(string_at(s, "status"), c.status) << c.scenario;
        EXPECT_FALSE(string_at(s, "last_error").empty()) << c.scenario;
        EXPECT_EQ(get_token({{"name", name}}).error, c.token_error) << c.scenario;
    }
    // Retry-After: 30 is honoured over the first backoff of about a second.
    const auto s429 = status_of("f429");
    EXPECT_GE(s429.at("next_refresh").as_int64() - now_unix_ms(), 25'000);
    EXPECT_TRUE(contains(string_at(status_of("fhuge"), "last_error"), "larger than"));
    EXPECT_TRUE(contains(string_at(status_of("fhang"), "last_error"), "timed out"));
}

TEST_F(FaultTest, BacksOffSoRequestsStayBoundedWhateverClientsDo) {
    ASSERT_TRUE(result_of(add_client_credentials("down", fault_url("500"))));
    // Six seconds of a client asking every 20 ms: attempts at about 0, 1, 3 s (then 7 s).
    const auto until = Clock::now() + 6s;
    int asked = 0;
    while (Clock::now() < until) {
        EXPECT_EQ(get_token({{"name", "down"}}).error, "refresh_failed");
        ++asked;
        std::this_thread::sleep_for(20ms); // pacing the client, not synchronisation
    }
    const int requests = fault_count("500");
    EXPECT_GE(asked, 100);
    EXPECT_GE(requests, 2);
    EXPECT_LE(requests, 4);
    EXPECT_GE(status_of("down").at("failures").as_int64(), 2);
}

TEST_F(FaultTest, RevokedRefreshTokenNeedsLoginAndIsNotRetried) {
    ASSERT_TRUE(result_of(add("revoked", "oauth2-refresh-token",
                              {{"token_url", fault_url("invalid_grant")}, {"client_id", "app"}},
                              {{"refresh_token", "rt-dead"}})));
    ASSERT_TRUE(wait_for_status("revoked", "error_class"));
    const auto r = cred({"token", "revoked"});
    EXPECT_EQ(r.exit_code(), 4) << r.describe();
    EXPECT_TRUE(contains(r.err, "cred add revoked --kind oauth2-refresh-token")) << r.err;
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(get_token({{"name", "revoked"}}).error, "needs_login");
    }
    EXPECT_EQ(fault_count("invalid_grant"), 1);
    EXPECT_EQ(string_at(status_of("revoked"), "status"), "needs_login");
}

TEST_F(FaultTest, AHangingEndpointStallsNobodyElse) {
    add_static({"plain", "https://example.com", "tok-plain"});
    ASSERT_TRUE(result_of(add_client_credentials("good", fault_url("ok"))));
    ASSERT_TRUE(get_token({{"name", "good"}}).token);
    ASSERT_TRUE(result_of(add_client_credentials("stuck", fault_url("hang"))));
    RpcClient waiting(m_daemon->socket_path());
    ASSERT_TRUE(
        waiting.send(R"({"jsonrpc":"2.0","id":1,"method":"token.get","params":{"name":"stuck"}})"
                     "\n"));
    ASSERT_TRUE(wait_until([&] { return fault_count("hang") >= 1; }, 5s));
    RpcClient other(m_daemon->socket_path());
    auto slowest = Clock::duration::zero();
    for (int i = 0; i < 20; ++i) {
        for (const auto& [method, params] :
             {std::pair<const char*, json::object>{"daemon.info", {}},
              {"token.get", {{"name", "plain"}}},
              {"token.get", {{"name", "good"}}}}) {
            const auto start = Clock::now();
            const auto response = other.call(method, params);
            slowest = std::max(slowest, Clock::now() - start);
            EXPECT_TRUE(result_of(response)) << method;
        }
    }
    EXPECT_LT(slowest, 50ms);
    EXPECT_EQ(waiting.read_line(0ms).status, ReadStatus::timeout) << "answered while hanging";
    // And the waiting client is answered once the request deadline (2 s) passes.
    const auto late = waiting.read_line(10s);
    ASSERT_EQ(late.status, ReadStatus::line);
    EXPECT_EQ(error_code_of(parse_json(late.line)), "refresh_failed");
}

TEST_F(FaultTest, FiveHundredConcurrentGetsCauseOneTokenRequest) {
    // `slow` answers after 1.5 s: the refresh that add starts is still in flight while
    // every client asks.
    ASSERT_TRUE(result_of(add_client_credentials("shared", fault_url("slow"))));
    std::vector<std::unique_ptr<RpcClient>> clients;
    clients.reserve(500);
    for (int i = 0; i < 500; ++i) {
        clients.push_back(std::make_unique<RpcClient>(m_daemon->socket_path()));
        ASSERT_TRUE(clients.back()->connected());
        ASSERT_TRUE(clients.back()->send(
            R"({"jsonrpc":"2.0","id":1,"method":"token.get","params":{"name":"shared"}})"
            "\n"));
    }
    int served = 0;
    for (auto& c : clients) {
        const auto line = c->read_line(10s);
        ASSERT_EQ(line.status, ReadStatus::line);
        const auto response = parse_json(line.line);
        const auto* result = result_of(response);
        ASSERT_TRUE(result);
        served += result->at("token").as_string() == "slow-1";
    }
    EXPECT_EQ(served, 500);
    EXPECT_EQ(fault_count("slow"), 1);
}

TEST_F(FaultTest, ASupersededRefreshCannotOverwriteANewerCredential) {
    ASSERT_TRUE(result_of(add_client_credentials("moving", fault_url("slow"))));
    ASSERT_TRUE(wait_until([&] { return fault_count("slow") >= 1; }, 5s));
    // Replaced while the slow refresh is in flight: that refresh's answer must be dropped.
    ASSERT_TRUE(result_of(add_client_credentials("moving", fault_url("ok"))));
    EXPECT_TRUE(get_token({{"name", "moving"}}).is("ok-1"));
    // The slow answer lands 1.5 s after it was asked for, and is dropped.
    ASSERT_TRUE(wait_until(
        [&] {
            return contains(m_daemon->log(), "credential moving: refresh "
                                             "result dropped");
        },
        10s));
    EXPECT_TRUE(get_token({{"name", "moving"}}).is("ok-1"));
    EXPECT_EQ(string_at(status_of("moving"), "status"), "fresh");
}

TEST_F(FaultTest, RotateRefreshesNowAndStatusSurvivesARestart) {
    ASSERT_TRUE(result_of(add_client_credentials("rot", fault_url("ok", 3600))));
    ASSERT_TRUE(get_token({{"name", "rot"}}).is("ok-1"));
    const auto r = cred({"rotate", "rot"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(contains(r.out, "rotated rot"));
    EXPECT_TRUE(get_token({{"name", "rot"}}).is("ok-2"));
    ASSERT_TRUE(result_of(add_client_credentials("broken", fault_url("503"))));
    ASSERT_TRUE(wait_for_status("broken", "error_class"));
    const auto before = status_of("broken");

    restart(daemon_options());
    // Served from the store without a refresh: it has most of an hour left.
    EXPECT_TRUE(get_token({{"name", "rot"}}).is("ok-2"));
    EXPECT_EQ(fault_count("ok"), 2);
    const auto after = status_of("broken");
    EXPECT_EQ(string_at(after, "error_class"), "transient");
    EXPECT_EQ(string_at(after, "last_error"), string_at(before, "last_error"));
    const auto table = cred({"status"});
    EXPECT_TRUE(contains(table.out, "NEXT_REFRESH"));
    EXPECT_TRUE(contains(table.out, "HTTP 503"));
}

TEST_F(FaultTest, ARejectedTokenIsRefreshedOnTheNextGet) {
    ASSERT_TRUE(result_of(add_client_credentials("rej", fault_url("ok", 3600))));
    ASSERT_TRUE(get_token({{"name", "rej"}}).is("ok-1"));
    auto wrong = rpc("token.reject", {{"name", "rej"}, {"token", "ok-999"}});
    EXPECT_FALSE(result_of(wrong)->at("rejected").as_bool());
    EXPECT_TRUE(get_token({{"name", "rej"}}).is("ok-1"));
    auto right = rpc("token.reject", {{"name", "rej"}, {"token", "ok-1"}});
    EXPECT_TRUE(result_of(right)->at("rejected").as_bool());
    EXPECT_TRUE(get_token({{"name", "rej"}}).is("ok-2"));
    EXPECT_EQ(fault_count("ok"), 2);
}

// git's erase after a 401 reaches the Refresher: the refused access token of a refreshed
// credential is dropped and the next get refreshes; an erase naming an older token, or
// none, keeps the current one. Nothing is removed either way.
TEST_F(FaultTest, AHelpersEraseOfARefreshedCredentialRefreshesOnTheNextGet) {
    const auto added = rpc(
        "credential.add", {{"name", "api"},
                           {"kind", "oauth2-client-credentials"},
                           {"url", "https://api.example.com"},
                           {"params", {{"token_url", fault_url("ok", 3600)}, {"client_id", "app"}}},
                           {"secret", {{"client_secret", "s3cret-client"}}}});
    ASSERT_TRUE(result_of(added)) << added;
    ASSERT_TRUE(get_token({{"url", "https://api.example.com/v1"}}).is("ok-1"));
    const auto erase = [&](json::object params) {
        params["source"] = "git";
        params["url"] = "https://api.example.com";
        const auto response = rpc("credential.erase", params);
        const auto* result = result_of(response);
        return result ? result->as_object() : json::object{};
    };
    auto stale = erase({{"secret", {{"token", "ok-999"}}}});
    EXPECT_EQ(stale["kept"], json::array({"api"}));
    auto none = erase({});
    EXPECT_EQ(none["kept"], json::array({"api"}));
    EXPECT_TRUE(get_token({{"name", "api"}}).is("ok-1"));
    auto refused = erase({{"secret", {{"token", "ok-1"}}}});
    EXPECT_EQ(refused["rejected"], json::array({"api"}));
    EXPECT_EQ(refused["removed"], json::array());
    EXPECT_TRUE(get_token({{"url", "https://api.example.com"}}).is("ok-2"));
    EXPECT_EQ(fault_count("ok"), 2);
}

TEST_F(FaultTest, MinValidTriggersARefreshOnlyWhenOneCanHelp) {
    ASSERT_TRUE(result_of(add_client_credentials("short", fault_url("ok", 60))));
    ASSERT_TRUE(get_token({{"name", "short"}}).is("ok-1"));
    const auto obtained = status_of("short").at("last_refresh").as_int64();
    ASSERT_TRUE(wait_until([&] { return now_unix_ms() - obtained > 1'500; }, 5s));
    // Under 59 s left, and tokens live 60 s: a refresh helps, so one is made.
    EXPECT_TRUE(get_token({{"name", "short"}, {"min_valid", 59}}).is("ok-2"));
    // More than tokens ever live: no refresh can help, and none is made.
    EXPECT_EQ(get_token({{"name", "short"}, {"min_valid", 3600}}).error, "insufficient_validity");
    EXPECT_EQ(fault_count("ok"), 2);
}

TEST_F(FaultTest, PlainHttpToANonLoopbackHostIsRefused) {
    ASSERT_TRUE(result_of(add_client_credentials("clear", "http://192.0.2.1/token")));
    ASSERT_TRUE(wait_for_status("clear", "error_class"));
    const auto s = status_of("clear");
    EXPECT_EQ(string_at(s, "error_class"), "fix_configuration");
    EXPECT_TRUE(contains(string_at(s, "last_error"), "--allow-insecure-http"));
}

} // namespace
} // namespace credd::test
