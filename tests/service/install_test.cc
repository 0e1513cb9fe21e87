// `meson install --destdir`: every file in its conventional place, binaries that run from
// there, and user units that systemd-analyze accepts.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <unistd.h>

#include "daemon_test.hh"
#include "process.hh"
#include "temp_dir.hh"

namespace credd::test {
namespace {

namespace fs = std::filesystem;

// Paths configured in meson (absolute, under the prefix).
const std::string bindir = CREDD_INSTALL_BINDIR;
const std::string mandir = CREDD_INSTALL_MANDIR;
const std::string datadir = CREDD_INSTALL_DATADIR;
const std::string unitdir = CREDD_INSTALL_UNITDIR;

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// One install for the whole test program: it is the slow part. Made on first use and
// left for the process's end (the temp dir goes with it).
struct Installed {
    TempDir root;
    ProcessResult result;
};

const Installed& installed() {
    static const Installed* const once = [] {
        auto* i = new Installed();
        ProcessOptions o;
        o.argv = {find_program("meson"), "install",      "-C",           CREDD_BUILD_ROOT,
                  "--destdir",           i->root.path(), "--no-rebuild", "--quiet"};
        o.deadline = 120s;
        i->result = run_process(o);
        return i;
    }();
    return *once;
}

std::string staged(const std::string& absolute) {
    return installed().root.path() + absolute;
}

class Install : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(installed().result.status.exited_with(0))
            << "meson install failed: " << installed().result.describe() << "\n"
            << installed().result.out;
    }
};

TEST_F(Install, PutsEveryFileInItsPlaceAndNothingElse) {
    std::set<std::string> expected{
        bindir + "/credd",
        bindir + "/cred",
        bindir + "/git-credential-credd",
        bindir + "/docker-credential-credd",
        unitdir + "/credd.socket",
        unitdir + "/credd.service",
        datadir + "/bash-completion/completions/cred",
        datadir + "/zsh/site-functions/_cred",
        datadir + "/fish/vendor_completions.d/cred.fish",
    };
    if (CREDD_HAVE_MAN) {
        expected.insert(
            {mandir + "/man1/cred.1", mandir + "/man1/credd.1", mandir + "/man7/credd-protocol.7"});
    }
    const std::string root = installed().root.path();
    std::set<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (!e.is_directory() || e.is_symlink()) {
            files.insert(e.path().string().substr(root.size()));
        }
    }
    EXPECT_EQ(files, expected);
}

TEST_F(Install, TheHelperNamesAreLinksToCred) {
    for (const char* link : {"git-credential-credd", "docker-credential-credd"}) {
        const fs::path path = staged(bindir + "/" + link);
        ASSERT_TRUE(fs::is_symlink(path)) << path;
        EXPECT_EQ(fs::read_symlink(path), "cred") << "a relative link survives a moved prefix";
        EXPECT_TRUE(fs::equivalent(path, staged(bindir + "/cred")));
    }
}

TEST_F(Install, InstalledBinariesRunFromTheStagingDirectory) {
    ProcessOptions o;
    o.argv = {staged(bindir + "/cred"), "--version"};
    const ProcessResult cred = run_process(o);
    EXPECT_EQ(cred.exit_code(), 0) << cred.describe();
    EXPECT_EQ(cred.out, "cred " CREDD_VERSION " (protocol 1)\n");

    o.argv = {staged(bindir + "/credd"), "--help"};
    const ProcessResult credd = run_process(o);
    EXPECT_EQ(credd.exit_code(), 0) << credd.describe();
    o.argv = {CREDD_PATH, "--help"};
    EXPECT_EQ(credd.out, run_process(o).out);
}

TEST_F(Install, TheServiceRunsTheInstalledCreddWithTheAgreedSettings) {
    const std::string service = slurp(staged(unitdir + "/credd.service"));
    for (const std::string& line : std::vector<std::string>{
             "Type=notify", "ExecStart=" + bindir + "/credd",
             "Documentation=man:credd(1) man:cred(1) man:credd-protocol(7)", "NoNewPrivileges=yes",
             "ProtectSystem=strict", "PrivateTmp=yes",
             "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6", "MemoryDenyWriteExecute=yes",
             "LockPersonality=yes", "SystemCallFilter=@system-service", "UMask=0077"}) {
        EXPECT_TRUE(contains(service, "\n" + line + "\n")) << "credd.service lacks " << line;
    }
    const std::string socket = slurp(staged(unitdir + "/credd.socket"));
    for (const std::string line :
         {"ListenStream=%t/credd/socket", "SocketMode=0600", "DirectoryMode=0700"}) {
        EXPECT_TRUE(contains(socket, "\n" + line + "\n")) << "credd.socket lacks " << line;
    }
}

// systemd-analyze loads the units as a user manager would, runs the checks it can (an
// executable ExecStart, each Documentation= page found by man), and fails on any
// diagnostic. The prefix is not installed, so a copy points ExecStart into the staging
// directory, and MANPATH at the staged pages.
TEST_F(Install, SystemdAnalyzeVerifyAcceptsTheUserUnits) {
    const std::string analyze = find_program("systemd-analyze");
    if (analyze.empty()) {
        GTEST_SKIP() << "systemd-analyze is not installed (Debian package systemd)";
    }
    if (!CREDD_HAVE_MAN) {
        GTEST_SKIP() << "the man pages were not built (no scdoc), so Documentation= cannot "
                        "resolve";
    }
    TempDir work;
    const std::string runtime = work.file("run");
    fs::create_directory(runtime);
    std::vector<std::string> units;
    for (const char* name : {"credd.socket", "credd.service"}) {
        std::string text = slurp(staged(unitdir + "/" + name));
        const std::string exec = "ExecStart=" + bindir;
        if (const auto at = text.find(exec); at != std::string::npos) {
            text.replace(at, exec.size(), "ExecStart=" + staged(bindir));
        }
        units.push_back(work.file(name));
        std::ofstream(units.back()) << text;
    }
    ProcessOptions o;
    o.argv = {analyze, "verify", "--user", units[0], units[1]};
    o.env = {{"XDG_RUNTIME_DIR", runtime}, {"MANPATH", staged(mandir)}};
    const ProcessResult r = run_process(o);
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    // It reports unknown settings and specifiers as warnings but still exits 0.
    EXPECT_EQ(r.err, "") << "systemd-analyze verify had something to say";
}

// The installed git-credential-credd is the git helper, not the CLI: it answers git's
// `get` from a running daemon with the protocol's lines.
class InstalledHelper : public DaemonTest {};

TEST_F(InstalledHelper, GitCredentialCreddAnswersGitsGetFromTheDaemon) {
    ASSERT_TRUE(installed().result.status.exited_with(0)) << installed().result.describe();
    const std::string token = make_token("installed");
    add_static({"installed", "https://git.example.com", token, "alice"});
    ProcessOptions o;
    o.argv = {staged(bindir + "/git-credential-credd"), "get"};
    o.env = {{"CREDD_SOCKET", m_dirs.socket()}, {"CREDD_NO_AUTOSTART", "1"}};
    o.stdin_bytes = "protocol=https\nhost=git.example.com\n\n";
    const ProcessResult r = run_process(o);
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(r.out == "username=alice\npassword=" + token + "\n")
        << "unexpected answer (not shown: it holds the token); stderr: " << r.err;
}

} // namespace
} // namespace credd::test
