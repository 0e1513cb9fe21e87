// URL matching with several accounts on one host, and token rotation, through `cred`.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_test.hh"

namespace credd::test {
namespace {

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

class Matching : public DaemonTest {
protected:
    // `cred token --url URL [--username U]`: the token printed, or "" on failure.
    std::string token_for(const std::string& url, std::optional<std::string> username = {}) {
        std::vector<std::string> args{"token", "--url", url};
        if (username) {
            args.insert(args.end(), {"--username", *username});
        }
        const ProcessResult r = cred(args);
        m_last_exit = r.exit_code();
        std::string out = r.out;
        if (!out.empty() && out.back() == '\n') {
            out.pop_back();
        }
        return r.exit_code() == 0 ? out : std::string();
    }

    int m_last_exit = -1;
};

TEST_F(Matching, MostSpecificPathPrefixWins) {
    const std::string host = make_token("host");
    const std::string org = make_token("org");
    const std::string team = make_token("team");
    add_static({"gh-host", "https://github.com", host});
    add_static({"gh-org", "https://github.com/org", org});
    add_static({"gh-team", "https://github.com/org/team", team});

    EXPECT_TRUE(token_for("https://github.com/org/team/repo.git") == team) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com/org/team") == team) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com/org/other.git") == org) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com/org") == org) << m_last_exit;
    // Segment by segment: "/org" does not cover "/organisation".
    EXPECT_TRUE(token_for("https://github.com/organisation/x") == host) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com/org/teams") == org) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com/") == host) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com") == host) << m_last_exit;
}

TEST_F(Matching, UsernameSelectsTheAccount) {
    const std::string alice = make_token("alice");
    const std::string bob = make_token("bob");
    add_static({"gh-alice", "https://github.com", alice, "alice"});
    add_static({"gh-bob", "https://github.com", bob, "bob"});
    EXPECT_TRUE(token_for("https://github.com/x/y.git", "bob") == bob) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com/x/y.git", "alice") == alice) << m_last_exit;
    // A username in the URL counts as the requested one.
    EXPECT_TRUE(token_for("https://bob@github.com/x/y.git") == bob) << m_last_exit;
    // Nobody of that name: neither account answers for carol.
    EXPECT_TRUE(token_for("https://github.com/x", "carol").empty());
    EXPECT_EQ(m_last_exit, 3);
}

TEST_F(Matching, TieWithoutARequestedUsernameGoesByUsername) {
    const std::string alice = make_token("alice");
    add_static({"z-alice", "https://github.com", alice, "alice"});
    add_static({"a-bob", "https://github.com", make_token("bob"), "bob"});
    EXPECT_TRUE(token_for("https://github.com/x") == alice)
        << "ties break by username, then name: alice before bob";
}

TEST_F(Matching, NamedUsernameBeatsACredentialNamingNone) {
    const std::string generic = make_token("generic");
    const std::string alice = make_token("alice");
    add_static({"gh-any", "https://github.com", generic});
    add_static({"gh-alice", "https://github.com", alice, "alice"});
    EXPECT_TRUE(token_for("https://github.com/x", "alice") == alice) << m_last_exit;
    EXPECT_TRUE(token_for("https://github.com/x", "carol") == generic) << m_last_exit;
}

TEST_F(Matching, LongerPathBeatsUsername) {
    const std::string org = make_token("org");
    add_static({"gh-alice", "https://github.com", make_token("alice"), "alice"});
    add_static({"gh-org", "https://github.com/org", org});
    EXPECT_TRUE(token_for("https://github.com/org/repo", "alice") == org)
        << "longest path prefix comes before the username";
}

TEST_F(Matching, SchemeHostAndPortMustAgree) {
    const std::string token = make_token("origin");
    add_static({"origin", "https://git.example.com", token});
    EXPECT_TRUE(token_for("https://git.example.com:443/x") == token) << "default port not folded";
    EXPECT_TRUE(token_for("https://GIT.Example.COM/x") == token) << "host case not folded";
    EXPECT_TRUE(token_for("https://git.example.com/x?ref=main#top") == token)
        << "query and fragment must be ignored";
    for (const char* other :
         {"http://git.example.com/x", "https://git.example.com:8443/x", "https://example.com/x",
          "https://evil-git.example.com/x", "https://git.example.com.evil.net/x"}) {
        EXPECT_TRUE(token_for(other).empty()) << other << " matched";
        EXPECT_EQ(m_last_exit, 3) << other;
    }
}

TEST_F(Matching, RotationServesTheValidTokenThatExpiresLast) {
    const std::string old_token = make_token("old");
    const std::string new_token = make_token("new");
    const std::int64_t now = now_unix_ms();
    add_static({"sa-2024", "https://registry.example", old_token, "robot", now + 10 * day_ms});
    const std::string url = "https://registry.example/v2/x";
    EXPECT_TRUE(token_for(url) == old_token) << m_last_exit;

    // The new token is added: from this moment it is served, before the old is removed.
    add_static({"sa-2025", "https://registry.example", new_token, "robot", now + 90 * day_ms});
    EXPECT_TRUE(token_for(url) == new_token) << "the token expiring last must win";
    EXPECT_TRUE(token_for(url, "robot") == new_token);

    const ProcessResult removed = cred({"remove", "sa-2024"});
    EXPECT_EQ(removed.exit_code(), 0) << removed.describe();
    EXPECT_TRUE(token_for(url) == new_token) << "nothing served after removing the old token";
}

TEST_F(Matching, RotationOrderDoesNotDependOnWhichWasAddedFirst) {
    const std::string later = make_token("later");
    const std::int64_t now = now_unix_ms();
    add_static({"b-later", "https://registry.example", later, "robot", now + 90 * day_ms});
    add_static(
        {"a-sooner", "https://registry.example", make_token("sooner"), "robot", now + 10 * day_ms});
    EXPECT_TRUE(token_for("https://registry.example/v2") == later)
        << "expiring last wins over name order";
}

} // namespace
} // namespace credd::test
