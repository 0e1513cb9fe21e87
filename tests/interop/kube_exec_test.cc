// `cred kube` against kubectl's documented ExecCredential shapes, and `cred exec`: token
// only in the environment, exit status passed through, no shell.
#include <fstream>
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "frontend_test.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

constexpr std::int64_t year_2100_ms = 4102444800000; // 2100-01-01T00:00:00Z

class KubeExec : public FrontendTest {};

TEST_F(KubeExec, KubeDefaultsToV1WithExpiry) {
    add_static({"cluster", "https://k8s.example.com", "kube_tok", {}, year_2100_ms});
    const auto r = cred({"kube", "cluster"}, {}, {{"KUBERNETES_EXEC_INFO", std::nullopt}});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(r.out ==
                R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
                R"("status":{"token":"kube_tok","expirationTimestamp":"2100-01-01T00:00:00Z"}})"
                "\n");
}

TEST_F(KubeExec, KubeEchoesTheApiVersionKubectlAsksFor) {
    add_static({"cluster", "https://k8s.example.com", "kube_tok"});
    for (const std::string version :
         {"client.authentication.k8s.io/v1beta1", "client.authentication.k8s.io/v1"}) {
        // What kubectl sets, per its documentation of exec credential plugins.
        const std::string info = R"({"kind":"ExecCredential","apiVersion":")" + version +
                                 R"(","spec":{"interactive":false}})";
        const auto r = cred({"kube", "cluster"}, {}, {{"KUBERNETES_EXEC_INFO", info}});
        ASSERT_EQ(r.exit_code(), 0) << r.describe();
        const json::value v = json::parse(r.out);
        EXPECT_EQ(v.at("apiVersion").as_string(), version);
        EXPECT_EQ(v.at("kind").as_string(), "ExecCredential");
        EXPECT_TRUE(v.at("status").at("token").as_string() == "kube_tok");
        EXPECT_FALSE(v.at("status").as_object().contains("expirationTimestamp"));
    }
}

TEST_F(KubeExec, KubeUnknownOrBrokenExecInfoFallsBackToV1) {
    add_static({"cluster", "https://k8s.example.com", "kube_tok"});
    for (const std::string info :
         {R"({"apiVersion":"client.authentication.k8s.io/v1alpha1"})", "not json"}) {
        const auto r = cred({"kube", "cluster"}, {}, {{"KUBERNETES_EXEC_INFO", info}});
        ASSERT_EQ(r.exit_code(), 0) << r.describe();
        EXPECT_EQ(json::parse(r.out).at("apiVersion").as_string(),
                  "client.authentication.k8s.io/v1");
    }
}

TEST_F(KubeExec, KubeErrorsKeepExitCodesAndStdoutEmpty) {
    const auto missing = cred({"kube", "nope"});
    EXPECT_EQ(missing.exit_code(), 3);
    EXPECT_EQ(missing.out, "");
    add_static({"old", "https://k8s.example.com", "tok_old", {}, now_unix_ms() - 60'000});
    const auto expired = cred({"kube", "old"});
    EXPECT_EQ(expired.exit_code(), 4);
    EXPECT_EQ(expired.out, "");
    EXPECT_FALSE(contains(expired.err, "tok_old"));
}

TEST_F(KubeExec, ExecPutsTheTokenInTheEnvironmentOnly) {
    add_static({"gh", "https://github.com", "exec_tok"});
    const auto r = cred({"exec", "gh", "--env", "GH_TOKEN", "--", "/bin/sh", "-c",
                         "printf '%s|' \"$GH_TOKEN\"; tr '\\0' ' ' </proc/$$/cmdline"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    const auto bar = r.out.find('|');
    ASSERT_NE(bar, std::string::npos);
    EXPECT_TRUE(r.out.substr(0, bar) == "exec_tok");
    EXPECT_FALSE(contains(r.out.substr(bar), "exec_tok")) << "the token is on a command line";
}

TEST_F(KubeExec, ExecDefaultVariableIsCredToken) {
    add_static({"gh", "https://github.com", "exec_tok"});
    const auto r = cred({"exec", "gh", "--", "/usr/bin/env"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(contains(r.out, "\nCRED_TOKEN=exec_tok\n") ||
                r.out.starts_with("CRED_TOKEN=exec_tok\n"));
}

TEST_F(KubeExec, ExecPassesTheExitStatusThrough) {
    add_static({"gh", "https://github.com", "exec_tok"});
    EXPECT_EQ(cred({"exec", "gh", "--", "/bin/sh", "-c", "exit 7"}).exit_code(), 7);
    EXPECT_EQ(cred({"exec", "gh", "--", "/bin/false"}).exit_code(), 1);
}

TEST_F(KubeExec, ExecRunsNoShell) {
    add_static({"gh", "https://github.com", "exec_tok"});
    const auto r = cred({"exec", "gh", "--", "/bin/echo", "$CRED_TOKEN;", "*", "--help"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(r.out, "$CRED_TOKEN; * --help\n");
}

TEST_F(KubeExec, ExecCommandThatCannotRun) {
    add_static({"gh", "https://github.com", "exec_tok"});
    const auto missing = cred({"exec", "gh", "--", "no-such-command-credd-test"});
    EXPECT_EQ(missing.exit_code(), 127);
    EXPECT_TRUE(contains(missing.err, "no-such-command-credd-test"));
    EXPECT_FALSE(contains(missing.err, "exec_tok"));
    const std::string not_executable = m_temp.file("plain");
    std::ofstream(not_executable) << "data";
    EXPECT_EQ(cred({"exec", "gh", "--", not_executable}).exit_code(), 126);
}

TEST_F(KubeExec, ExecDoesNotRunTheCommandWithoutAToken) {
    const std::string marker = m_temp.file("ran");
    const auto r = cred({"exec", "nope", "--", "/usr/bin/touch", marker});
    EXPECT_EQ(r.exit_code(), 3);
    EXPECT_FALSE(std::ifstream(marker).good());
}

TEST_F(KubeExec, ExecUsageErrors) {
    EXPECT_EQ(cred({"exec", "gh"}).exit_code(), 2);
    EXPECT_EQ(cred({"exec", "gh", "/bin/true"}).exit_code(), 2);
    EXPECT_EQ(cred({"exec", "gh", "--env", "1BAD", "--", "/bin/true"}).exit_code(), 2);
    EXPECT_EQ(cred({"exec", "gh", "--"}).exit_code(), 2);
}

} // namespace
} // namespace credd::test
