// The man pages: they render without a warning, and they document what the binaries'
// --help shows (parsed from the real output, so it stays true as commands are added).
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <unistd.h>

#include "daemon_test.hh"
#include "process.hh"

namespace credd::test {
namespace {

const std::string man_dir = CREDD_MAN_BUILD_DIR;

std::string page(const std::string& name) {
    return man_dir + "/" + name;
}

ProcessResult run(std::vector<std::string> argv, std::vector<EnvVar> env = {}) {
    ProcessOptions o;
    o.argv = std::move(argv);
    o.env = std::move(env);
    return run_process(o);
}

// The page as text: one paragraph a line (a very long line length, no hyphenation), so a
// word is never split across lines.
std::string render(const std::string& name) {
    const ProcessResult r = run({"/usr/bin/groff", "-k", "-man", "-Tutf8", "-rLL=5000n", "-rHY=0",
                                 "-P", "-cbou", page(name)});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    return r.out;
}

std::vector<std::string> matches(const std::string& text, const std::string& pattern,
                                 std::size_t group = 0) {
    std::vector<std::string> found;
    const std::regex re(pattern, std::regex::multiline);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
         ++it) {
        found.push_back((*it)[group].str());
    }
    return found;
}

// The text under the line `heading`, up to the next line that starts at column 0.
std::string section(const std::string& text, const std::string& heading) {
    const auto start = text.find("\n" + heading + "\n");
    if (start == std::string::npos) {
        return {};
    }
    const std::string rest = text.substr(start + heading.size() + 2);
    std::smatch m;
    if (std::regex_search(rest, m, std::regex("\n[^ \n]"))) {
        return rest.substr(0, static_cast<std::size_t>(m.position(0)));
    }
    return rest;
}

// The commands under "commands:" in cred --help: the first word of each entry.
std::vector<std::string> cred_commands(const std::string& help) {
    return matches(section(help, "commands:"), "^  ([a-z][a-z-]*)", 1);
}

std::set<std::string> long_options(const std::string& text) {
    const auto found = matches(text, "--[a-z][a-z-]*[a-z]");
    return {found.begin(), found.end()};
}

class ManPage : public ::testing::Test {
protected:
    void SetUp() override {
        if (!CREDD_HAVE_MAN) {
            GTEST_SKIP() << "the man pages were not built: scdoc was not found at configure";
        }
    }
};

TEST_F(ManPage, EveryPageRendersWithoutWarnings) {
    for (const char* name : {"cred.1", "credd.1", "credd-protocol.7"}) {
        ASSERT_EQ(::access(page(name).c_str(), R_OK), 0) << page(name) << " was not built";
        const ProcessResult groff =
            run({"/usr/bin/groff", "-ww", "-k", "-man", "-Tutf8", "-z", page(name)});
        EXPECT_EQ(groff.exit_code(), 0) << name << ": " << groff.describe();
        EXPECT_EQ(groff.err, "") << name << ": groff -ww warned";
        if (::access("/usr/bin/man", X_OK) == 0) {
            const ProcessResult man = run(
                {"/usr/bin/man", "--warnings", "-E", "UTF-8", "-l", page(name)},
                {{"MANWIDTH", "80"}, {"MANPAGER", "cat"}, {"PAGER", "cat"}, {"LC_ALL", "C.UTF-8"}});
            EXPECT_EQ(man.exit_code(), 0) << name << ": " << man.describe();
            EXPECT_EQ(man.err, "") << name << ": man --warnings warned";
        }
    }
}

TEST_F(ManPage, CredPageDocumentsEveryCommandAndOptionOfCredHelp) {
    const ProcessResult help = run({CRED_PATH, "--help"});
    ASSERT_EQ(help.exit_code(), 0) << help.describe();
    const std::vector<std::string> commands = cred_commands(help.out);
    ASSERT_GE(commands.size(), 8U) << "could not parse the commands from cred --help";
    const std::string text = render("cred.1");
    const std::string documented = section(text, "COMMANDS");
    ASSERT_NE(documented, "") << "cred(1) has no COMMANDS section";
    std::set<std::string> options = long_options(help.out);
    for (const auto& command : commands) {
        EXPECT_TRUE(contains(documented, "\n       cred " + command))
            << "cred(1) COMMANDS does not document `cred " << command << "`";
        const ProcessResult command_help = run({CRED_PATH, "help", command});
        EXPECT_EQ(command_help.exit_code(), 0) << command_help.describe();
        const auto more = long_options(command_help.out);
        options.insert(more.begin(), more.end());
    }
    for (const auto& option : options) {
        EXPECT_TRUE(contains(text, option)) << "cred(1) does not mention " << option;
    }
    for (const char* heading : {"EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"}) {
        EXPECT_NE(section(text, heading), "") << "cred(1) has no " << heading << " section";
    }
    for (const char* variable : {"CREDD_SOCKET", "CREDD_NO_AUTOSTART", "CREDD_DAEMON"}) {
        EXPECT_TRUE(contains(section(text, "ENVIRONMENT"), variable)) << variable;
    }
    for (const char* example : {"credential.helper credd", "\"credsStore\": \"credd\"",
                                "args: [kube, my-cluster]", "cred exec github-work"}) {
        EXPECT_TRUE(contains(section(text, "EXAMPLES"), example)) << example;
    }
}

// credd(1)'s OPTIONS are exactly the options of credd --help.
TEST_F(ManPage, CreddPageOptionsMatchCreddHelp) {
    const ProcessResult help = run({CREDD_PATH, "--help"});
    ASSERT_EQ(help.exit_code(), 0) << help.describe();
    const std::string options = section(render("credd.1"), "OPTIONS");
    ASSERT_NE(options, "") << "credd(1) has no OPTIONS section";
    EXPECT_EQ(long_options(options), long_options(help.out));
    const std::string text = render("credd.1");
    for (const char* heading : {"FILES", "ENVIRONMENT", "SECURITY MODEL", "SIGNALS"}) {
        EXPECT_NE(section(text, heading), "") << "credd(1) has no " << heading << " section";
    }
}

TEST_F(ManPage, ProtocolPageDocumentsEveryMethod) {
    const std::string text = render("credd-protocol.7");
    // Every method name the protocol header defines, so a new method needs its page.
    std::ifstream header(CREDD_SOURCE_ROOT "/common/protocol.hh");
    const std::string source((std::istreambuf_iterator<char>(header)),
                             std::istreambuf_iterator<char>());
    const auto methods = matches(source, "std::string_view [a-z_]+ = \"([a-z]+\\.[a-z_.]+)\";", 1);
    ASSERT_GE(methods.size(), 7U) << "could not read the methods from common/protocol.hh";
    for (const auto& method : methods) {
        EXPECT_TRUE(contains("\n" + section(text, "METHODS"), "\n   " + method + "\n"))
            << "credd-protocol(7) has no subsection for " << method;
    }
}

} // namespace
} // namespace credd::test
