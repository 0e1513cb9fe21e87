// Broker: matching rule, fail-closed expiry and the ordered, durable change queue,
// on a real LMDB store.
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker.hh"
#include "key_store.hh"
#include "lmdb_store.hh"
#include "sealer.hh"
#include "temp_dir.hh"
#include "worker.hh"

namespace credd {
namespace {

constexpr UnixMs day_ms = 86'400'000;

Secret test_key() {
    return Secret(std::string(data_key_bytes, 'k'));
}

struct AddSpec {
    std::string name;
    std::string url;
    std::string token;
    std::optional<UnixMs> expires_at;
    std::optional<std::string> username;
};

class BrokerTest : public ::testing::Test {
protected:
    void SetUp() override { open(); }

    void open() {
        broker.reset();
        worker.reset();
        store.reset();
        auto opened = LmdbStore::open(dir.file("data"), Sealer(test_key()));
        ASSERT_TRUE(opened.has_value());
        store = std::move(*opened);
        worker = std::make_unique<Worker>(io);
        broker = std::make_unique<Broker>(*store, *worker);
        ASSERT_TRUE(broker->load(now_ms()).has_value());
    }

    // Runs the I/O loop until every queued change has been committed and applied.
    void settle() {
        io.restart();
        io.run();
    }

    Result<AddOutcome> add(const AddSpec& spec) {
        NewCredential c;
        c.record.name = spec.name;
        c.record.match = parse_url(spec.url).value();
        c.record.match.username = spec.username;
        c.record.expires_at = spec.expires_at;
        c.secrets.token = Secret(spec.token);
        std::optional<Result<AddOutcome>> out;
        broker->add(std::move(c), [&](Result<AddOutcome> r) { out = std::move(r); });
        settle();
        return out.value();
    }

    // The name of the credential a query is answered with, or the error code.
    std::string answer(TokenQuery q) {
        auto r = broker->get_token(q, now_ms());
        return r ? r->record.name : "error:" + std::string(code_name(r.error().code));
    }

    static TokenQuery by_url(const std::string& url, std::optional<std::string> user = {}) {
        TokenQuery q;
        q.url = parse_url(url).value();
        q.username = std::move(user);
        return q;
    }

    static TokenQuery by_name(const std::string& name) {
        TokenQuery q;
        q.name = name;
        return q;
    }

    test::TempDir dir;
    boost::asio::io_context io;
    std::unique_ptr<Store> store;
    std::unique_ptr<Worker> worker;
    std::unique_ptr<Broker> broker;
};

TEST_F(BrokerTest, ServesTokenByName) {
    ASSERT_TRUE(add({"gh", "https://github.com", "t-gh", {}, {}}).has_value());
    auto r = broker->get_token(by_name("gh"), now_ms());
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->token == "t-gh");
}

TEST_F(BrokerTest, UnknownNameIsNotFound) {
    EXPECT_EQ(answer(by_name("nope")), "error:not_found");
}

TEST_F(BrokerTest, DeeperPathPrefixWins) {
    add({"host", "https://github.com", "a", {}, {}});
    add({"org", "https://github.com/org", "b", {}, {}});
    EXPECT_EQ(answer(by_url("https://github.com/org/repo.git")), "org");
    EXPECT_EQ(answer(by_url("https://github.com/other/repo.git")), "host");
}

TEST_F(BrokerTest, PathPrefixMatchesWholeSegments) {
    add({"org", "https://github.com/org", "b", {}, {}});
    EXPECT_EQ(answer(by_url("https://github.com/organisation/x")), "error:not_found");
}

TEST_F(BrokerTest, SchemeAndPortMustMatch) {
    add({"gh", "https://github.com", "a", {}, {}});
    EXPECT_EQ(answer(by_url("http://github.com/x")), "error:not_found");
    EXPECT_EQ(answer(by_url("https://github.com:8443/x")), "error:not_found");
    EXPECT_EQ(answer(by_url("https://GitHub.com:443/x")), "gh");
}

TEST_F(BrokerTest, UsernameSelectsAccount) {
    add({"alice", "https://github.com", "a", {}, "alice"});
    add({"bob", "https://github.com", "b", {}, "bob"});
    EXPECT_EQ(answer(by_url("https://github.com/x", "bob")), "bob");
    EXPECT_EQ(answer(by_url("https://bob@github.com/x")), "bob");
    // No username asked: the tie is broken by username, so the answer is stable.
    EXPECT_EQ(answer(by_url("https://github.com/x")), "alice");
    EXPECT_EQ(answer(by_url("https://github.com/x", "carol")), "error:not_found");
}

TEST_F(BrokerTest, CredentialNamingTheUserBeatsOneNamingNone) {
    add({"any", "https://github.com", "a", {}, {}});
    add({"bob", "https://github.com", "b", {}, "bob"});
    EXPECT_EQ(answer(by_url("https://github.com/x", "bob")), "bob");
    EXPECT_EQ(answer(by_url("https://github.com/x", "dave")), "any");
}

TEST_F(BrokerTest, RotationServesTheValidTokenExpiringLast) {
    const UnixMs now = now_ms();
    add({"sa-old", "https://registry.example", "old", now + day_ms, "robot"});
    add({"sa-new", "https://registry.example", "new", now + 30 * day_ms, "robot"});
    EXPECT_EQ(answer(by_url("https://registry.example/v2/")), "sa-new");
    std::optional<Result<void>> removed;
    broker->remove("sa-old", [&](Result<void> r) { removed = r; });
    settle();
    ASSERT_TRUE(removed && removed->has_value());
    EXPECT_EQ(answer(by_url("https://registry.example/v2/")), "sa-new");
}

TEST_F(BrokerTest, AValidTokenBeatsAnExpiredOneOnTheSameMatch) {
    const UnixMs now = now_ms();
    add({"a-expired", "https://registry.example", "old", now - day_ms, "robot"});
    add({"b-valid", "https://registry.example", "new", now + day_ms, "robot"});
    EXPECT_EQ(answer(by_url("https://registry.example/")), "b-valid");
}

TEST_F(BrokerTest, ExpiredTokenIsNeverServed) {
    add({"old", "https://example.com", "t", now_ms() - 1000, {}});
    EXPECT_EQ(answer(by_name("old")), "error:expired");
    EXPECT_EQ(answer(by_url("https://example.com/")), "error:expired");
}

TEST_F(BrokerTest, TokenWithinTheSkewCountsAsExpired) {
    add({"edge", "https://example.com", "t", now_ms() + expiry_skew_ms / 2, {}});
    EXPECT_EQ(answer(by_name("edge")), "error:expired");
}

TEST_F(BrokerTest, MinValidRefusesATokenThatEndsTooSoon) {
    add({"hour", "https://example.com", "t", now_ms() + 3'600'000, {}});
    auto q = by_name("hour");
    q.min_valid_ms = 2 * 3'600'000;
    EXPECT_EQ(answer(q), "error:insufficient_validity");
    q.min_valid_ms = 1'800'000;
    EXPECT_EQ(answer(q), "hour");
}

TEST_F(BrokerTest, StatusFollowsExpiry) {
    const UnixMs now = now_ms();
    add({"fresh", "https://a.example", "t", now + 30 * day_ms, {}});
    add({"expiring", "https://b.example", "t", now + 2 * day_ms, {}});
    add({"expired", "https://c.example", "t", now - 1, {}});
    add({"forever", "https://d.example", "t", {}, {}});
    EXPECT_EQ(broker->status("fresh", now_ms())->status, Status::fresh);
    EXPECT_EQ(broker->status("expiring", now_ms())->status, Status::expiring);
    EXPECT_EQ(broker->status("expired", now_ms())->status, Status::expired);
    EXPECT_EQ(broker->status("forever", now_ms())->status, Status::fresh);
}

TEST_F(BrokerTest, ReplacingBumpsGenerationAndKeepsCreation) {
    auto first = add({"gh", "https://github.com", "one", {}, {}});
    ASSERT_TRUE(first.has_value());
    EXPECT_TRUE(first->created);
    const UnixMs created = broker->status("gh", now_ms())->record.created_at;
    auto second = add({"gh", "https://gitlab.com", "two", {}, {}});
    ASSERT_TRUE(second.has_value());
    EXPECT_FALSE(second->created);
    EXPECT_EQ(second->generation, first->generation + 1);
    EXPECT_EQ(broker->status("gh", now_ms())->record.created_at, created);
    // The old match is gone from the URL index, the new one answers.
    EXPECT_EQ(answer(by_url("https://github.com/")), "error:not_found");
    EXPECT_EQ(answer(by_url("https://gitlab.com/")), "gh");
}

// A refresh started for a credential that was then removed and added again under its
// name must not pass the generation check: generations never repeat, even across a
// removal or a restart.
TEST_F(BrokerTest, AGenerationIsNeverReusedAfterARemovalOrARestart) {
    auto first = add({"gh", "https://github.com", "one", {}, {}});
    ASSERT_TRUE(first.has_value());
    std::optional<Result<void>> removed;
    broker->remove("gh", [&](Result<void> r) { removed = r; });
    settle();
    ASSERT_TRUE(removed && *removed);
    auto again = add({"gh", "https://github.com", "two", {}, {}});
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(again->created);
    EXPECT_GT(again->generation, first->generation);
    open(); // a restart: the highest stored generation is where counting goes on
    auto other = add({"other", "https://gitlab.com", "three", {}, {}});
    ASSERT_TRUE(other.has_value());
    EXPECT_GT(other->generation, again->generation);
}

TEST_F(BrokerTest, UpdateChangesExpiryAndKeepsTheToken) {
    add({"gh", "https://github.com", "keep", now_ms() - 1000, {}});
    CredentialChange change;
    change.name = "gh";
    change.expires_at = std::optional<UnixMs>{};
    std::optional<Result<std::uint64_t>> out;
    broker->update(change, [&](Result<std::uint64_t> r) { out = r; });
    settle();
    ASSERT_TRUE(out && out->has_value());
    auto r = broker->get_token(by_name("gh"), now_ms());
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->token == "keep");
}

TEST_F(BrokerTest, UpdateAndRemoveOfUnknownAreNotFound) {
    CredentialChange change;
    change.name = "nope";
    std::optional<Result<std::uint64_t>> updated;
    std::optional<Result<void>> removed;
    broker->update(change, [&](Result<std::uint64_t> r) { updated = r; });
    broker->remove("nope", [&](Result<void> r) { removed = r; });
    settle();
    ASSERT_TRUE(updated && removed);
    EXPECT_EQ(updated->error().code, Errc::not_found);
    EXPECT_EQ(removed->error().code, Errc::not_found);
}

TEST_F(BrokerTest, ChangesApplyInTheOrderTheyWereMade) {
    std::vector<std::string> order;
    NewCredential c;
    c.record.name = "gh";
    c.record.match = parse_url("https://github.com").value();
    c.secrets.token = Secret("t");
    broker->add(std::move(c),
                [&](Result<AddOutcome> r) { order.push_back(r ? "add" : "add-failed"); });
    CredentialChange change;
    change.name = "gh";
    change.labels = std::map<std::string, std::string>{{"team", "infra"}};
    broker->update(
        change, [&](Result<std::uint64_t> r) { order.push_back(r ? "update" : "update-failed"); });
    broker->remove("gh", [&](Result<void> r) { order.push_back(r ? "remove" : "remove-failed"); });
    settle();
    EXPECT_EQ(order, (std::vector<std::string>{"add", "update", "remove"}));
    EXPECT_EQ(answer(by_name("gh")), "error:not_found");
}

TEST_F(BrokerTest, ReloadRestoresEverything) {
    add({"gh", "https://github.com/org", "t-gh", now_ms() + day_ms, "alice"});
    open();
    EXPECT_EQ(broker->size(), 1u);
    EXPECT_EQ(answer(by_url("https://github.com/org/x", "alice")), "gh");
    auto r = broker->get_token(by_name("gh"), now_ms());
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->token == "t-gh");
}

TEST_F(BrokerTest, ReportsEachAppliedChangeSoExpiryCanBeReplanned) {
    int changes = 0;
    broker = std::make_unique<Broker>(*store, *worker, [&] { ++changes; });
    add({"gh", "https://github.com", "t", now_ms() + day_ms, {}});
    EXPECT_EQ(changes, 1);
    CredentialChange change;
    change.name = "gh";
    change.expires_at = std::optional<UnixMs>{now_ms() + 2 * day_ms};
    broker->update(change, [](Result<std::uint64_t>) {});
    settle();
    EXPECT_EQ(changes, 2);
    // A refused change changes nothing and is not reported.
    change.name = "nope";
    broker->update(change, [](Result<std::uint64_t>) {});
    settle();
    EXPECT_EQ(changes, 2);
}

TEST_F(BrokerTest, CheckExpiryReportsTheNextTransition) {
    const UnixMs now = now_ms();
    add({"soon", "https://a.example", "t", now + 10 * day_ms, {}});
    const auto next = broker->check_expiry(now);
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(*next, now + 10 * day_ms - expiring_window_ms);
}

} // namespace
} // namespace credd
