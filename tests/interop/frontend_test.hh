// FrontendTest: a running credd plus the real cred binary under its helper names
// (git-credential-credd, docker-credential-credd) and real git on an isolated HOME.
#pragma once

#include <string>
#include <vector>

#include "daemon_test.hh"

namespace credd::test {

// What `git credential fill` printed, as key → value (the last of a key wins).
struct GitCredentialOutput {
    std::vector<std::pair<std::string, std::string>> lines;
    std::string value(std::string_view key) const; // "" when absent
    bool has(std::string_view key) const;
};
GitCredentialOutput parse_git_output(std::string_view out);

class FrontendTest : public DaemonTest {
protected:
    void SetUp() override;

    std::string git_helper_path() const { return m_bin + "/git-credential-credd"; }
    std::string docker_helper_path() const { return m_bin + "/docker-credential-credd"; }
    // A file the askpass program appends each prompt to, one a line.
    std::string askpass_log() const { return m_temp.file("askpass.log"); }
    std::string askpass_prompts() const;

    // The environment git runs in: the daemon's dirs, no system or global config, no
    // terminal prompts, and an askpass that answers "askuser" / "askpass" and logs.
    std::vector<EnvVar> git_env() const;
    // Real git with only credd as credential helper; `config` adds -c options.
    ProcessResult git(std::vector<std::string> args, std::string stdin_bytes = {},
                      std::vector<std::string> config = {}) const;
    // `git credential fill|approve|reject` with `input` (key=value lines).
    ProcessResult git_credential(std::string_view action, std::string input,
                                 std::vector<std::string> config = {}) const;
    // The helper binaries run directly, as git or docker would.
    ProcessResult git_helper(std::vector<std::string> args, std::string stdin_bytes) const;
    ProcessResult docker_helper(std::vector<std::string> args, std::string stdin_bytes,
                                std::vector<EnvVar> extra_env = {}) const;

    std::string m_bin;
};

} // namespace credd::test
