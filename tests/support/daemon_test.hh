// DaemonTest: a gtest fixture with a running credd on private dirs and helpers to drive it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <gtest/gtest.h>

#include "daemon_dirs.hh"
#include "daemon_process.hh"
#include "process.hh"
#include "rpc_client.hh"
#include "temp_dir.hh"

namespace credd::test {

// A static credential as a test adds it over the socket.
struct StaticCredential {
    std::string name;
    std::string url;
    std::string token;
    std::optional<std::string> username = {};
    std::optional<std::int64_t> expires_at = {}; // unix ms
    std::map<std::string, std::string> labels = {};
};

// A random token that appears nowhere else, so finding its bytes anywhere (a log, the
// store file) can only mean it leaked. `tag` keeps tokens of one test apart.
std::string make_token(std::string_view tag);
std::int64_t now_unix_ms();
bool contains(std::string_view haystack, std::string_view needle);
// Every regular file under `dir` whose bytes contain `needle` (a leak check).
std::vector<std::string> files_containing(const std::string& dir, const std::string& needle);
// How many lines of `text` contain every one of `needles` (case-sensitive).
std::size_t count_lines_with(std::string_view text,
                             std::initializer_list<std::string_view> needles);
// Whether `out` is exactly `token`, optionally followed by one newline.
bool is_exactly_token(std::string_view out, std::string_view token);

// What token.get answered. Printing it never shows the token.
struct TokenAnswer {
    std::optional<std::string> token;
    std::string name;  // of the credential that answered
    std::string error; // data.code, or "no answer"
    bool is(std::string_view expected) const { return token && *token == expected; }
    // "token from NAME (not shown)" or "error CODE", for assertion messages.
    std::string describe() const;
};

// Starts credd in SetUp (a fatal failure if it does not become ready). TearDown stops a
// daemon the test left running and expects a clean exit 0: whatever a test sent, the
// daemon must still be alive and shut down cleanly (under ASan: without leaks).
class DaemonTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    // Flags for the daemon SetUp starts; override per suite.
    virtual DaemonOptions daemon_options() const { return {}; }

    // Starts a new daemon on the same dirs (after the old one stopped or was killed).
    void restart(DaemonOptions options = {});

    // Runs the real `cred` against this daemon.
    ProcessResult cred(std::vector<std::string> args, std::string stdin_bytes = {},
                       std::vector<EnvVar> extra_env = {}) const;
    // One request on a fresh connection; the parsed response (null if none came).
    boost::json::value rpc(std::string_view method, const boost::json::object& params = {}) const;
    // credential.add over the socket; a non-fatal failure if the daemon refuses.
    void add_static(const StaticCredential& c) const;
    // token.get over the socket with these params ({"name":…} or {"url":…}).
    TokenAnswer get_token(const boost::json::object& params) const;

    TempDir m_temp;
    DaemonDirs m_dirs{m_temp};
    std::unique_ptr<DaemonProcess> m_daemon;
};

} // namespace credd::test
