// token.watch: notifications on refresh and change, bounded for clients that stop reading.
#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "refresh_fixture.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

class WatchTest : public RefreshFixture {};

// The params of the next token.changed notification on `c` that satisfies `want`, or
// an empty object if none came before the deadline.
template <class Want>
json::object next_event(RpcClient& c, Want want, std::chrono::milliseconds deadline = 10s) {
    const auto end = Clock::now() + deadline;
    while (Clock::now() < end) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
        const auto r = c.read_line(left);
        if (r.status != ReadStatus::line) {
            break;
        }
        const auto v = parse_json(r.line);
        if (!v.is_object() || string_at(v.as_object(), "method") != "token.changed") {
            continue;
        }
        const auto& params = v.as_object().at("params").as_object();
        if (want(params)) {
            return params;
        }
    }
    return {};
}

std::int64_t generation_of(const json::object& o) {
    const auto* g = o.if_contains("generation");
    return g && g->is_int64()
               ? g->as_int64()
               : (g && g->is_uint64() ? static_cast<std::int64_t>(g->as_uint64()) : -1);
}

TEST_F(WatchTest, AWatcherOfOneCredentialIsToldOfEachRefreshWithTheTokenOnlyWhenAsked) {
    ASSERT_TRUE(result_of(add_client_credentials("cc", fault_url("ok"))));
    ASSERT_TRUE(get_token({{"name", "cc"}}).token);
    ASSERT_TRUE(result_of(add_client_credentials("other", fault_url("ok"))));

    RpcClient with_token(m_daemon->socket_path());
    RpcClient without(m_daemon->socket_path());
    const auto w1 = with_token.call("token.watch", {{"name", "cc"}, {"with_token", true}});
    ASSERT_TRUE(result_of(w1)) << with_token.last_read().line;
    EXPECT_EQ(result_of(w1)->as_object().at("watching"), json::value("cc"));
    ASSERT_TRUE(result_of(without.call("token.watch", {{"name", "cc"}})));

    std::int64_t seen = generation_of(status_of("cc"));
    for (int round = 0; round < 2; ++round) {
        ASSERT_TRUE(result_of(rpc("credential.rotate", {{"name", "cc"}})));
        // Another credential's refresh is not this watcher's business.
        ASSERT_TRUE(result_of(rpc("credential.rotate", {{"name", "other"}})));
        const auto newer = [&](const json::object& p) {
            EXPECT_EQ(string_at(p, "name"), "cc");
            return string_at(p, "status") == "fresh" && generation_of(p) > seen;
        };
        const auto got = next_event(with_token, newer);
        ASSERT_FALSE(got.empty()) << "no notification after rotate " << round;
        EXPECT_TRUE(got.at("expires_at").is_number());
        ASSERT_TRUE(got.contains("token"));
        const auto answer = get_token({{"name", "cc"}});
        EXPECT_TRUE(answer.is(string_at(got, "token"))) << answer.describe();
        const auto plain = next_event(without, newer);
        ASSERT_FALSE(plain.empty());
        EXPECT_FALSE(plain.contains("token"));
        EXPECT_EQ(generation_of(plain), generation_of(got));
        seen = generation_of(got);
    }
    // Tokens go to the socket only, never the log.
    EXPECT_FALSE(contains(m_daemon->log(), "ok-2"));
}

TEST_F(WatchTest, AWatcherOfAllSeesAddsAndRemovesAndOthersSeeNothing) {
    RpcClient watcher(m_daemon->socket_path());
    RpcClient bystander(m_daemon->socket_path());
    ASSERT_TRUE(result_of(bystander.call("daemon.info")));
    const auto w = watcher.call("token.watch");
    ASSERT_TRUE(result_of(w));
    EXPECT_TRUE(result_of(w)->as_object().at("watching").is_null());

    add_static({"s1", "https://git.example.com/", make_token("watch")});
    const auto added = next_event(watcher, [](const json::object&) { return true; });
    EXPECT_EQ(string_at(added, "name"), "s1");
    EXPECT_EQ(string_at(added, "status"), "fresh");
    EXPECT_FALSE(added.contains("token"));
    ASSERT_TRUE(result_of(rpc("credential.remove", {{"name", "s1"}})));
    const auto removed = next_event(watcher, [](const json::object&) { return true; });
    EXPECT_EQ(string_at(removed, "name"), "s1");
    EXPECT_EQ(string_at(removed, "status"), "removed");
    EXPECT_TRUE(removed.at("generation").is_null());

    // Both events were dispatched before the watcher saw them: a notification for the
    // bystander would now come before its next answer.
    const auto info = bystander.call("daemon.info");
    EXPECT_TRUE(result_of(info)) << bystander.last_read().line;

    // After token.unwatch, nothing more.
    ASSERT_TRUE(result_of(watcher.call("token.unwatch")));
    add_static({"s2", "https://git2.example.com/", make_token("watch")});
    EXPECT_TRUE(result_of(watcher.call("daemon.info"))) << watcher.last_read().line;
}

TEST_F(WatchTest, UnknownOrWrongParamsAreRefused) {
    RpcClient c(m_daemon->socket_path());
    EXPECT_EQ(error_code_of(c.call("token.watch", {{"nme", "cc"}})), "invalid_params");
    EXPECT_EQ(error_code_of(c.call("token.watch", {{"with_token", "yes"}})), "invalid_params");
    EXPECT_EQ(error_code_of(c.call("token.watch", {{"name", 3}})), "invalid_params");
    EXPECT_EQ(error_code_of(c.call("token.watch", {{"name", "nope"}})), "not_found");
    EXPECT_EQ(error_code_of(c.call("token.unwatch", {{"name", "cc"}})), "invalid_params");
}

TEST_F(WatchTest, AWatcherThatNeverReadsIsDisconnectedWithoutStallingOthers) {
    // ~50 kB per notification: the socket buffer fills after a few, and the write in
    // flight then stalls. Queued events coalesce (one per credential), so only the stall
    // tells a client that does not read: it is closed once a write has waited 10 s.
    // Each update moves expires_at (a label change alone is not an event).
    const std::string big(50'000, 'b');
    add_static({"big", "https://big.example.com/", big});
    RpcClient sluggard(m_daemon->socket_path());
    ASSERT_TRUE(result_of(sluggard.call("token.watch", {{"name", "big"}, {"with_token", true}})));
    RpcClient writer(m_daemon->socket_path());
    const auto start = Clock::now();
    int updates = 0;
    for (; updates < 2000 && !sluggard.wait_hung_up(0ms) && Clock::now() - start < 20s; ++updates) {
        const auto t0 = Clock::now();
        const auto r = writer.call(
            "credential.update",
            {{"name", "big"}, {"expires_at", now_unix_ms() + 86'400'000 + updates * 1000}}, 5s);
        ASSERT_TRUE(result_of(r)) << writer.last_read().line;
        EXPECT_LT(Clock::now() - t0, 2s) << "another client stalled";
        std::this_thread::sleep_for(5ms); // a steady stream of changes, not a measurement
    }
    EXPECT_TRUE(sluggard.wait_hung_up(5s)) << "after " << updates << " updates";
    EXPECT_GE(Clock::now() - start, 9s) << "closed before its write had stalled 10 s";
    EXPECT_TRUE(
        wait_until([&] { return contains(m_daemon->log(), "not reading its notifications"); }, 5s));
    // The daemon still answers everyone else.
    EXPECT_TRUE(result_of(rpc("daemon.info")));
}

TEST_F(WatchTest, AWatcherOfAllKeepsItsConnectionThrough1000RefreshesWhileItsRequestWaits) {
    // Four credentials refreshed 250 times each, by pipelined rotations on their own
    // connections, while the watcher's own token.get waits 1.5 s for a slow endpoint.
    const std::vector<std::string> names{"r0", "r1", "r2", "r3"};
    for (const auto& n : names) {
        ASSERT_TRUE(result_of(add_client_credentials(n, fault_url("ok"))));
        ASSERT_TRUE(get_token({{"name", n}}).token);
    }
    RpcClient watcher(m_daemon->socket_path());
    ASSERT_TRUE(result_of(watcher.call("token.watch", {{"with_token", true}})));
    constexpr int rotations = 250;
    std::vector<RpcClient> rotators;
    for (const auto& n : names) {
        rotators.emplace_back(m_daemon->socket_path());
        std::string batch;
        for (int i = 0; i < rotations; ++i) {
            batch += R"({"jsonrpc":"2.0","id":)" + std::to_string(i + 1) +
                     R"(,"method":"credential.rotate","params":{"name":")" + n + R"("}})" + "\n";
        }
        ASSERT_TRUE(rotators.back().send(batch));
    }
    ASSERT_TRUE(result_of(add_client_credentials("slow", fault_url("slow"))));
    ASSERT_TRUE(
        watcher.send(R"({"jsonrpc":"2.0","id":42,"method":"token.get","params":{"name":"slow"}})"
                     "\n"));
    // Per credential, the "ok-N" numbers of the tokens notified, in order.
    std::map<std::string, std::vector<int>> tokens;
    const auto note = [&](const json::object& p) {
        const auto t = string_at(p, "token");
        if (t.starts_with("ok-")) {
            tokens[string_at(p, "name")].push_back(std::stoi(t.substr(3)));
        }
    };
    bool answered = false;
    const auto end = Clock::now() + 30s;
    while (!answered && Clock::now() < end) {
        const auto r = watcher.read_line(10s);
        ASSERT_EQ(r.status, ReadStatus::line) << "the watcher lost its connection";
        const auto v = parse_json(r.line);
        ASSERT_TRUE(v.is_object());
        const auto& o = v.as_object();
        if (o.contains("id")) {
            ASSERT_EQ(o.at("id").to_number<std::int64_t>(), 42);
            const auto* result = result_of(v);
            ASSERT_TRUE(result) << "token.get failed";
            EXPECT_EQ(result->as_object().at("token").as_string(), "slow-1");
            answered = true;
        } else {
            note(o.at("params").as_object());
        }
    }
    ASSERT_TRUE(answered);
    int done = 0;
    for (auto& r : rotators) {
        for (int i = 0; i < rotations; ++i) {
            const auto line = r.read_line(30s);
            ASSERT_EQ(line.status, ReadStatus::line) << "rotation " << i;
            done += result_of(parse_json(line.line)) != nullptr ? 1 : 0;
        }
    }
    EXPECT_EQ(done, 4 * rotations);
    // After the storm, each credential's last notification carries its current token;
    // on the way, a credential's tokens only ever move forward.
    for (const auto& n : names) {
        const auto current = get_token({{"name", n}});
        ASSERT_TRUE(current.token);
        const int newest = std::stoi(current.token->substr(3));
        while (tokens[n].empty() || tokens[n].back() != newest) {
            const auto p = next_event(
                watcher, [&](const json::object&) { return true; }, 5s);
            ASSERT_FALSE(p.empty()) << n << ": no notification with its current token";
            note(p);
        }
        EXPECT_TRUE(std::is_sorted(tokens[n].begin(), tokens[n].end())) << n;
    }
    EXPECT_FALSE(watcher.wait_hung_up(0ms));
}

TEST_F(WatchTest, NotificationsInterleaveWithPipelinedAnswersAsWholeLines) {
    ASSERT_TRUE(result_of(add_client_credentials("cc", fault_url("ok"))));
    RpcClient watcher(m_daemon->socket_path());
    ASSERT_TRUE(result_of(watcher.call("token.watch", {{"name", "cc"}, {"with_token", true}})));
    // Many answers in flight on the watcher's connection while refreshes commit.
    std::string batch;
    constexpr int requests = 200;
    for (int i = 0; i < requests; ++i) {
        batch += R"({"jsonrpc":"2.0","id":)" + std::to_string(1000 + i) +
                 R"(,"method":"token.get","params":{"name":"cc"}})" + "\n";
    }
    RpcClient rotator(m_daemon->socket_path());
    ASSERT_TRUE(watcher.send(batch));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(result_of(rotator.call("credential.rotate", {{"name", "cc"}})));
    }
    int answers = 0;
    int notifications = 0;
    const auto end = Clock::now() + 20s;
    while (answers < requests && Clock::now() < end) {
        const auto r = watcher.read_line(10s);
        ASSERT_EQ(r.status, ReadStatus::line) << "after " << answers << " answers";
        const auto v = parse_json(r.line);
        ASSERT_TRUE(v.is_object()) << "a line that is not JSON";
        const auto& o = v.as_object();
        if (o.contains("id")) {
            ASSERT_TRUE(o.contains("result")) << r.line;
            EXPECT_EQ(o.at("id").to_number<std::int64_t>(), 1000 + answers) << "answers in order";
            ++answers;
        } else {
            EXPECT_EQ(string_at(o, "method"), "token.changed");
            ++notifications;
        }
    }
    EXPECT_EQ(answers, requests);
    // Every rotation was told, before or between or after the answers.
    while (notifications < 3) {
        ASSERT_FALSE(next_event(watcher, [](const json::object&) { return true; }).empty())
            << "only " << notifications << " notifications";
        ++notifications;
    }
}

class WatchIdleTest : public RefreshFixture {
protected:
    DaemonOptions daemon_options() const override {
        return {{"--http-timeout", "2", "--idle-timeout", "1"}, {}, 4096};
    }
};

TEST_F(WatchIdleTest, TheIdleTimeoutDoesNotCloseAWatcher) {
    RpcClient watcher(m_daemon->socket_path());
    ASSERT_TRUE(result_of(watcher.call("token.watch")));
    RpcClient plain(m_daemon->socket_path());
    ASSERT_TRUE(result_of(plain.call("daemon.info")));
    // The plain connection, idle since after the watcher's, is closed…
    ASSERT_TRUE(plain.wait_closed(10s));
    // …the watcher still gets its notifications and answers.
    add_static({"late", "https://late.example.com/", make_token("watch")});
    const auto got = next_event(watcher, [](const json::object&) { return true; });
    EXPECT_EQ(string_at(got, "name"), "late");
    EXPECT_TRUE(result_of(watcher.call("daemon.info")));
}

} // namespace
} // namespace credd::test
