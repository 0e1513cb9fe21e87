// git-credential-credd through real git (`git credential fill|approve|reject`): the
// behaviours of git's t/lib-credential.sh helper tests, plus credd's own promises
// (a stale erase keeps a newer token, a refresh of what credd served costs no write).
// git here is 2.39, which neither forwards password_expiry_utc and oauth_refresh_token
// to helpers nor reads them back: those are driven with the exact bytes git ≥ 2.41 sends.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "frontend_test.hh"
#include "rpc_client.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

std::string lines(std::initializer_list<std::string_view> items) {
    std::string out;
    for (auto item : items) {
        out.append(item);
        out += '\n';
    }
    return out;
}

class GitHelper : public FrontendTest {
protected:
    // `git credential fill`, asserting that git itself succeeded.
    GitCredentialOutput fill(std::string input, std::vector<std::string> config = {}) {
        const ProcessResult r = git_credential("fill", std::move(input), std::move(config));
        EXPECT_EQ(r.exit_code(), 0) << r.describe();
        return parse_git_output(r.out);
    }
    void approve(std::string input, std::vector<std::string> config = {}) {
        const ProcessResult r = git_credential("approve", std::move(input), std::move(config));
        EXPECT_EQ(r.exit_code(), 0) << r.describe();
    }
    void reject(std::string input, std::vector<std::string> config = {}) {
        const ProcessResult r = git_credential("reject", std::move(input), std::move(config));
        EXPECT_EQ(r.exit_code(), 0) << r.describe();
    }
    // Whether git had to ask (the askpass stub answered) rather than credd.
    void expect_prompted(const GitCredentialOutput& out, std::string_view username = "askuser") {
        EXPECT_EQ(out.value("username"), username);
        EXPECT_EQ(out.value("password"), "askpass");
        EXPECT_NE(askpass_prompts(), "") << "git did not prompt";
    }
    void expect_answer(const GitCredentialOutput& out, std::string_view username,
                       std::string_view password) {
        EXPECT_EQ(out.value("username"), username);
        EXPECT_TRUE(out.value("password") == password) << "wrong password (not shown)";
        EXPECT_EQ(askpass_prompts(), "") << "git prompted although credd had the credential";
    }
    std::size_t credential_count() {
        const json::value response = rpc("credential.list");
        const json::value* r = result_of(response);
        return r ? r->at("credentials").as_array().size() : 0;
    }
    json::object only_credential() {
        const json::value response = rpc("credential.list");
        const json::value* r = result_of(response);
        EXPECT_TRUE(r && r->at("credentials").as_array().size() == 1);
        return r ? r->at("credentials").as_array().at(0).as_object() : json::object{};
    }
};

TEST_F(GitHelper, NothingStoredMeansGitPrompts) {
    expect_prompted(fill(lines({"protocol=https", "host=example.com"})));
}

TEST_F(GitHelper, StoresAndRetrieves) {
    approve(lines(
        {"protocol=https", "host=example.com", "username=store-user", "password=store-pass"}));
    expect_answer(fill(lines({"protocol=https", "host=example.com"})), "store-user", "store-pass");
    // Stored as a static credential under the derived, documented name.
    const auto c = only_credential();
    EXPECT_EQ(c.at("kind").as_string(), "static");
    EXPECT_EQ(c.at("url").as_string(), "https://example.com");
    EXPECT_EQ(c.at("labels").at("source").as_string(), "git");
    EXPECT_TRUE(c.at("name").as_string().starts_with("git-store-user@example.com-"));
}

TEST_F(GitHelper, IsNotConfusedByProtocol) {
    approve(lines({"protocol=https", "host=example.com", "username=u", "password=p"}));
    expect_prompted(fill(lines({"protocol=http", "host=example.com"})));
}

TEST_F(GitHelper, IsNotConfusedByHostOrPort) {
    approve(lines({"protocol=https", "host=example.com", "username=u", "password=p"}));
    expect_prompted(fill(lines({"protocol=https", "host=other.tld"})));
    expect_prompted(fill(lines({"protocol=https", "host=example.com:8443"})));
}

TEST_F(GitHelper, HostWithPortIsItsOwnCredential) {
    approve(lines({"protocol=https", "host=example.com:8443", "username=u", "password=p8443"}));
    expect_answer(fill(lines({"protocol=https", "host=example.com:8443"})), "u", "p8443");
}

TEST_F(GitHelper, UseHttpPathKeepsPathsApart) {
    const std::vector<std::string> with_path{"credential.useHttpPath=true"};
    approve(
        lines({"protocol=http", "host=path.tld", "path=foo.git", "username=user", "password=pass"}),
        with_path);
    expect_prompted(fill(lines({"protocol=http", "host=path.tld", "path=bar.git"}), with_path));
    EXPECT_EQ(only_credential().at("url").as_string(), "http://path.tld/foo.git");
}

TEST_F(GitHelper, UseHttpPathFindsTheStoredPath) {
    const std::vector<std::string> with_path{"credential.useHttpPath=true"};
    approve(
        lines({"protocol=http", "host=path.tld", "path=foo.git", "username=user", "password=pass"}),
        with_path);
    expect_answer(fill(lines({"protocol=http", "host=path.tld", "path=foo.git"}), with_path),
                  "user", "pass");
}

TEST_F(GitHelper, WithoutUseHttpPathGitSendsNoPath) {
    // git strips the path before asking, so a host-wide credential answers any repo.
    approve(lines({"protocol=https", "host=example.com", "username=u", "password=p"}));
    expect_answer(fill(lines({"url=https://example.com/org/repo.git"})), "u", "p");
}

TEST_F(GitHelper, KeepsOneCredentialPerUsername) {
    approve(lines({"protocol=https", "host=multi.tld", "username=user1", "password=pass1"}));
    approve(lines({"protocol=https", "host=multi.tld", "username=user2", "password=pass2"}));
    EXPECT_EQ(credential_count(), 2u);
    expect_answer(fill(lines({"protocol=https", "host=multi.tld", "username=user1"})), "user1",
                  "pass1");
    expect_answer(fill(lines({"protocol=https", "host=multi.tld", "username=user2"})), "user2",
                  "pass2");
}

TEST_F(GitHelper, ForgetsAHost) {
    approve(lines({"protocol=https", "host=example.com", "username=u", "password=p"}));
    reject(lines({"protocol=https", "host=example.com"}));
    EXPECT_EQ(credential_count(), 0u);
    expect_prompted(fill(lines({"protocol=https", "host=example.com"})));
}

TEST_F(GitHelper, ForgetsOneUserAndRemembersTheOther) {
    approve(lines({"protocol=https", "host=multi.tld", "username=user1", "password=pass1"}));
    approve(lines({"protocol=https", "host=multi.tld", "username=user2", "password=pass2"}));
    reject(lines({"protocol=https", "host=multi.tld", "username=user1"}));
    expect_prompted(fill(lines({"protocol=https", "host=multi.tld", "username=user1"})), "user1");
    std::remove(askpass_log().c_str());
    expect_answer(fill(lines({"protocol=https", "host=multi.tld", "username=user2"})), "user2",
                  "pass2");
}

TEST_F(GitHelper, EraseWithAnotherPasswordKeepsTheCredential) {
    approve(lines({"protocol=https", "host=example.com", "username=u", "password=right"}));
    reject(lines({"protocol=https", "host=example.com", "username=u", "password=wrong"}));
    expect_answer(fill(lines({"protocol=https", "host=example.com"})), "u", "right");
    reject(lines({"protocol=https", "host=example.com", "username=u", "password=right"}));
    EXPECT_EQ(credential_count(), 0u);
}

TEST_F(GitHelper, StaleEraseNeverDeletesANewerToken) {
    approve(lines({"protocol=https", "host=example.com", "username=u", "password=old"}));
    approve(lines({"protocol=https", "host=example.com", "username=u", "password=new"}));
    EXPECT_EQ(credential_count(), 1u) << "a second store for the same place must replace";
    // The 401 that rejected "old" arrives after "new" was stored.
    reject(lines({"protocol=https", "host=example.com", "username=u", "password=old"}));
    expect_answer(fill(lines({"protocol=https", "host=example.com"})), "u", "new");
}

TEST_F(GitHelper, StoringWhatCreddServedWritesNothing) {
    add_static({"github-work", "https://github.com", "ghp_one", "alice"});
    const auto before = only_credential();
    // git approves every credential that worked, including the one credd gave it.
    approve(lines({"protocol=https", "host=github.com", "username=alice", "password=ghp_one"}));
    const auto after = only_credential();
    EXPECT_EQ(after.at("name"), before.at("name"));
    EXPECT_EQ(after.at("updated_at"), before.at("updated_at"));
}

TEST_F(GitHelper, ANewPasswordReplacesTheUsersOwnCredentialInPlace) {
    add_static({"github-work", "https://github.com", "ghp_old", "alice"});
    approve(lines({"protocol=https", "host=github.com", "username=alice", "password=ghp_new"}));
    EXPECT_EQ(only_credential().at("name").as_string(), "github-work");
    EXPECT_TRUE(get_token({{"name", "github-work"}}).is("ghp_new"));
}

TEST_F(GitHelper, ExpiredTokenIsNotServedSoGitPrompts) {
    add_static({"old", "https://example.com", "tok", "u", now_unix_ms() - 60'000});
    expect_prompted(fill(lines({"protocol=https", "host=example.com"})));
}

// ---- the helper driven directly, with what newer git sends ------------------------------

TEST_F(GitHelper, PasswordExpiryRoundTripsInUnixSeconds) {
    const std::string expiry = std::to_string(now_unix_ms() / 1000 + 3600);
    const auto stored =
        git_helper({"store"}, lines({"protocol=https", "host=example.com", "username=u",
                                     "password=p", "password_expiry_utc=" + expiry}));
    ASSERT_EQ(stored.exit_code(), 0) << stored.describe();
    EXPECT_EQ(only_credential().at("expires_at").as_int64(), std::stoll(expiry) * 1000);
    const auto got = git_helper({"get"}, lines({"protocol=https", "host=example.com"}));
    ASSERT_EQ(got.exit_code(), 0) << got.describe();
    EXPECT_EQ(parse_git_output(got.out).value("password_expiry_utc"), expiry);
}

TEST_F(GitHelper, ExpiryInThePastIsNeverServed) {
    const std::string past = std::to_string(now_unix_ms() / 1000 - 10);
    git_helper({"store"}, lines({"protocol=https", "host=example.com", "username=u", "password=p",
                                 "password_expiry_utc=" + past}));
    const auto got = git_helper({"get"}, lines({"protocol=https", "host=example.com"}));
    EXPECT_EQ(got.exit_code(), 0);
    EXPECT_EQ(got.out, "");
}

TEST_F(GitHelper, OauthRefreshTokenRoundTrips) {
    git_helper({"store"}, lines({"protocol=https", "host=example.com", "username=u",
                                 "password=access", "oauth_refresh_token=refresh-xyz"}));
    const auto got = git_helper({"get"}, lines({"protocol=https", "host=example.com"}));
    const auto out = parse_git_output(got.out);
    EXPECT_TRUE(out.value("password") == "access");
    EXPECT_TRUE(out.value("oauth_refresh_token") == "refresh-xyz");
}

TEST_F(GitHelper, EphemeralCredentialIsNotStored) {
    const auto r = git_helper({"store"}, lines({"protocol=https", "host=example.com", "username=u",
                                                "password=p", "ephemeral=1"}));
    EXPECT_EQ(r.exit_code(), 0);
    EXPECT_EQ(credential_count(), 0u);
}

TEST_F(GitHelper, OperationIsTheLastArgument) {
    add_static({"ex", "https://example.com", "tok_last", "u"});
    const auto r = git_helper({"--socket", m_dirs.socket(), "get"},
                              lines({"protocol=https", "host=example.com"}));
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(parse_git_output(r.out).value("password") == "tok_last");
}

TEST_F(GitHelper, UnknownOperationDoesNothing) {
    add_static({"ex", "https://example.com", "tok", "u"});
    const auto r = git_helper({"get", "frobnicate"}, lines({"protocol=https", "host=example.com"}));
    EXPECT_EQ(r.exit_code(), 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

TEST_F(GitHelper, NeverPrintsUrlAndIgnoresUnknownKeys) {
    add_static({"ex", "https://example.com", "tok", "u"});
    const auto r = git_helper(
        {"get"}, lines({"url=https://example.com/repo.git", "wwwauth[]=Basic realm=\"x\"",
                        "capability[]=state", "state[]=a", "continue=0", "future_key=1"}));
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    const auto out = parse_git_output(r.out);
    EXPECT_FALSE(out.has("url"));
    EXPECT_EQ(out.value("username"), "u");
    EXPECT_TRUE(out.value("password") == "tok");
}

TEST_F(GitHelper, BearerTokenUsesAuthtypeWhenGitCanTakeIt) {
    add_static({"ex", "https://example.com", "tok_bearer", "u", {}, {{"auth", "bearer"}}});
    const auto plain = git_helper({"get"}, lines({"protocol=https", "host=example.com"}));
    EXPECT_TRUE(parse_git_output(plain.out).value("password") == "tok_bearer");
    const auto r =
        git_helper({"get"}, lines({"capability[]=authtype", "protocol=https", "host=example.com"}));
    const auto out = parse_git_output(r.out);
    EXPECT_EQ(out.value("capability[]"), "authtype");
    EXPECT_EQ(out.value("authtype"), "Bearer");
    EXPECT_TRUE(out.value("credential") == "tok_bearer");
    EXPECT_FALSE(out.has("password"));
}

TEST_F(GitHelper, EraseAfterABearerAnswerRemovesOnlyThatToken) {
    add_static({"ex", "https://example.com", "tok_bearer", "u", {}, {{"auth", "bearer"}}});
    add_static({"other", "https://example.com", "tok_other", "v"});
    // What git ≥ 2.46 sends after a 401 for the bearer token credd answered: no password.
    const auto r =
        git_helper({"erase"}, lines({"capability[]=authtype", "protocol=https", "host=example.com",
                                     "authtype=Bearer", "credential=tok_bearer"}));
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(only_credential().at("name").as_string(), "other");
}

TEST_F(GitHelper, ForgettingAHostKeepsCredentialsGitDidNotStore) {
    add_static({"mine", "https://example.com", "tok_mine", "u"});
    approve(lines({"protocol=https", "host=example.com", "username=g", "password=from-git"}));
    EXPECT_EQ(credential_count(), 2u);
    reject(lines({"protocol=https", "host=example.com"}));
    EXPECT_EQ(only_credential().at("name").as_string(), "mine");
}

TEST_F(GitHelper, StoringBackWhatGetPrintedNeverMakesASecondCredential) {
    // The user's own credential, without a username, its expiry not on a whole second.
    add_static(
        {"mine", "https://example.com", "tok_mine", {}, now_unix_ms() / 1000 * 1000 + 3'600'123});
    const auto before = only_credential();
    // Through real git: credd answers the token, git prompts for the username.
    const auto filled = fill(lines({"protocol=https", "host=example.com"}));
    EXPECT_EQ(filled.value("username"), "askuser");
    approve(lines({"protocol=https", "host=example.com", "username=askuser",
                   "password=" + filled.value("password")}));
    // With the exact lines a newer git stores back: get's answer, expiry in seconds.
    const auto got = git_helper({"get"}, lines({"protocol=https", "host=example.com"}));
    const auto out = parse_git_output(got.out);
    ASSERT_TRUE(out.has("password_expiry_utc")) << got.describe();
    const auto stored =
        git_helper({"store"}, lines({"protocol=https", "host=example.com", "username=askuser",
                                     "password=" + out.value("password"),
                                     "password_expiry_utc=" + out.value("password_expiry_utc")}));
    EXPECT_EQ(stored.exit_code(), 0) << stored.describe();
    const auto after = only_credential();
    EXPECT_EQ(after.at("name"), before.at("name"));
    EXPECT_EQ(after.at("updated_at"), before.at("updated_at")) << "a store-back was written";
}

// A stand-in daemon on its own socket: answers each connection's first line with the
// next canned answer, and records the requests.
class CannedDaemon {
public:
    CannedDaemon(std::string path, std::vector<std::string> answers)
        : m_path(std::move(path)), m_answers(std::move(answers)) {
        m_fd = listen_unix(m_path, 4);
        EXPECT_GE(m_fd, 0) << m_path;
        m_thread = std::thread([this] { serve(); });
    }
    ~CannedDaemon() {
        ::shutdown(m_fd, SHUT_RDWR); // wakes an accept() for an answer nobody asked for
        m_thread.join();
        ::close(m_fd);
    }

private:
    void serve() {
        for (const auto& answer : m_answers) {
            const int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) {
                return;
            }
            std::string line;
            char ch = 0;
            while (::read(c, &ch, 1) == 1 && ch != '\n') {
                line += ch;
            }
            const std::string out = answer + '\n';
            (void)!::write(c, out.data(), out.size());
            ::close(c);
        }
    }
    std::string m_path;
    std::vector<std::string> m_answers;
    int m_fd = -1;
    std::thread m_thread;
};

TEST_F(GitHelper, MalformedDaemonAnswerLetsGitGoOn) {
    const std::string socket = m_temp.file("canned.sock");
    ProcessResult r;
    {
        CannedDaemon daemon(socket, {R"({"jsonrpc":"2.0","id":1,"result":[1]})"});
        r = git_helper({"--socket", socket, "get"}, lines({"protocol=https", "host=example.com"}));
    }
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(GitHelper, OlderDaemonWithoutRefreshTokensIsAskedAgain) {
    const std::string socket = m_temp.file("canned.sock");
    ProcessResult r;
    {
        CannedDaemon daemon(
            socket,
            {R"({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"unknown parameter )"
             R"(\"with_refresh_token\"","data":{"code":"invalid_params"}}})",
             R"({"jsonrpc":"2.0","id":1,"result":{"token":"tok_old","username":"u"}})"});
        r = git_helper({"--socket", socket, "get"}, lines({"protocol=https", "host=example.com"}));
    }
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(parse_git_output(r.out).value("password") == "tok_old") << r.describe();
}

TEST_F(GitHelper, ConfiguredAsCreddGitFindsTheHelperOnPath) {
    add_static({"ex", "https://example.com", "tok_path", "u"});
    // What users write: credential.helper = credd, or with an option before the operation.
    for (const std::string& helper :
         std::vector<std::string>{"credd", "credd --socket " + m_dirs.socket()}) {
        ProcessOptions o;
        o.argv = {"/usr/bin/git", "-c",  "credential.helper=", "-c", "credential.helper=" + helper,
                  "credential",   "fill"};
        o.env = git_env();
        o.env.push_back({"PATH", m_bin + ":/usr/bin:/bin"});
        o.stdin_bytes = lines({"protocol=https", "host=example.com"});
        const auto r = run_process(o);
        EXPECT_EQ(r.exit_code(), 0) << helper << ": " << r.describe();
        EXPECT_TRUE(parse_git_output(r.out).value("password") == "tok_path") << helper;
    }
    EXPECT_EQ(askpass_prompts(), "");
}

TEST_F(GitHelper, UnreachableDaemonLetsGitGoOnToPrompt) {
    m_daemon->stop();
    const auto r = git_helper({"get"}, lines({"protocol=https", "host=example.com"}));
    EXPECT_EQ(r.exit_code(), 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    expect_prompted(fill(lines({"protocol=https", "host=example.com"})));
}

struct RefusedInput {
    const char* what;
    std::string bytes;
};

class GitHelperRefuses : public GitHelper, public ::testing::WithParamInterface<RefusedInput> {};

TEST_P(GitHelperRefuses, WithNothingOnStdoutAndOneLineOnStderr) {
    add_static({"ex", "https://example.com", "tok", "u"});
    const auto r = git_helper({"get"}, GetParam().bytes);
    EXPECT_NE(r.exit_code(), 0);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, GitHelperRefuses,
    ::testing::Values(
        RefusedInput{"no_equals", "protocol=https\nhost=example.com\ngarbage\n"},
        RefusedInput{"nul", std::string("protocol=https\nhost=example.com\nusername=a\0b\n", 43)},
        RefusedInput{"cr", "protocol=https\nhost=example.com\nusername=a\rb\n"},
        RefusedInput{"long_line", "protocol=https\nhost=example.com\nwwwauth[]=" +
                                      std::string(64 * 1024, 'x') + "\n"}),
    [](const auto& info) { return std::string(info.param.what); });

} // namespace
} // namespace credd::test
