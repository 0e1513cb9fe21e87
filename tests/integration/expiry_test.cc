// Fail-closed expiry: expired tokens are never served, `expiring` within 7 days, and
// min_valid, through `cred` and the socket.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_test.hh"
#include "rpc_client.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
constexpr int exit_expired = 4;
// Upper bound of the daemon's fail-closed skew (DESIGN.md: "a small skew").
constexpr std::int64_t expiry_skew_ms = 5000;

std::string status_of(const json::value& response, std::string_view name) {
    const json::value* result = result_of(response);
    const auto* list =
        result && result->is_object() ? result->get_object().if_contains("credentials") : nullptr;
    for (std::size_t i = 0; list && list->is_array() && i < list->get_array().size(); ++i) {
        const auto& c = list->get_array()[i].get_object();
        if (c.at("name").get_string() == name) {
            const auto* s = c.if_contains("status");
            return s && s->is_string() ? std::string(s->get_string()) : "(no status)";
        }
    }
    return "(not listed)";
}

class Expiry : public DaemonTest {
protected:
    // Adds a credential that is served for a moment, then waits until the daemon refuses
    // it. credd stops serving a token a few seconds before its expiry (a skew for the
    // time it takes to reach the server that checks it), so the expiry is set past that.
    void add_and_let_expire(const StaticCredential& c) {
        StaticCredential soon = c;
        soon.expires_at = now_unix_ms() + expiry_skew_ms + 2000;
        add_static(soon);
        const TokenAnswer before = get_token({{"name", c.name}});
        EXPECT_TRUE(before.is(c.token)) << "not served before expiry: " << before.describe();
        const bool expired = wait_until(
            [&] {
                return get_token({{"name", c.name}}).error == "expired";
            },
            15s, 100ms);
        ASSERT_TRUE(expired) << c.name << " still served well after its expiry";
    }
};

TEST_F(Expiry, ExpiredStaticTokenIsRefusedWithExitCode4AndAHint) {
    add_and_let_expire({"github-work", "https://github.com", make_token("exp"), "alice"});
    const ProcessResult r = cred({"token", "github-work"});
    EXPECT_EQ(r.exit_code(), exit_expired) << r.describe();
    EXPECT_TRUE(r.out.empty()) << "an expired token reached stdout";
    const std::string first = r.err.substr(0, r.err.find('\n'));
    EXPECT_EQ(first.rfind("cred: ", 0), 0u) << r.err;
    EXPECT_TRUE(contains(first, "github-work") && contains(first, "expired at")) << r.err;
    EXPECT_TRUE(contains(r.err, "\nhint: ")) << "no hint line: " << r.err;

    const ProcessResult by_url = cred({"token", "--url", "https://github.com/org/repo.git"});
    EXPECT_EQ(by_url.exit_code(), exit_expired) << by_url.describe();
    EXPECT_TRUE(by_url.out.empty());
}

TEST_F(Expiry, ExpiredAnswerOverTheSocketCarriesAHint) {
    add_and_let_expire({"exp-rpc", "https://exp.example", make_token("exp")});
    const json::value response = rpc("token.get", {{"name", "exp-rpc"}});
    EXPECT_EQ(jsonrpc_code_of(response), -32011);
    const auto* data = response.at("error").as_object().if_contains("data");
    const auto* hint = data ? data->as_object().if_contains("hint") : nullptr;
    EXPECT_TRUE(hint && hint->is_string() && !hint->get_string().empty())
        << "expired carries no hint naming the command to replace it";
    EXPECT_EQ(status_of(rpc("credential.status", {{"name", "exp-rpc"}}), "exp-rpc"), "expired");
    EXPECT_EQ(status_of(rpc("credential.list"), "exp-rpc"), "expired");
}

TEST_F(Expiry, ExpiredWinnerIsNotReplacedByAnotherAccount) {
    // credd-protocol(7): if the winner is expired the answer is expired; no silent
    // fallback to a different account.
    add_static({"generic", "https://git.example", make_token("generic")});
    add_and_let_expire({"alice", "https://git.example", make_token("alice"), "alice"});
    const TokenAnswer answer = get_token({{"url", "https://git.example/x"}, {"username", "alice"}});
    EXPECT_EQ(answer.error, "expired") << answer.describe();
}

TEST_F(Expiry, ValidTokenBeatsAnExpiredOneOnTheSameMatch) {
    const std::string fresh = make_token("fresh");
    add_and_let_expire({"a-old", "https://reg.example", make_token("old"), "robot"});
    add_static({"b-new", "https://reg.example", fresh, "robot", now_unix_ms() + 30 * day_ms});
    const TokenAnswer answer = get_token({{"url", "https://reg.example/v2"}});
    EXPECT_TRUE(answer.is(fresh)) << answer.describe();
}

TEST_F(Expiry, WithinSevenDaysIsExpiringAndLoggedOnce) {
    add_static({"soon-7d", "https://soon.example", make_token("soon-7d"), std::nullopt,
                now_unix_ms() + 3 * day_ms});
    add_static({"later-30d", "https://later.example", make_token("later-30d"), std::nullopt,
                now_unix_ms() + 30 * day_ms});
    add_static({"never", "https://never.example", make_token("never")});
    const json::value status = rpc("credential.status");
    EXPECT_EQ(status_of(status, "soon-7d"), "expiring");
    EXPECT_EQ(status_of(status, "later-30d"), "fresh");
    EXPECT_EQ(status_of(status, "never"), "fresh");
    // An expiring token is still served.
    EXPECT_TRUE(get_token({{"name", "soon-7d"}}).token.has_value());

    const ProcessResult table = cred({"status"});
    EXPECT_EQ(count_lines_with(table.out, {"soon-7d", "expiring"}), 1u) << table.out;

    for (int i = 0; i < 3; ++i) {
        get_token({{"name", "soon-7d"}});
    }
    EXPECT_TRUE(wait_until(
        [&] {
            return count_lines_with(m_daemon->log(), {"soon-7d", "warn"}) > 0;
        },
        5s))
        << "no warning logged for a token expiring within 7 days; log:\n"
        << tail_of(m_daemon->log());
    EXPECT_EQ(count_lines_with(m_daemon->log(), {"soon-7d", "warn"}), 1u)
        << "one warning per expiring token, not one per request";
    EXPECT_EQ(count_lines_with(m_daemon->log(), {"later-30d", "warn"}), 0u);
}

TEST_F(Expiry, MinValidRefusesATokenWithTooLittleTimeLeft) {
    const std::string token = make_token("minvalid");
    add_static({"hour", "https://hour.example", token, std::nullopt, now_unix_ms() + 3600 * 1000});
    EXPECT_TRUE(get_token({{"name", "hour"}, {"min_valid", 60}}).is(token));
    EXPECT_EQ(get_token({{"name", "hour"}, {"min_valid", 7200}}).error, "insufficient_validity");

    ProcessResult r = cred({"token", "hour", "--min-valid", "60"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    r = cred({"token", "hour", "--min-valid", "7200"});
    EXPECT_NE(r.exit_code(), 0) << "served with less validity than asked for";
    EXPECT_TRUE(r.out.empty());
}

TEST_F(Expiry, TokenWithoutExpiryMeetsAnyMinValid) {
    const std::string token = make_token("forever");
    add_static({"forever", "https://forever.example", token});
    EXPECT_TRUE(get_token({{"name", "forever"}, {"min_valid", 86400 * 365}}).is(token));
}

TEST_F(Expiry, ExpiredStaysRefusedAfterARestart) {
    add_and_let_expire({"exp-restart", "https://exp.example", make_token("exp")});
    m_daemon->stop();
    restart();
    EXPECT_EQ(get_token({{"name", "exp-restart"}}).error, "expired");
}

} // namespace
} // namespace credd::test
