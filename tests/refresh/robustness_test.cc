// The refresh engine when things go wrong around it: a store that refuses a commit, a
// stampede of overdue refreshes, tokens that arrive (nearly) expired, slow answers, and
// credentials replaced or removed while a refresh of them is in flight.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "refresh_fixture.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

class RobustnessTest : public RefreshFixture {
protected:
    std::string last_refresh_token(const std::string& scenario) const {
        const auto last = fault_last(scenario);
        const auto* form = last.if_contains("form");
        return form && form->is_object() ? string_at(form->as_object(), "refresh_token") : "";
    }
};

// A refresh that succeeded at the provider (which rotated the refresh token) but could not
// be stored: the commit is retried until it lands, the old refresh token is never spent
// again, and the new access token is not served before it is on disk.
TEST_F(RobustnessTest, AFailedCommitIsRetriedNotTheRefresh) {
    const std::string fail_flag = m_temp.path() + "/fail-commits";
    std::ofstream(fail_flag) << "1";
    m_daemon->stop();
    auto options = daemon_options();
    options.env.push_back({"CREDD_TEST_FAIL_REFRESH_COMMIT_WHILE", fail_flag});
    restart(options);

    ASSERT_TRUE(result_of(add("durable", "oauth2-refresh-token",
                              {{"token_url", fault_url("rotate", 3600)}, {"client_id", "app"}},
                              {{"refresh_token", "rt-first"}})));
    ASSERT_TRUE(wait_until(
        [&] { return contains(string_at(status_of("durable"), "last_error"), "not stored"); },
        10s));
    EXPECT_EQ(get_token({{"name", "durable"}}).error, "refresh_failed");
    // Retried (the first retry comes about a second later) and failing again…
    ASSERT_TRUE(wait_until(
        [&] {
            return count_lines_with(m_daemon->log(),
                                    {"credential durable: refresh result not stored"}) >= 2;
        },
        10s));
    // …and still nobody has spent rt-first a second time, whatever clients asked.
    EXPECT_EQ(get_token({{"name", "durable"}}).error, "refresh_failed");
    EXPECT_EQ(fault_count("rotate"), 1);

    std::filesystem::remove(fail_flag);
    ASSERT_TRUE(wait_until([&] { return get_token({{"name", "durable"}}).is("rotate-1"); }, 15s));
    EXPECT_EQ(fault_count("rotate"), 1);
    const auto s = status_of("durable");
    EXPECT_EQ(string_at(s, "status"), "fresh");
    EXPECT_TRUE(s.at("last_error").is_null()) << s;
    // The next refresh spends the token the provider rotated to, and that survives a restart.
    EXPECT_EQ(cred({"rotate", "durable"}).exit_code(), 0);
    EXPECT_EQ(last_refresh_token("rotate"), "rt-1");
    EXPECT_EQ(fault_count("rotate"), 2);
    m_daemon->stop();
    restart(daemon_options());
    EXPECT_TRUE(get_token({{"name", "durable"}}).is("rotate-2"));
    EXPECT_EQ(cred({"rotate", "durable"}).exit_code(), 0);
    EXPECT_EQ(last_refresh_token("rotate"), "rt-2");
}

// Many credentials overdue at start-up are spread out and at most --max-refreshes ask at
// once (8 here, so 200 overdue credentials prove the cap); a client waiting for one of
// them goes first.
TEST_F(RobustnessTest, OverdueRefreshesAtStartUpAreCappedAndAWaitingClientGoesFirst) {
    constexpr int n = 200;
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(
            result_of(add_client_credentials("bulk-" + std::to_string(i), fault_url("paced", 8))));
    }
    ASSERT_TRUE(wait_until([&] { return fault_count("paced") >= n; }, 30s));
    const auto refreshed = now_unix_ms();
    m_daemon->stop();
    // 8 s tokens are refreshed 3.6 to 4.4 s after they arrive: wait until every one is
    // overdue (a wait for time itself to pass, not for an event).
    ASSERT_TRUE(wait_until([&] { return now_unix_ms() > refreshed + 4'600; }, 10s));
    const int before = fault_count("paced");
    fault_max_concurrency("paced"); // reset the peak to what is open now (none)

    auto capped = daemon_options();
    capped.args.insert(capped.args.end(), {"--max-refreshes", "8"});
    restart(capped);
    const auto asked = Clock::now();
    EXPECT_TRUE(get_token({{"name", "bulk-150"}}).token);
    EXPECT_LT(Clock::now() - asked, 1500ms);
    ASSERT_TRUE(wait_until([&] { return fault_count("paced") >= before + n; }, 30s));
    const int peak = fault_max_concurrency("paced");
    EXPECT_LE(peak, 8);
    EXPECT_GE(peak, 2);
}

// A token that arrives (nearly) expired cannot be served: that is a transient failure with
// backoff, so no client can turn it into refreshes back to back.
TEST_F(RobustnessTest, AGrantThatArrivesExpiredIsBackedOff) {
    ASSERT_TRUE(result_of(add_client_credentials("brief", fault_url("ok", 3))));
    const auto until = Clock::now() + 3s;
    int asked = 0;
    while (Clock::now() < until) {
        EXPECT_FALSE(get_token({{"name", "brief"}}).token);
        ++asked;
        std::this_thread::sleep_for(20ms); // pacing the client, not synchronisation
    }
    EXPECT_GE(asked, 50);
    // Attempts at about 0, 1 and 3 s.
    EXPECT_LE(fault_count("ok"), 4);
    const auto s = status_of("brief");
    EXPECT_EQ(string_at(s, "error_class"), "transient");
    EXPECT_TRUE(contains(string_at(s, "last_error"), "too soon to serve"))
        << string_at(s, "last_error");
}

// expires_in counts from when the request was sent: a slow answer (1.5 s here) does not
// push the expiry past what the provider meant.
TEST_F(RobustnessTest, ExpiryCountsFromTheRequestNotTheAnswer) {
    const auto before = now_unix_ms();
    ASSERT_TRUE(result_of(add_client_credentials("late", fault_url("slow", 60))));
    ASSERT_TRUE(get_token({{"name", "late"}}).is("slow-1"));
    const auto expires_at = status_of("late").at("expires_at").as_int64();
    EXPECT_GE(expires_at, before + 60'000);
    EXPECT_LT(expires_at, before + 60'000 + 1'000);

    const std::string cmd = m_temp.path() + "/slow-token.sh";
    std::ofstream(cmd)
        << "#!/bin/sh\nsleep 1.5\necho '{\"token\":\"exec-late\",\"expires_in\":60}'\n";
    ::chmod(cmd.c_str(), 0700);
    const auto exec_before = now_unix_ms();
    ASSERT_TRUE(result_of(add("exec-late", "exec", {{"argv", json::array{cmd}}}, {})));
    ASSERT_TRUE(wait_until(
        [&] {
            return get_token({{"name", "exec-late"}}).is("exec-late");
        },
        10s));
    const auto exec_expires = status_of("exec-late").at("expires_at").as_int64();
    EXPECT_GE(exec_expires, exec_before + 60'000);
    EXPECT_LT(exec_expires, exec_before + 60'000 + 1'000);
}

// Removed and added again under its name with a new refresh token while a refresh of the
// old one is in flight: the old refresh's answer is dropped (its rotated token is lost,
// and the log says so), the new refresh token is the one spent, and status is clean.
TEST_F(RobustnessTest, ANewRefreshTokenWinsOverARefreshOfTheOldOneInFlight) {
    const json::object params{{"token_url", fault_url("slow-rotate", 3600)}, {"client_id", "app"}};
    ASSERT_TRUE(
        result_of(add("moving", "oauth2-refresh-token", params, {{"refresh_token", "rt-old"}})));
    ASSERT_TRUE(wait_until([&] { return fault_count("slow-rotate") >= 1; }, 5s));
    ASSERT_TRUE(result_of(rpc("credential.remove", {{"name", "moving"}})));
    ASSERT_TRUE(
        result_of(add("moving", "oauth2-refresh-token", params, {{"refresh_token", "rt-new"}})));
    ASSERT_TRUE(wait_until(
        [&] {
            return count_lines_with(m_daemon->log(), {"credential moving: refresh result dropped",
                                                      "rotated to is discarded"}) == 1;
        },
        10s));
    EXPECT_FALSE(contains(m_daemon->log(), "rt-slow-1"));
    ASSERT_TRUE(wait_until([&] { return last_refresh_token("slow-rotate") == "rt-new"; }, 10s));
    EXPECT_TRUE(get_token({{"name", "moving"}}).is("slow-rotate-2"));
    const auto s = status_of("moving");
    EXPECT_EQ(string_at(s, "status"), "fresh");
    EXPECT_TRUE(s.at("last_error").is_null());
    EXPECT_EQ(cred({"rotate", "moving"}).exit_code(), 0);
    EXPECT_EQ(last_refresh_token("slow-rotate"), "rt-slow-2");
}

// Removed while its refresh is in flight: the answer is dropped when it lands, nobody
// waits forever, and the name can be used again at once.
TEST_F(RobustnessTest, RemovedDuringARefreshAndAddedAgainWorks) {
    ASSERT_TRUE(result_of(add_client_credentials("gone", fault_url("slow", 3600))));
    ASSERT_TRUE(wait_until([&] { return fault_count("slow") >= 1; }, 5s));
    ASSERT_TRUE(result_of(rpc("credential.remove", {{"name", "gone"}})));
    EXPECT_EQ(get_token({{"name", "gone"}}).error, "not_found");
    ASSERT_TRUE(wait_until(
        [&] { return contains(m_daemon->log(), "credential gone: refresh result dropped"); }, 10s));
    ASSERT_TRUE(result_of(add_client_credentials("gone", fault_url("ok", 3600))));
    EXPECT_TRUE(get_token({{"name", "gone"}}).is("ok-1"));
    const auto s = status_of("gone");
    EXPECT_EQ(string_at(s, "status"), "fresh");
    EXPECT_TRUE(s.at("last_error").is_null());
    EXPECT_EQ(s.at("failures").as_int64(), 0);
}

} // namespace
} // namespace credd::test
