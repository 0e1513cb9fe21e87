// End to end: real `git clone` and `git push` over smart HTTP (git http-backend behind
// lighttpd with Basic auth, on 127.0.0.1) with the token from credd; and clean, prompt-
// free failures when the credential is removed, expired or rejected.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontend_test.hh"
#include "rpc_client.hh"
#include "unique_fd.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

constexpr const char* lighttpd = "/usr/sbin/lighttpd";
constexpr const char* http_backend = "/usr/lib/git-core/git-http-backend";

// A port nobody listens on right now (the kernel's pick for a throwaway socket).
int free_port() {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return -1;
    }
    return ntohs(addr.sin_port);
}

bool accepts_connections(int port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

class GitHttp : public FrontendTest {
protected:
    void SetUp() override {
        if (::access(lighttpd, X_OK) != 0 || ::access(http_backend, X_OK) != 0) {
            GTEST_SKIP() << "needs lighttpd and git http-backend (apt-get install lighttpd)";
        }
        FrontendTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        m_token = make_token("http");
        const std::string root = m_temp.file("srv");
        ASSERT_EQ(::mkdir(root.c_str(), 0700), 0);
        ASSERT_EQ(::mkdir((root + "/repos").c_str(), 0700), 0);
        std::ofstream(root + "/users") << "alice:" << m_token << "\n";
        seed_repository(root + "/repos/repo.git");
        start_server(root);
    }

    void seed_repository(const std::string& bare) {
        ASSERT_EQ(git({"init", "-q", "--bare", "-b", "main", bare}).exit_code(), 0);
        ASSERT_EQ(git({"-C", bare, "config", "http.receivepack", "true"}).exit_code(), 0);
        const std::string work = m_temp.file("seed");
        ASSERT_EQ(git({"init", "-q", "-b", "main", work}).exit_code(), 0);
        std::ofstream(work + "/README") << "seed\n";
        ASSERT_EQ(git({"-C", work, "add", "README"}).exit_code(), 0);
        ASSERT_EQ(git({"-C", work, "commit", "-q", "-m", "seed"}).exit_code(), 0);
        const auto pushed = git({"-C", work, "push", "-q", bare, "main"});
        ASSERT_EQ(pushed.exit_code(), 0) << pushed.describe();
    }

    void start_server(const std::string& root) {
        for (int attempt = 0; attempt < 5 && !m_server; ++attempt) {
            m_port = free_port();
            const std::string conf = root + "/lighttpd.conf";
            std::ofstream(conf)
                << R"(server.modules = ("mod_auth", "mod_authn_file", "mod_alias", "mod_cgi", "mod_setenv")
server.document-root = ")"
                << root << R"(/repos"
server.bind = "127.0.0.1"
server.port = )" << m_port
                << R"(
server.errorlog = ")"
                << root << R"(/error.log"
auth.backend = "plain"
auth.backend.plain.userfile = ")"
                << root << R"(/users"
auth.require = ( "" => ( "method" => "basic", "realm" => "git", "require" => "valid-user" ) )
alias.url = ( "/git" => ")"
                << http_backend << R"(" )
cgi.assign = ( "" => "" )
setenv.set-environment = ( "GIT_PROJECT_ROOT" => ")"
                << root << R"(/repos", "GIT_HTTP_EXPORT_ALL" => "1" )
)";
            auto server =
                std::make_unique<ChildProcess>(SpawnSpec{{lighttpd, "-D", "-f", conf}, {}, {}, {}});
            ASSERT_TRUE(server->started()) << server->spawn_error();
            const bool up = wait_until(
                [&] { return server->try_reap().has_value() || accepts_connections(m_port); }, 10s);
            if (up && !server->has_exited()) {
                m_server = std::move(server);
            }
        }
        ASSERT_TRUE(m_server) << "lighttpd did not start";
    }

    std::string origin() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    std::string repo_url() const { return origin() + "/git/repo.git"; }

    // git with no way to ask anyone: credd answers, or git fails at once.
    ProcessResult git_unattended(std::vector<std::string> args) const {
        ProcessOptions o;
        o.argv = {"/usr/bin/git", "-c", "credential.helper=", "-c",
                  "credential.helper=" + git_helper_path()};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.env = git_env();
        o.env.push_back({"GIT_ASKPASS", std::nullopt});
        o.deadline = 30s;
        return run_process(o);
    }

    void expect_clean_failure(const ProcessResult& r) {
        EXPECT_FALSE(r.status.timed_out) << "git hung (waiting for a prompt?)";
        EXPECT_EQ(r.exit_code(), 128) << r.describe();
        EXPECT_FALSE(contains(r.out + r.err, m_token));
    }

    std::string m_token;
    int m_port = 0;
    std::unique_ptr<ChildProcess> m_server;
};

TEST_F(GitHttp, CloneAndPushWithTheTokenFromCredd) {
    add_static({"local-git", origin(), m_token, "alice"});
    const std::string dest = m_temp.file("clone");
    const auto cloned = git_unattended({"clone", "-q", repo_url(), dest});
    ASSERT_EQ(cloned.exit_code(), 0) << cloned.describe();
    std::ofstream(dest + "/change") << "pushed through credd\n";
    ASSERT_EQ(git({"-C", dest, "add", "change"}).exit_code(), 0);
    ASSERT_EQ(git({"-C", dest, "commit", "-q", "-m", "change"}).exit_code(), 0);
    const auto pushed = git_unattended({"-C", dest, "push", "-q", "origin", "main"});
    EXPECT_EQ(pushed.exit_code(), 0) << pushed.describe();
    EXPECT_FALSE(contains(cloned.out + cloned.err + pushed.out + pushed.err, m_token));
    // git approved what worked: credd kept its one credential, unchanged.
    EXPECT_TRUE(get_token({{"name", "local-git"}}).is(m_token));
}

TEST_F(GitHttp, RemovedCredentialFailsWithoutPrompting) {
    add_static({"local-git", origin(), m_token, "alice"});
    ASSERT_EQ(cred({"remove", "local-git"}).exit_code(), 0);
    expect_clean_failure(git_unattended({"clone", "-q", repo_url(), m_temp.file("clone")}));
}

TEST_F(GitHttp, ExpiredCredentialFailsWithoutPrompting) {
    add_static({"local-git", origin(), m_token, "alice", now_unix_ms() + 3'600'000});
    const auto updated =
        rpc("credential.update", {{"name", "local-git"}, {"expires_at", now_unix_ms() - 1000}});
    ASSERT_NE(result_of(updated), nullptr) << error_code_of(updated);
    expect_clean_failure(git_unattended({"clone", "-q", repo_url(), m_temp.file("clone")}));
    // Fail closed, not forgotten: the expired credential is still there to replace.
    EXPECT_EQ(get_token({{"name", "local-git"}}).error, "expired");
}

TEST_F(GitHttp, RejectedTokenIsErasedByGit) {
    add_static({"local-git", origin(), "tok_wrong_for_server", "alice"});
    expect_clean_failure(git_unattended({"clone", "-q", repo_url(), m_temp.file("clone")}));
    // git sent erase with the refused password, which equals the stored one.
    EXPECT_EQ(get_token({{"name", "local-git"}}).error, "not_found");
}

} // namespace
} // namespace credd::test
