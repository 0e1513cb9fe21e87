// What credential helpers change: derived names, store (ignored for refreshed kinds, a
// no-op for what credd already serves) and erase (only the token it was given).
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "broker.hh"
#include "credential_name.hh"
#include "helper_credential_name.hh"
#include "key_store.hh"
#include "lmdb_store.hh"
#include "sealer.hh"
#include "temp_dir.hh"
#include "worker.hh"

namespace credd {
namespace {

Url url_of(const std::string& text, std::optional<std::string> user = {}) {
    Url u = parse_url(text).value();
    u.username = std::move(user);
    return u;
}

TEST(HelperCredentialName, IsValidDeterministicAndDistinct) {
    const auto a = helper_credential_name("git", url_of("https://example.com", "alice"));
    EXPECT_TRUE(is_valid_name(a)) << a;
    EXPECT_TRUE(a.starts_with("git-alice@example.com-")) << a;
    EXPECT_EQ(a, helper_credential_name("git", url_of("https://example.com:443", "alice")));
    EXPECT_NE(a, helper_credential_name("git", url_of("http://example.com", "alice")));
    EXPECT_NE(a, helper_credential_name("git", url_of("https://example.com/x.git", "alice")));
    EXPECT_NE(a, helper_credential_name("git", url_of("https://example.com", "bob")));
    EXPECT_NE(a, helper_credential_name("git", url_of("https://example.com")));
}

TEST(HelperCredentialName, DockerNamesOneLoginPerServer) {
    const auto a = helper_credential_name("docker", url_of("https://ghcr.io", "alice"));
    EXPECT_EQ(a, helper_credential_name("docker", url_of("https://ghcr.io", "bob")));
    EXPECT_TRUE(a.starts_with("docker-ghcr.io-")) << a;
}

TEST(HelperCredentialName, OddHostsAndUsersStayValid) {
    for (const auto& name :
         {helper_credential_name("git", url_of("https://[::1]:8080", "a b/c")),
          helper_credential_name(
              "docker", url_of("https://" + std::string(250, 'h') + ".io", std::string(300, 'u'))),
          helper_credential_name("docker", url_of("https://ghcr.io", "<token>"))}) {
        EXPECT_TRUE(is_valid_name(name)) << name;
    }
}

class HelperStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened =
            LmdbStore::open(dir.file("data"), Sealer(Secret(std::string(data_key_bytes, 'k'))));
        ASSERT_TRUE(opened.has_value());
        store = std::move(*opened);
        worker = std::make_unique<Worker>(io);
        broker = std::make_unique<Broker>(*store, *worker);
        ASSERT_TRUE(broker->load(now_ms()).has_value());
    }
    void settle() {
        io.restart();
        io.run();
    }
    void add(const std::string& name, const Url& match, const std::string& token,
             std::string kind = "static", std::optional<UnixMs> expires_at = std::nullopt) {
        NewCredential c;
        c.record.name = name;
        c.record.kind = std::move(kind);
        c.record.match = match;
        c.record.expires_at = expires_at;
        c.secrets.token = Secret(token);
        broker->add(std::move(c), [](Result<AddOutcome> r) { ASSERT_TRUE(r.has_value()); });
        settle();
    }
    Result<StoreOutcome> store_token(const Url& match, const std::string& token,
                                     std::optional<UnixMs> expires_at = std::nullopt) {
        HelperStore s{"git", match, expires_at, {}, {}};
        s.secrets.token = Secret(token);
        std::optional<Result<StoreOutcome>> out;
        broker->store(std::move(s), [&](Result<StoreOutcome> r) { out = std::move(r); });
        settle();
        return out.value();
    }
    EraseOutcome erase(const Url& match, std::optional<std::string> token,
                       std::optional<std::string> source = std::nullopt) {
        HelperErase e{match, std::nullopt, std::move(source)};
        if (token) {
            e.token = Secret(*token);
        }
        std::optional<Result<EraseOutcome>> out;
        broker->erase(std::move(e), [&](Result<EraseOutcome> r) { out = std::move(r); });
        settle();
        return out.value().value();
    }
    std::string token_of(const std::string& name) {
        TokenQuery q;
        q.name = name;
        auto t = broker->get_token(q, now_ms());
        return t ? std::string(t->token) : "error";
    }

    test::TempDir dir;
    boost::asio::io_context io;
    std::unique_ptr<LmdbStore> store;
    std::unique_ptr<Worker> worker;
    std::unique_ptr<Broker> broker;
};

TEST_F(HelperStoreTest, CreatesThenReplacesUnderTheDerivedName) {
    const Url u = url_of("https://example.com", "alice");
    const auto first = store_token(u, "one");
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->action, StoreAction::created);
    EXPECT_EQ(first->name, helper_credential_name("git", u));
    const auto second = store_token(u, "two");
    EXPECT_EQ(second->action, StoreAction::replaced);
    EXPECT_EQ(second->name, first->name);
    EXPECT_EQ(token_of(first->name), "two");
    EXPECT_EQ(broker->size(), 1u);
}

TEST_F(HelperStoreTest, StoringTheServedTokenIsANoOp) {
    add("mine", url_of("https://example.com"), "tok");
    const auto r = store_token(url_of("https://example.com/org/repo.git", "alice"), "tok");
    EXPECT_EQ(r->action, StoreAction::unchanged);
    EXPECT_EQ(r->name, "mine");
    EXPECT_EQ(broker->size(), 1u);
}

TEST_F(HelperStoreTest, CredentialsCreddRefreshesAreNotOverwritten) {
    add("oauth", url_of("https://example.com", "alice"), "access", "oauth2-refresh-token");
    const auto r = store_token(url_of("https://example.com", "alice"), "from-git");
    EXPECT_EQ(r->action, StoreAction::ignored);
    EXPECT_EQ(r->name, "oauth");
    EXPECT_EQ(token_of("oauth"), "access");
    EXPECT_EQ(broker->size(), 1u);
}

TEST_F(HelperStoreTest, EraseRemovesOnlyTheRejectedToken) {
    add("a", url_of("https://example.com", "alice"), "tok-a");
    add("b", url_of("https://example.com", "bob"), "tok-b");
    auto kept = erase(url_of("https://example.com"), "stale");
    EXPECT_TRUE(kept.removed.empty());
    EXPECT_EQ(kept.kept.size(), 2u);
    auto removed = erase(url_of("https://example.com"), "tok-b");
    EXPECT_EQ(removed.removed, std::vector<std::string>{"b"});
    EXPECT_EQ(token_of("a"), "tok-a");
    EXPECT_EQ(token_of("b"), "error");
}

TEST_F(HelperStoreTest, EraseWithoutTokenRemovesEveryStaticMatch) {
    add("a", url_of("https://example.com", "alice"), "tok-a");
    add("b", url_of("https://example.com", "bob"), "tok-b");
    add("other", url_of("https://other.example"), "tok-o");
    EXPECT_EQ(erase(url_of("https://example.com", "alice"), std::nullopt).removed,
              std::vector<std::string>{"a"});
    EXPECT_EQ(erase(url_of("https://example.com"), std::nullopt).removed,
              std::vector<std::string>{"b"});
    EXPECT_EQ(token_of("other"), "tok-o");
}

TEST_F(HelperStoreTest, EraseWithoutTokenFromAHelperRemovesOnlyWhatItStored) {
    add("mine", url_of("https://example.com"), "tok-mine");
    const auto stored = store_token(url_of("https://example.com", "alice"), "tok-git");
    ASSERT_TRUE(stored.has_value());
    const auto r = erase(url_of("https://example.com"), std::nullopt, "git");
    EXPECT_EQ(r.removed, std::vector<std::string>{stored->name});
    EXPECT_EQ(r.kept, std::vector<std::string>{"mine"});
    EXPECT_EQ(token_of("mine"), "tok-mine");
    EXPECT_TRUE(erase(url_of("https://example.com"), std::nullopt, "docker").removed.empty());
}

TEST_F(HelperStoreTest, StoreBackOfAnExpiryWithMillisecondsIsUnchanged) {
    const UnixMs expires = now_ms() + 3'600'123;
    add("mine", url_of("https://example.com"), "tok", "static", expires);
    // git carries the expiry in whole seconds: what it stores back lost the milliseconds.
    const auto r =
        store_token(url_of("https://example.com", "alice"), "tok", expires / 1000 * 1000);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->action, StoreAction::unchanged);
    EXPECT_EQ(broker->size(), 1u);
}

TEST_F(HelperStoreTest, StoreBackOfTheServedTokenWithANewExpiryNeverMakesACopy) {
    add("mine", url_of("https://example.com"), "tok", "static", now_ms() + 3'600'000);
    const auto r = store_token(url_of("https://example.com", "alice"), "tok", now_ms() + 7'200'000);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->action, StoreAction::replaced);
    EXPECT_EQ(r->name, "mine");
    EXPECT_EQ(broker->size(), 1u);
}

TEST_F(HelperStoreTest, RefreshedKindIsKeptUntilTheRefresherIsWired) {
    add("oauth", url_of("https://example.com"), "access", "oauth2-refresh-token");
    const auto r = erase(url_of("https://example.com"), "access");
    EXPECT_TRUE(r.removed.empty());
    EXPECT_EQ(r.kept, std::vector<std::string>{"oauth"});
    EXPECT_EQ(token_of("oauth"), "access");
}

} // namespace
} // namespace credd
