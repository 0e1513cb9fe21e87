// The bash, zsh and fish completions for cred: they load without errors, complete
// command names from cred's help and credential names from a running daemon, and never
// start a daemon to do it.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "daemon_test.hh"
#include "process.hh"

namespace credd::test {
namespace {

const std::string completions = CREDD_SOURCE_ROOT "/client/completions";

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        if (end > start) {
            lines.push_back(text.substr(start, end - start));
        }
        start = end + 1;
    }
    return lines;
}

// What one shell offers for a command line ending in the word being completed.
struct Offered {
    ProcessResult run;
    std::vector<std::string> candidates;
};

class Completion : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        add_static({"github-work", "https://github.com", make_token("c1")});
        add_static({"gitlab-ci", "https://gitlab.com", make_token("c2")});
    }

    // cred is found on PATH as the completions expect; the environment is the client's.
    std::vector<EnvVar> shell_env(bool daemon_running = true) const {
        auto env = m_dirs.client_env();
        const std::string cred_dir =
            std::string(CRED_PATH).substr(0, std::string(CRED_PATH).rfind('/'));
        env.push_back({"PATH", cred_dir + ":/usr/bin:/bin"});
        env.push_back({"HOME", m_dirs.home()});
        if (!daemon_running) {
            // A socket nobody serves, and autostart allowed: only the completion's own
            // CREDD_NO_AUTOSTART can keep a daemon from being started there.
            env.push_back({"CREDD_SOCKET", m_temp.file("nobody/socket")});
            env.push_back({"CREDD_NO_AUTOSTART", std::nullopt});
            env.push_back({"CREDD_DAEMON", CREDD_PATH});
        }
        return env;
    }

    Offered offer(const std::string& shell, const std::string& line,
                  bool daemon_running = true) const {
        ProcessOptions o;
        o.env = shell_env(daemon_running);
        if (shell == "bash") {
            o.argv = {find_program("bash"),
                      "--norc",
                      "--noprofile",
                      "-c",
                      "source \"$0\" || exit 9\n"
                      "read -ra COMP_WORDS <<<\"$1\"\n"
                      "[[ $1 == *' ' ]] && COMP_WORDS+=('')\n"
                      "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
                      "_cred cred \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
                      "printf '%s\\n' \"${COMPREPLY[@]}\"",
                      completions + "/cred.bash",
                      line};
        } else if (shell == "zsh") {
            o.argv = {find_program("zsh"), "-f",
                      CREDD_SOURCE_ROOT "/tests/service/zsh_complete.zsh", completions, line};
        } else {
            o.argv = {find_program("fish"),
                      "--no-config",
                      "-c",
                      "source $argv[1]; or exit 9; complete -C $argv[2]",
                      completions + "/cred.fish",
                      line};
        }
        o.deadline = 20s;
        Offered offered{run_process(o), {}};
        for (auto& candidate : lines_of(offered.run.out)) {
            // fish appends a tab and a description to some candidates.
            offered.candidates.push_back(candidate.substr(0, candidate.find('\t')));
        }
        return offered;
    }

    void skip_unless_installed(const std::string& shell) {
        if (find_program(shell).empty()) {
            GTEST_SKIP() << shell << " is not installed (Debian package " << shell << ")";
        }
    }

    // The checks every shell must pass.
    void expect_completions(const std::string& shell) {
        const Offered commands = offer(shell, "cred to");
        EXPECT_EQ(commands.run.exit_code(), 0) << commands.run.describe();
        EXPECT_EQ(commands.run.err, "") << shell << " printed errors while completing";
        EXPECT_EQ(commands.candidates, std::vector<std::string>{"token"});

        const Offered all = offer(shell, "cred ");
        for (const char* command : {"add", "list", "remove", "status", "token", "update"}) {
            EXPECT_NE(std::find(all.candidates.begin(), all.candidates.end(), command),
                      all.candidates.end())
                << shell << " does not offer the command " << command;
        }

        const Offered names = offer(shell, "cred token git");
        EXPECT_EQ(names.run.err, "") << shell;
        std::vector<std::string> sorted = names.candidates;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(sorted, (std::vector<std::string>{"github-work", "gitlab-ci"})) << shell;

        const Offered one = offer(shell, "cred remove githu");
        EXPECT_EQ(one.candidates, std::vector<std::string>{"github-work"}) << shell;

        const Offered options = offer(shell, "cred token --mi");
        EXPECT_EQ(options.candidates, std::vector<std::string>{"--min-valid"}) << shell;

        // After an option that takes a value, no credential names.
        const Offered value = offer(shell, "cred token --url ");
        for (const auto& c : value.candidates) {
            EXPECT_NE(c, "github-work") << shell << " offered a name as a URL";
        }
    }

    void expect_quiet_without_daemon(const std::string& shell) {
        const Offered names = offer(shell, "cred token git", false);
        EXPECT_EQ(names.candidates, std::vector<std::string>{}) << shell;
        EXPECT_EQ(names.run.err, "") << shell << " complained without a daemon";
        struct stat st {};
        EXPECT_NE(::lstat(m_temp.file("nobody/socket").c_str(), &st), 0)
            << shell << ": completing started a daemon";
    }
};

TEST_F(Completion, BashLoadsAndCompletesCommandsAndNames) {
    skip_unless_installed("bash");
    ProcessOptions o;
    o.argv = {find_program("bash"),
              "--norc",
              "--noprofile",
              "-c",
              "source \"$0\" && complete -p cred",
              completions + "/cred.bash"};
    const ProcessResult loaded = run_process(o);
    EXPECT_EQ(loaded.exit_code(), 0) << loaded.describe();
    EXPECT_EQ(loaded.err, "");
    EXPECT_EQ(loaded.out, "complete -F _cred cred\n");
    expect_completions("bash");
    expect_quiet_without_daemon("bash");
}

TEST_F(Completion, ZshLoadsAndCompletesCommandsAndNames) {
    skip_unless_installed("zsh");
    ProcessOptions o;
    o.argv = {find_program("zsh"), "-n", completions + "/_cred"};
    const ProcessResult parsed = run_process(o);
    EXPECT_EQ(parsed.exit_code(), 0) << parsed.describe();
    expect_completions("zsh");
    expect_quiet_without_daemon("zsh");
}

TEST_F(Completion, FishLoadsAndCompletesCommandsAndNames) {
    skip_unless_installed("fish");
    ProcessOptions o;
    o.argv = {find_program("fish"), "--no-config", "-n", completions + "/cred.fish"};
    const ProcessResult parsed = run_process(o);
    EXPECT_EQ(parsed.exit_code(), 0) << parsed.describe();
    EXPECT_EQ(parsed.err, "");
    expect_completions("fish");
    expect_quiet_without_daemon("fish");
}

} // namespace
} // namespace credd::test
