// The exec strategy: a token from a command, run without a shell, with a deadline.
#include <csignal>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "refresh_fixture.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

// Whether a process exists and is not a zombie waiting for whoever inherited it.
bool is_alive(pid_t pid) {
    const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class ExecTest : public RefreshFixture {
protected:
    // Writes an executable shell script into the test's temp dir; returns its path.
    std::string script(const std::string& name, const std::string& body) const {
        const std::string path = m_temp.path() + "/" + name;
        std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
        ::chmod(path.c_str(), 0700);
        return path;
    }
};

TEST_F(ExecTest, ServesTheTokenACommandPrintsAsJson) {
    const auto cmd = script("json.sh", R"(echo '{"access_token":"exec-json-1","expires_in":600}')");
    const auto r = cred({"add", "viajson", "--kind", "exec", "--", cmd});
    ASSERT_EQ(r.exit_code(), 0) << r.describe();
    const auto before = now_unix_ms();
    EXPECT_TRUE(get_token({{"name", "viajson"}}).is("exec-json-1"));
    const auto s = status_of("viajson");
    EXPECT_NEAR(static_cast<double>(s.at("expires_at").as_int64() - before), 600'000.0, 5'000.0);
    EXPECT_FALSE(s.at("lifetime_assumed").as_bool());
}

TEST_F(ExecTest, ABareTokenGetsTheDefaultLifetimeAndArgumentsArePassedAsGiven) {
    // No shell: "$1" is a literal argument, with its spaces, never split or expanded.
    const auto cmd = script("bare.sh", R"sh(printf 'bare-%s\n' "$(echo "$1" | tr ' ' _)")sh");
    ASSERT_EQ(
        cred({"add", "bare", "--kind", "exec", "--default-lifetime", "120", "--", cmd, "a b $HOME"})
            .exit_code(),
        0);
    EXPECT_TRUE(get_token({{"name", "bare"}}).is("bare-a_b_$HOME"));
    const auto s = status_of("bare");
    EXPECT_TRUE(s.at("lifetime_assumed").as_bool());
}

TEST_F(ExecTest, StdinIsClosedAndTheEnvironmentIsMinimal) {
    // A variable of the daemon's own environment must not reach the command.
    ::setenv("CREDD_TEST_PRIVATE", "leaked-value", 1);
    restart(daemon_options());
    ::unsetenv("CREDD_TEST_PRIVATE");
    const auto cmd = script("env.sh", R"(if read -r line; then echo "stdin-open"; exit 0; fi
if [ -n "$CREDD_TEST_PRIVATE" ]; then echo "env-leaked"; exit 0; fi
echo "clean-${HOME:+home}")");
    ASSERT_EQ(cred({"add", "env", "--kind", "exec", "--", cmd}).exit_code(), 0);
    EXPECT_TRUE(get_token({{"name", "env"}}).is("clean-home"));
}

TEST_F(ExecTest, AFailingCommandShowsItsClassAndARedactedFirstStderrLine) {
    const auto cmd = script(
        "fail.sh", "echo 'login expired for tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345 (run login)' >&2\n"
                   "echo 'second line' >&2\nexit 3");
    ASSERT_EQ(cred({"add", "failing", "--kind", "exec", "--", cmd}).exit_code(), 0);
    ASSERT_TRUE(wait_for_status("failing", "error_class"));
    const auto s = status_of("failing");
    EXPECT_EQ(string_at(s, "error_class"), "transient");
    const auto error = string_at(s, "last_error");
    EXPECT_TRUE(contains(error, "exited with status 3")) << error;
    EXPECT_TRUE(contains(error, "login expired for [redacted] (run login)")) << error;
    EXPECT_FALSE(contains(error, "ABCDEFGHIJ")) << error;
    EXPECT_FALSE(contains(error, "second line")) << error;
    EXPECT_EQ(get_token({{"name", "failing"}}).error, "refresh_failed");
}

TEST_F(ExecTest, ACommandPastItsDeadlineIsKilled) {
    const auto cmd = script("slow.sh", "sleep 30; echo never");
    ASSERT_EQ(cred({"add", "slowcmd", "--kind", "exec", "--timeout", "1", "--", cmd}).exit_code(),
              0);
    ASSERT_TRUE(wait_for_status("slowcmd", "error_class", 10s));
    EXPECT_TRUE(contains(string_at(status_of("slowcmd"), "last_error"), "timed out"));
}

TEST_F(ExecTest, GarbageOutputAndAMissingProgramAreConfigurationErrors) {
    const auto cmd = script("garbage.sh", "echo 'this is not a token'");
    ASSERT_EQ(cred({"add", "garbage", "--kind", "exec", "--", cmd}).exit_code(), 0);
    ASSERT_EQ(
        cred({"add", "missing", "--kind", "exec", "--", "/nonexistent/credd-helper"}).exit_code(),
        0);
    for (const char* name : {"garbage", "missing"}) {
        ASSERT_TRUE(wait_for_status(name, "error_class")) << name;
        EXPECT_EQ(string_at(status_of(name), "error_class"), "fix_configuration") << name;
        EXPECT_EQ(string_at(status_of(name), "status"), "error") << name;
    }
}

TEST_F(ExecTest, ACommandGetsOnlyStdioAndDefaultSignalDispositions) {
    // The daemon ignores SIGPIPE and holds sockets (the listener, this test's connection
    // waiting for the token): none of it may reach the command. `sh -c` runs no script
    // file; ls lists what it inherited plus the directory it opens to read (fd 3, the
    // lowest free one only when nothing else was inherited).
    const std::string probe =
        R"sh(printf 'fds=%s,sigign=%s\n' "$(ls /proc/self/fd | sort -n | tr '\n' .)" )sh"
        R"sh("$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)")sh";
    // A token request held open meanwhile: its TCP socket is one of Asio's.
    ASSERT_TRUE(result_of(add_client_credentials("hanging", fault_url("hang"))));
    ASSERT_TRUE(wait_until([&] { return fault_count("hang") >= 1; }, 5s));
    ASSERT_EQ(cred({"add", "probe", "--kind", "exec", "--", "/bin/sh", "-c", probe}).exit_code(),
              0);
    const auto answer = get_token({{"name", "probe"}});
    ASSERT_TRUE(answer.token) << answer.describe();
    const std::string& seen = *answer.token; // a probe's report, not a secret
    EXPECT_TRUE(seen.starts_with("fds=0.1.2.3.,sigign=")) << seen;
    const auto ignored = std::stoull(seen.substr(seen.find("sigign=") + 7), nullptr, 16);
    EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0U) << seen;
}

TEST_F(ExecTest, StoppingTheDaemonKillsARunningCommandAndWhatItStarted) {
    // The command's own child records its pid, so the test can see the whole group go.
    const std::string pid_file = m_temp.path() + "/grandchild.pid";
    const auto cmd = script("forever.sh", "sleep 1000 & echo $! > " + pid_file + "\nwait");
    ASSERT_EQ(cred({"add", "forever", "--kind", "exec", "--", cmd}).exit_code(), 0);
    ASSERT_TRUE(wait_until([&] { return read_file(pid_file).ends_with("\n"); }, 10s));
    const pid_t grandchild = std::stoi(read_file(pid_file));
    ASSERT_TRUE(is_alive(grandchild)) << "the command's child is not running";
    const auto started = std::chrono::steady_clock::now();
    const auto status = m_daemon->stop(10s);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_TRUE(status.exited_with(0)) << status.describe();
    EXPECT_LT(took, 4s) << "SIGTERM waited for the command";
    EXPECT_TRUE(wait_until([&] { return !is_alive(grandchild); }, 5s))
        << "the command's child outlived the daemon";
}

} // namespace
} // namespace credd::test
