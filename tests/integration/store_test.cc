// The sealed LMDB store seen from outside: restarts keep everything, no token bytes on
// disk or in logs, private file modes, and tampered blobs reported as corrupt.
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "daemon_process.hh"
#include "daemon_test.hh"
#include "file_mode.hh"
#include "rpc_client.hh"
#include "secrets_db.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const json::object* find_credential(const json::value& response, std::string_view name) {
    const json::value* result = result_of(response);
    const auto* obj = result ? result->if_object() : nullptr;
    const auto* list = obj ? obj->if_contains("credentials") : nullptr;
    if (!list || !list->is_array()) {
        return nullptr;
    }
    for (const auto& c : list->get_array()) {
        const auto* co = c.if_object();
        const auto* n = co ? co->if_contains("name") : nullptr;
        if (n && n->is_string() && n->get_string() == name) {
            return co;
        }
    }
    return nullptr;
}

class Store : public DaemonTest {};

TEST_F(Store, RestartKeepsEverything) {
    const std::int64_t expiry = now_unix_ms() + 30LL * 24 * 3600 * 1000;
    const StaticCredential creds[] = {
        {"keep-a", "https://a.example/org", make_token("a"), "alice", expiry, {{"team", "infra"}}},
        {"keep-b", "https://b.example", make_token("b"), std::nullopt, std::nullopt, {}},
        {"keep-c",
         "https://c.example:8443/x",
         make_token("c"),
         "carol",
         std::nullopt,
         {{"env", "prod"}, {"owner", "ops"}}},
    };
    for (const auto& c : creds) {
        add_static(c);
    }
    const json::value before = rpc("credential.list");
    ASSERT_NE(result_of(before), nullptr);

    const ExitStatus stopped = m_daemon->stop();
    ASSERT_TRUE(stopped.exited_with(0)) << stopped.describe();
    restart();

    const json::value after = rpc("credential.list");
    for (const auto& c : creds) {
        const TokenAnswer answer = get_token({{"name", c.name}});
        EXPECT_TRUE(answer.is(c.token)) << c.name << ": " << answer.describe();
        const auto* was = find_credential(before, c.name);
        const auto* now = find_credential(after, c.name);
        ASSERT_TRUE(was && now) << c.name << " missing from a listing";
        for (const char* key : {"url", "username", "labels", "expires_at", "kind", "created_at"}) {
            EXPECT_EQ(json::serialize(was->at(key)), json::serialize(now->at(key)))
                << c.name << "." << key << " changed across a restart";
        }
    }
    const TokenAnswer by_url =
        get_token({{"url", "https://c.example:8443/x/y"}, {"username", "carol"}});
    EXPECT_TRUE(by_url.is(creds[2].token)) << by_url.describe();
}

TEST_F(Store, AddIsDurableWhenAnswered) {
    // credential.add answers only after the commit: a crash right after the answer
    // loses nothing.
    const std::string token = make_token("durable");
    add_static({"durable", "https://durable.example", token});
    m_daemon->kill9();
    restart();
    const TokenAnswer answer = get_token({{"name", "durable"}});
    EXPECT_TRUE(answer.is(token)) << answer.describe();
}

TEST_F(Store, RemoveIsDurableWhenAnswered) {
    add_static({"gone", "https://gone.example", make_token("gone")});
    ASSERT_NE(result_of(rpc("credential.remove", {{"name", "gone"}})), nullptr);
    m_daemon->kill9();
    restart();
    EXPECT_EQ(get_token({{"name", "gone"}}).error, "not_found");
}

TEST_F(Store, SealedFilesNeverContainTheToken) {
    const std::string token = make_token("sealed");
    add_static({"sealed", "https://sealed.example", token});
    ASSERT_TRUE(fs::exists(m_dirs.data_dir() + "/data.mdb"));
    EXPECT_TRUE(files_containing(m_dirs.root(), token).empty()) << "token bytes on disk (live)";
    m_daemon->stop();
    const auto found = files_containing(m_dirs.root(), token);
    EXPECT_TRUE(found.empty()) << "token bytes in " << (found.empty() ? "" : found.front());
    // And the credential's name is there in the clear: the search itself works.
    EXPECT_FALSE(files_containing(m_dirs.data_dir(), "sealed.example").empty());
}

TEST_F(Store, FilesAndDirectoriesArePrivate) {
    add_static({"modes", "https://modes.example", make_token("modes")});
    EXPECT_EQ(mode_of(m_dirs.data_dir()), 0700u);
    for (const char* f : {"data.mdb", "lock.mdb"}) {
        const std::string path = m_dirs.data_dir() + "/" + f;
        EXPECT_EQ(mode_of(path) & 077, 0u) << path << " is open to group or other";
    }
    EXPECT_EQ(mode_of(m_dirs.key_file()), 0600u);
    EXPECT_EQ(fs::file_size(m_dirs.key_file()), 32u) << "key file is not a raw 256-bit key";
    EXPECT_EQ(mode_of(m_dirs.config_home() + "/credd") & 077, 0u);
}

TEST_F(Store, EachWriteSealsWithAFreshNonce) {
    const std::string token = make_token("nonce");
    add_static({"nonce", "https://nonce.example", token});
    std::optional<std::string> first;
    {
        SecretsDb db(m_dirs.data_dir());
        ASSERT_TRUE(db.is_open()) << db.error();
        first = db.read("nonce");
    }
    add_static({"nonce", "https://nonce.example", token});
    SecretsDb db(m_dirs.data_dir());
    const auto second = db.read("nonce");
    ASSERT_TRUE(first && second) << "no blob under the credential's name in \"secrets\"";
    EXPECT_NE(*first, *second) << "the same token sealed twice gave the same blob";
    EXPECT_EQ(first->size(), second->size());
}

class Tamper : public DaemonTest {
protected:
    void SetUp() override {
        DaemonTest::SetUp();
        if (HasFatalFailure()) {
            return;
        }
        m_victim = make_token("victim");
        m_bystander = make_token("bystander");
        add_static({"victim", "https://victim.example", m_victim});
        add_static({"bystander", "https://bystander.example", m_bystander});
        const ExitStatus stopped = m_daemon->stop();
        ASSERT_TRUE(stopped.exited_with(0)) << stopped.describe();
    }

    // Rewrites the victim's blob while the daemon is down, then starts it again.
    void tamper_and_restart(const std::function<std::string(std::string)>& damage) {
        {
            SecretsDb db(m_dirs.data_dir());
            ASSERT_TRUE(db.is_open()) << db.error();
            const auto blob = db.read("victim");
            ASSERT_TRUE(blob.has_value()) << "no \"victim\" key in the \"secrets\" database";
            ASSERT_TRUE(db.write("victim", damage(*blob)));
        }
        restart();
    }

    void expect_victim_corrupt_and_others_served() {
        const TokenAnswer victim = get_token({{"name", "victim"}});
        EXPECT_EQ(victim.error, "corrupt") << victim.describe();
        const TokenAnswer by_url = get_token({{"url", "https://victim.example/x"}});
        EXPECT_EQ(by_url.error, "corrupt") << by_url.describe();
        const TokenAnswer other = get_token({{"name", "bystander"}});
        EXPECT_TRUE(other.is(m_bystander)) << other.describe();
        EXPECT_NE(find_credential(rpc("credential.list"), "victim"), nullptr)
            << "a corrupt credential must stay listed so the user can replace it";
        EXPECT_TRUE(m_daemon->is_running());
    }

    std::string m_victim;
    std::string m_bystander;
};

TEST_F(Tamper, FlippedCiphertextByteIsCorrupt) {
    tamper_and_restart([](std::string blob) {
        blob[blob.size() / 2] = static_cast<char>(blob[blob.size() / 2] ^ 0x01);
        return blob;
    });
    expect_victim_corrupt_and_others_served();
}

TEST_F(Tamper, FlippedTagByteIsCorrupt) {
    tamper_and_restart([](std::string blob) {
        blob.back() = static_cast<char>(blob.back() ^ 0x80);
        return blob;
    });
    expect_victim_corrupt_and_others_served();
}

TEST_F(Tamper, CredReportsCorruptAsAnErrorWithExitCode1) {
    tamper_and_restart([](std::string blob) {
        blob[blob.size() / 2] = static_cast<char>(blob[blob.size() / 2] ^ 0x01);
        return blob;
    });
    const ProcessResult r = cred({"token", "victim"});
    EXPECT_EQ(r.exit_code(), 1) << r.describe();
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(r.err.rfind("cred: ", 0), 0u) << r.err;
    const ProcessResult list = cred({"list"});
    EXPECT_EQ(list.exit_code(), 0) << list.describe();
    EXPECT_TRUE(contains(list.out, "victim"));
}

TEST_F(Tamper, TruncatedBlobIsCorrupt) {
    tamper_and_restart([](std::string blob) { return blob.substr(0, 5); });
    expect_victim_corrupt_and_others_served();
}

TEST_F(Tamper, EmptyBlobIsCorrupt) {
    tamper_and_restart([](std::string) { return std::string(); });
    expect_victim_corrupt_and_others_served();
}

TEST_F(Tamper, BlobOfAnotherCredentialIsCorrupt) {
    // The name is the associated data: a valid blob moved under another name fails.
    std::optional<std::string> other_blob;
    {
        SecretsDb db(m_dirs.data_dir());
        other_blob = db.read("bystander");
    }
    ASSERT_TRUE(other_blob.has_value());
    tamper_and_restart([&](std::string) { return *other_blob; });
    expect_victim_corrupt_and_others_served();
}

TEST_F(Tamper, ReplacingACorruptCredentialRepairsIt) {
    tamper_and_restart([](std::string blob) {
        blob[blob.size() / 2] = static_cast<char>(blob[blob.size() / 2] ^ 0x01);
        return blob;
    });
    const std::string fresh = make_token("fresh");
    add_static({"victim", "https://victim.example", fresh});
    const TokenAnswer answer = get_token({{"name", "victim"}});
    EXPECT_TRUE(answer.is(fresh)) << answer.describe();
}

TEST_F(Tamper, WrongKeyIsRefusedAndNothingIsServed) {
    // Another key file (same size, other bytes): the store's key check does not open, so
    // the key is refused as a whole; nothing opens, nothing crashes.
    std::string key = read_file(m_dirs.key_file());
    ASSERT_EQ(key.size(), 32u);
    for (auto& b : key) {
        b = static_cast<char>(b ^ 0x5a);
    }
    {
        std::ofstream out(m_dirs.key_file(), std::ios::binary | std::ios::trunc);
        out << key;
    }
    restart();
    EXPECT_EQ(get_token({{"name", "victim"}}).error, "key_unavailable");
    EXPECT_EQ(get_token({{"name", "bystander"}}).error, "key_unavailable");
}

class Logging : public DaemonTest {
protected:
    DaemonOptions daemon_options() const override { return {{"--log-level", "trace"}}; }
};

TEST_F(Logging, NoTokenInTheLogEvenAtTrace) {
    const std::string token = make_token("logged");
    const std::string rotated = make_token("rotated");
    ProcessResult r = cred({"add", "logged", "--url", "https://logged.example", "--username",
                            "alice", "--expires-at", "+30d", "--label", "team=infra"},
                           token);
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"token", "logged"},
             {"token", "--url", "https://logged.example/repo.git", "--json"},
             {"list"},
             {"list", "--json"},
             {"status"},
             {"status", "logged", "--json"},
             {"update", "logged", "--expires-at", "+60d"}}) {
        r = cred(args);
        EXPECT_EQ(r.exit_code(), 0) << args.front() << ": " << r.describe();
        EXPECT_FALSE(contains(r.err, token)) << args.front() << " put the token on stderr";
    }
    r = cred({"add", "logged", "--url", "https://logged.example"}, rotated);
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    // Refused requests that carry a secret: the refusal must not echo it.
    RpcClient raw(m_daemon->socket_path());
    raw.call("credential.add",
             {{"name", "../bad"}, {"url", "https://x.example"}, {"secret", {{"token", token}}}});
    raw.call("credential.add",
             {{"name", "bad-url"}, {"url", token}, {"secret", {{"token", token}}}});
    r = cred({"remove", "logged"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();

    const ExitStatus stopped = m_daemon->stop();
    EXPECT_TRUE(stopped.exited_with(0)) << stopped.describe();
    const std::string log = m_daemon->log();
    EXPECT_FALSE(log.empty()) << "nothing logged at trace: the check proves nothing";
    EXPECT_GT(count_lines_with(log, {"token.get"}), 0u) << "requests are not logged by method";
    EXPECT_FALSE(contains(log, token)) << "the daemon log contains a token";
    EXPECT_FALSE(contains(log, rotated)) << "the daemon log contains a token";
}

using RequestLog = DaemonTest;

// The default level logs each change and each failure as one line naming its method,
// and leaves successful reads out: a busy client makes thousands a second.
TEST_F(RequestLog, DefaultLevelLogsChangesAndFailuresOneLineEach) {
    const std::size_t adds_before = count_lines_with(m_daemon->log(), {"credential.add"});
    add_static({"counted", "https://counted.example", make_token("counted")});
    const std::size_t gets_before = count_lines_with(m_daemon->log(), {"token.get"});
    RpcClient client(m_daemon->socket_path());
    for (int i = 0; i < 3; ++i) {
        client.call("token.get", {{"name", "counted"}});
    }
    for (int i = 0; i < 2; ++i) {
        client.call("token.get", {{"name", "missing"}});
    }
    const auto failures = [&] {
        return count_lines_with(m_daemon->log(), {"token.get", "not_found"});
    };
    EXPECT_TRUE(wait_until([&] { return failures() >= 2; }, 5s))
        << "2 failed requests, " << failures() << " log lines naming token.get and not_found";
    EXPECT_EQ(count_lines_with(m_daemon->log(), {"token.get"}) - gets_before, 2u)
        << "successful reads are logged at the default level";
    EXPECT_EQ(count_lines_with(m_daemon->log(), {"credential.add", "ok"}) - adds_before, 1u)
        << "a change is not logged exactly once";
}

class DebugRequestLog : public DaemonTest {
protected:
    DaemonOptions daemon_options() const override { return {{"--log-level", "debug"}}; }
};

TEST_F(DebugRequestLog, OneLinePerRequestNamingTheMethod) {
    add_static({"counted", "https://counted.example", make_token("counted")});
    const std::size_t before = count_lines_with(m_daemon->log(), {"token.get"});
    RpcClient client(m_daemon->socket_path());
    for (int i = 0; i < 3; ++i) {
        client.call("token.get", {{"name", "counted"}});
    }
    const auto logged = [&] { return count_lines_with(m_daemon->log(), {"token.get"}) - before; };
    EXPECT_TRUE(wait_until([&] { return logged() >= 3; }, 5s))
        << "3 requests, " << logged() << " log lines naming token.get";
    EXPECT_EQ(logged(), 3u) << "more than one line per request at debug";
}

} // namespace
} // namespace credd::test
