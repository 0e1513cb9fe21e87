// FrontendTest: helper-name links to the real cred, an askpass stub, and a git runner.
#include "frontend_test.hh"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sys/stat.h>
#include <unistd.h>

namespace credd::test {

namespace {

void write_file(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
}

} // namespace

std::string GitCredentialOutput::value(std::string_view key) const {
    std::string found;
    for (const auto& [k, v] : lines) {
        if (k == key) {
            found = v;
        }
    }
    return found;
}

bool GitCredentialOutput::has(std::string_view key) const {
    for (const auto& [k, v] : lines) {
        if (k == key) {
            return true;
        }
    }
    return false;
}

GitCredentialOutput parse_git_output(std::string_view out) {
    GitCredentialOutput parsed;
    while (!out.empty()) {
        const auto nl = out.find('\n');
        const std::string_view line = out.substr(0, nl);
        out.remove_prefix(nl == std::string_view::npos ? out.size() : nl + 1);
        const auto eq = line.find('=');
        if (eq != std::string_view::npos) {
            parsed.lines.emplace_back(line.substr(0, eq), line.substr(eq + 1));
        }
    }
    return parsed;
}

void FrontendTest::SetUp() {
    DaemonTest::SetUp();
    m_bin = m_temp.file("bin");
    ASSERT_EQ(::mkdir(m_bin.c_str(), 0700), 0) << std::strerror(errno);
    // The real binary under the names git and docker call it by.
    for (const auto& name : {git_helper_path(), docker_helper_path()}) {
        ASSERT_EQ(::symlink(CRED_PATH, name.c_str()), 0) << name << ": " << std::strerror(errno);
    }
    write_file(m_bin + "/askpass",
               "#!/bin/sh\n"
               "echo \"$1\" >>'" +
                   askpass_log() +
                   "'\n"
                   "case \"$1\" in Username*) echo askuser ;; *) echo askpass ;; esac\n",
               0700);
}

std::string FrontendTest::askpass_prompts() const {
    std::ifstream in(askpass_log());
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<EnvVar> FrontendTest::git_env() const {
    auto env = m_dirs.client_env();
    env.push_back({"GIT_CONFIG_NOSYSTEM", "1"});
    env.push_back({"GIT_CONFIG_GLOBAL", "/dev/null"});
    env.push_back({"GIT_TERMINAL_PROMPT", "0"});
    env.push_back({"GIT_ASKPASS", m_bin + "/askpass"});
    env.push_back({"SSH_ASKPASS", std::nullopt});
    env.push_back({"GIT_AUTHOR_NAME", "t"});
    env.push_back({"GIT_AUTHOR_EMAIL", "t@example.com"});
    env.push_back({"GIT_COMMITTER_NAME", "t"});
    env.push_back({"GIT_COMMITTER_EMAIL", "t@example.com"});
    return env;
}

ProcessResult FrontendTest::git(std::vector<std::string> args, std::string stdin_bytes,
                                std::vector<std::string> config) const {
    ProcessOptions o;
    // An empty value first clears any helper configured elsewhere.
    o.argv = {"/usr/bin/git", "-c", "credential.helper=", "-c",
              "credential.helper=" + git_helper_path()};
    for (const auto& c : config) {
        o.argv.push_back("-c");
        o.argv.push_back(c);
    }
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = git_env();
    o.stdin_bytes = std::move(stdin_bytes);
    return run_process(o);
}

ProcessResult FrontendTest::git_credential(std::string_view action, std::string input,
                                           std::vector<std::string> config) const {
    return git({"credential", std::string(action)}, std::move(input), std::move(config));
}

ProcessResult FrontendTest::git_helper(std::vector<std::string> args,
                                       std::string stdin_bytes) const {
    ProcessOptions o;
    o.argv = {git_helper_path()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = m_dirs.client_env();
    o.stdin_bytes = std::move(stdin_bytes);
    return run_process(o);
}

ProcessResult FrontendTest::docker_helper(std::vector<std::string> args, std::string stdin_bytes,
                                          std::vector<EnvVar> extra_env) const {
    ProcessOptions o;
    o.argv = {docker_helper_path()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = m_dirs.client_env();
    o.env.insert(o.env.end(), extra_env.begin(), extra_env.end());
    o.stdin_bytes = std::move(stdin_bytes);
    return run_process(o);
}

} // namespace credd::test
