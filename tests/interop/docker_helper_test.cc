// docker-credential-credd: exact bytes in, exact bytes and exit codes out, for every
// verb and every error, as docker's own helpers (docker-credential-helpers) behave.
#include <string>

#include <gtest/gtest.h>

#include "frontend_test.hh"

namespace credd::test {
namespace {

constexpr std::string_view not_found = "credentials not found in native keychain\n";

class DockerHelper : public FrontendTest {
protected:
    void store(const std::string& json) {
        const auto r = docker_helper({"store"}, json);
        EXPECT_EQ(r.exit_code(), 0) << r.describe() << " stdout: " << r.out;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, "");
    }
    void expect_get(const std::string& server, const std::string& exact) {
        const auto r = docker_helper({"get"}, server);
        EXPECT_EQ(r.exit_code(), 0) << server << ": " << r.describe();
        EXPECT_TRUE(r.out == exact) << server << ": unexpected answer (not shown: it holds a "
                                    << "secret)";
        EXPECT_EQ(r.err, "");
    }
    void expect_failure(const std::string& verb, const std::string& input, std::string_view exact) {
        const auto r = docker_helper({verb}, input);
        EXPECT_EQ(r.exit_code(), 1) << verb << ": " << r.describe();
        EXPECT_EQ(r.out, exact);
        EXPECT_EQ(r.err, "");
    }
};

TEST_F(DockerHelper, DockerLoginEntryRoundTrips) {
    store(R"({"ServerURL":"registry.example.com:5000","Username":"bob","Secret":"pw-1"})");
    expect_get("registry.example.com:5000",
               R"({"ServerURL":"registry.example.com:5000","Username":"bob","Secret":"pw-1"})"
               "\n");
    expect_get(
        "https://registry.example.com:5000\n",
        R"({"ServerURL":"https://registry.example.com:5000","Username":"bob","Secret":"pw-1"})"
        "\n");
    expect_failure("get", "registry.example.com", not_found);
    expect_failure("get", "http://registry.example.com:5000", not_found);
}

TEST_F(DockerHelper, ALoginReplacesThePreviousLoginToTheServer) {
    store(R"({"ServerURL":"reg.example.com","Username":"alice","Secret":"a-pw"})");
    store(R"({"ServerURL":"reg.example.com","Username":"bob","Secret":"b-pw"})");
    expect_get("reg.example.com",
               R"({"ServerURL":"reg.example.com","Username":"bob","Secret":"b-pw"})"
               "\n");
    const auto r = docker_helper({"list"}, "");
    EXPECT_EQ(r.out, R"({"reg.example.com":"bob"})"
                     "\n");
}

TEST_F(DockerHelper, IdentityTokenKeepsTheTokenUsername) {
    store(R"({"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"idt"})");
    expect_get(
        "https://index.docker.io/v1/",
        R"({"ServerURL":"https://index.docker.io/v1/","Username":"\u003ctoken\u003e","Secret":"idt"})"
        "\n");
}

TEST_F(DockerHelper, DockerHubAliasesMatchOneCredential) {
    store(R"({"ServerURL":"https://index.docker.io/v1/","Username":"hubber","Secret":"hub"})");
    for (const std::string server : {"docker.io", "index.docker.io", "registry-1.docker.io",
                                     "https://index.docker.io/v1/", "https://docker.io"}) {
        expect_get(server, R"({"ServerURL":")" + server +
                               R"(","Username":"hubber","Secret":"hub"})"
                               "\n");
    }
}

TEST_F(DockerHelper, StaticRegistryTokenUsesItsConfiguredUsername) {
    add_static({"ghcr", "https://ghcr.io", "svc-token", "robot"});
    expect_get("ghcr.io", R"({"ServerURL":"ghcr.io","Username":"robot","Secret":"svc-token"})"
                          "\n");
    expect_get("https://ghcr.io/v2/",
               R"({"ServerURL":"https://ghcr.io/v2/","Username":"robot","Secret":"svc-token"})"
               "\n");
}

TEST_F(DockerHelper, GetErrors) {
    expect_failure("get", "nothing.example.com\n", not_found);
    expect_failure("get", "", "no credentials server URL\n");
    expect_failure("get", "  \n", "no credentials server URL\n");
}

TEST_F(DockerHelper, ExpiredTokenIsAnErrorOnStdout) {
    add_static({"old", "https://reg.example.com", "tok_expired", "u", now_unix_ms() - 60'000});
    const auto r = docker_helper({"get"}, "reg.example.com");
    EXPECT_EQ(r.exit_code(), 1);
    EXPECT_TRUE(contains(r.out, "expired")) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
    EXPECT_FALSE(contains(r.out + r.err, "tok_expired"));
}

TEST_F(DockerHelper, StoreErrors) {
    expect_failure("store", R"({"ServerURL":"","Username":"u","Secret":"s"})",
                   "no credentials server URL\n");
    expect_failure("store", R"({"ServerURL":"reg.example.com","Secret":"s"})",
                   "no credentials username\n");
    const auto r = docker_helper({"store"}, "not json");
    EXPECT_EQ(r.exit_code(), 1);
    EXPECT_NE(r.out, "");
    EXPECT_EQ(r.err, "");
}

TEST_F(DockerHelper, EraseRemovesAndThenReportsNotFound) {
    store(R"({"ServerURL":"reg.example.com","Username":"u","Secret":"s"})");
    const auto r = docker_helper({"erase"}, "reg.example.com\n");
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(r.out, "");
    expect_failure("get", "reg.example.com", not_found);
    expect_failure("erase", "reg.example.com", not_found);
    expect_failure("erase", "", "no credentials server URL\n");
}

TEST_F(DockerHelper, ListsServersAndUsernames) {
    const auto empty = docker_helper({"list"}, "");
    EXPECT_EQ(empty.exit_code(), 0);
    EXPECT_EQ(empty.out, "{}\n");
    store(R"({"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"a"})");
    store(R"({"ServerURL":"reg.example.com:5000","Username":"bob","Secret":"b"})");
    // A credential the user added is not one of docker's logins: not listed.
    add_static({"ghcr", "https://ghcr.io", "c", "robot"});
    const auto r = docker_helper({"list"}, "");
    EXPECT_EQ(r.exit_code(), 0);
    EXPECT_EQ(r.out, R"({"https://index.docker.io/v1/":"\u003ctoken\u003e",)"
                     R"("reg.example.com:5000":"bob"})"
                     "\n");
}

TEST_F(DockerHelper, LogoutNeverRemovesACredentialTheUserAdded) {
    add_static({"ghcr", "https://ghcr.io", "svc-token", "robot"});
    expect_failure("erase", "ghcr.io", not_found);
    expect_get("ghcr.io", R"({"ServerURL":"ghcr.io","Username":"robot","Secret":"svc-token"})"
                          "\n");
}

TEST_F(DockerHelper, VersionUsageAndUnknownVerbs) {
    const auto v = docker_helper({"version"}, "");
    EXPECT_EQ(v.exit_code(), 0);
    EXPECT_TRUE(v.out.starts_with("docker-credential-credd (credd) ")) << v.out;
    EXPECT_EQ(std::count(v.out.begin(), v.out.end(), '\n'), 1);
    const auto usage = docker_helper({}, "");
    EXPECT_EQ(usage.exit_code(), 1);
    EXPECT_EQ(usage.out, "Usage: docker-credential-credd <store|get|erase|list|version>\n");
    expect_failure("frob", "", "Unknown credential action `frob`\n");
}

TEST_F(DockerHelper, UnreachableDaemonIsAnErrorOnStdout) {
    m_daemon->stop();
    const auto r = docker_helper({"get"}, "reg.example.com");
    EXPECT_EQ(r.exit_code(), 1);
    EXPECT_TRUE(contains(r.out, "daemon")) << r.out;
    EXPECT_EQ(r.err, "");
}

} // namespace
} // namespace credd::test
