// The data key in a real Secret Service: gnome-keyring on a private D-Bus session bus.
#include <filesystem>
#include <future>
#include <map>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "daemon_test.hh"
#include "secrets_db.hh"
#include "session_bus.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

bool exists(const std::string& path) {
    std::error_code ec;
    return fs::exists(path, ec);
}

// A daemon on its own session bus, with gnome-keyring on it unless a suite says not.
class KeyringTest : public DaemonTest {
protected:
    virtual bool with_keyring() const { return true; }

    void SetUp() override {
        ASSERT_TRUE(m_bus.ready()) << m_bus.failure();
        if (with_keyring()) {
            ASSERT_TRUE(m_bus.start_keyring()) << "gnome-keyring-daemon did not come up";
        }
        DaemonTest::SetUp();
    }
    void TearDown() override {
        m_bus.thaw_keyring();
        DaemonTest::TearDown();
    }

    DaemonOptions daemon_options() const override { return options({}); }
    DaemonOptions options(std::vector<EnvVar> extra_env, std::string key_store = "") const {
        DaemonOptions o;
        o.key_store = std::move(key_store); // empty: credd's default, auto
        o.env = m_bus.env();
        o.env.insert(o.env.end(), extra_env.begin(), extra_env.end());
        return o;
    }
    void restart_on_bus(std::vector<EnvVar> extra_env = {}) {
        if (m_daemon && m_daemon->is_running()) {
            ASSERT_TRUE(m_daemon->stop().exited_with(0));
        }
        restart(options(std::move(extra_env)));
    }

    json::object info() const {
        const json::value response = rpc("daemon.info");
        const json::value* r = result_of(response);
        return r && r->is_object() ? r->get_object() : json::object();
    }
    // Waits for the key gate to settle (ready or failed) and returns daemon.info.
    json::object settled_info() const {
        json::object i;
        wait_until(
            [&] {
                i = info();
                return string_at(i, "key_state") != "loading";
            },
            15s);
        return i;
    }
    std::string key_error_code(const json::object& i) const {
        const auto* e = i.if_contains("key_error");
        return e && e->is_object() ? string_at(e->get_object(), "code") : "";
    }
    std::size_t items() {
        const auto n = m_bus.count_key_items(m_dirs.data_dir());
        EXPECT_TRUE(n.has_value()) << "SearchItems failed";
        return n.value_or(0);
    }
    // The names credential.list answers with, comma-separated.
    std::string find_credential_names() const {
        std::string names;
        const json::value response = rpc("credential.list");
        const json::value* r = result_of(response);
        const auto* list =
            r && r->is_object() ? r->get_object().if_contains("credentials") : nullptr;
        if (list && list->is_array()) {
            for (const auto& c : list->get_array()) {
                names += (names.empty() ? "" : ",") + string_at(c.get_object(), "name");
            }
        }
        return names;
    }
    ProcessResult cred_on_bus(std::vector<std::string> args) const {
        return cred(std::move(args), {}, m_bus.env());
    }
    // Adds `tokens` (name → token) and checks each is served.
    void add_all(const std::map<std::string, std::string>& tokens) const {
        for (const auto& [name, token] : tokens) {
            add_static({name, "https://" + name + ".example", token});
        }
        expect_all_served(tokens);
    }
    void expect_all_served(const std::map<std::string, std::string>& tokens) const {
        for (const auto& [name, token] : tokens) {
            const TokenAnswer a = get_token({{"name", name}});
            EXPECT_TRUE(a.is(token)) << name << ": " << a.describe();
        }
    }

    SessionBus m_bus{m_dirs};
};

using Keyring = KeyringTest;

TEST_F(Keyring, FirstStartCreatesTheKeyItemLaterStartsReuseIt) {
    const json::object first = settled_info();
    EXPECT_EQ(string_at(first, "key_store"), "auto");
    EXPECT_EQ(string_at(first, "key_protection"), "keyring");
    EXPECT_EQ(string_at(first, "key_state"), "ready");
    EXPECT_TRUE(contains(string_at(first, "key_location"), m_dirs.data_dir()));
    EXPECT_EQ(items(), 1u);
    const std::string token = make_token("reuse");
    add_all({{"reuse", token}});

    for (int run = 0; run < 2; ++run) {
        restart_on_bus();
        EXPECT_EQ(string_at(settled_info(), "key_protection"), "keyring");
        expect_all_served({{"reuse", token}});
        EXPECT_EQ(items(), 1u) << "a later start made a second key item";
    }
    EXPECT_FALSE(exists(m_dirs.key_file())) << "auto wrote a key file beside the keyring";
}

TEST_F(Keyring, TheStoreFilesNeverHoldAStoredToken) {
    const std::string token = make_token("scan");
    add_all({{"scan", token}});
    EXPECT_TRUE(files_containing(m_dirs.data_dir(), token).empty()) << "token in the store (live)";
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    const auto found = files_containing(m_dirs.data_dir(), token);
    EXPECT_TRUE(found.empty()) << "token bytes in " << (found.empty() ? "" : found.front());
    EXPECT_FALSE(files_containing(m_dirs.data_dir(), "scan.example").empty())
        << "the scan itself finds the record's clear-text URL";
}

TEST_F(Keyring, TwoStoresOnOneMachineHaveTheirOwnItems) {
    settled_info();
    const std::string other = m_dirs.root() + "/other-store";
    DaemonOptions o = options({});
    o.socket = m_dirs.root() + "/other.sock";
    o.args = {"--data-dir", other};
    DaemonProcess second(m_dirs, o);
    ASSERT_TRUE(second.ready()) << second.failure();
    EXPECT_TRUE(wait_until([&] { return m_bus.count_key_items(other) == 1u; }, 15s));
    EXPECT_EQ(items(), 1u);
    EXPECT_TRUE(second.stop().exited_with(0));
}

TEST_F(Keyring, StatusAndKeystoreShowTheProtection) {
    settled_info();
    add_all({{"shown", make_token("shown")}});
    ProcessResult r = cred_on_bus({"status"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(contains(r.out, "key protection: keyring")) << r.out;
    r = cred_on_bus({"status", "shown", "--json"});
    EXPECT_TRUE(contains(r.out, R"("protection":"keyring")")) << r.out;
    r = cred_on_bus({"keystore"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(count_lines_with(r.out, {"protection:", "keyring"}), 1u) << r.out;
    EXPECT_EQ(count_lines_with(r.out, {"state:", "ready"}), 1u) << r.out;
}

TEST_F(Keyring, LockedCollectionAnswersKeyringLockedAndLosesNothing) {
    const std::string token = make_token("locked");
    add_all({{"locked", token}});
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    ASSERT_TRUE(m_bus.lock_default_collection());
    restart_on_bus();

    const json::value refused = rpc("token.get", {{"name", "locked"}});
    EXPECT_EQ(error_code_of(refused), "keyring_locked");
    EXPECT_TRUE(contains(json::serialize(refused), "unlock")) << json::serialize(refused);
    const json::object i = settled_info();
    EXPECT_EQ(key_error_code(i), "keyring_locked");
    // What needs no secret is still served, and the credential is still there.
    EXPECT_NE(result_of(rpc("credential.list")), nullptr);
    EXPECT_TRUE(contains(json::serialize(rpc("credential.status", {{"name", "locked"}})),
                         R"("status":"fresh")"));
    const ProcessResult r = cred_on_bus({"token", "locked"});
    EXPECT_NE(r.exit_code(), 0);
    EXPECT_TRUE(contains(r.err, "hint: unlock")) << r.err;
    EXPECT_FALSE(contains(r.err, token));

    // Unlocking (here: the keyring restarted with its password) is all it takes: the
    // same daemon retries on the next request that needs the key.
    m_bus.stop_keyring();
    ASSERT_TRUE(m_bus.start_keyring());
    expect_all_served({{"locked", token}});
    EXPECT_EQ(items(), 1u);
}

TEST_F(Keyring, DeletedKeyItemIsReportedAndTheSealedDataIsUntouched) {
    const std::string token = make_token("deleted");
    add_all({{"deleted", token}, {"bystander", make_token("bystander")}});
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    std::map<std::string, std::string> sealed;
    {
        SecretsDb db(m_dirs.data_dir());
        ASSERT_TRUE(db.is_open()) << db.error();
        for (const auto& name : db.names()) {
            sealed[name] = db.read(name).value_or("");
        }
    }
    ASSERT_EQ(sealed.size(), 2u);
    ASSERT_TRUE(m_bus.delete_key_items(m_dirs.data_dir()));
    ASSERT_EQ(items(), 0u);
    restart_on_bus();

    const json::value refused = rpc("token.get", {{"name", "deleted"}});
    EXPECT_EQ(error_code_of(refused), "key_unavailable");
    const std::string text = json::serialize(refused);
    EXPECT_TRUE(contains(text, "not found")) << text;
    EXPECT_TRUE(contains(text, "untouched")) << text;
    EXPECT_EQ(key_error_code(settled_info()), "key_unavailable");
    EXPECT_EQ(items(), 0u) << "a new key was made for a store that has secrets";
    EXPECT_FALSE(exists(m_dirs.key_file()));
    // Writing a secret is refused too, rather than sealed with some other key.
    const json::value add = rpc("credential.add", {{"name", "new"},
                                                   {"url", "https://new.example"},
                                                   {"secret", {{"token", make_token("new")}}}});
    EXPECT_EQ(error_code_of(add), "key_unavailable");
    EXPECT_NE(find_credential_names().find("deleted"), std::string::npos);

    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    SecretsDb db(m_dirs.data_dir());
    ASSERT_TRUE(db.is_open()) << db.error();
    EXPECT_EQ(db.names().size(), 2u);
    for (const auto& [name, blob] : sealed) {
        EXPECT_EQ(db.read(name), blob) << name << ": sealed blob changed";
    }
}

TEST_F(Keyring, MigrationRoundTripsKeyringFileKeyring) {
    const std::map<std::string, std::string> tokens{
        {"one", make_token("one")}, {"two", make_token("two")}, {"three", make_token("three")}};
    add_all(tokens);

    ProcessResult r = cred_on_bus({"keystore", "migrate", "--to", "file"});
    ASSERT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(contains(r.out, "moved the data key to file")) << r.out;
    EXPECT_TRUE(exists(m_dirs.key_file()));
    EXPECT_EQ(fs::status(m_dirs.key_file()).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(items(), 0u) << "the old keyring copy was not deleted";
    EXPECT_EQ(string_at(info(), "key_protection"), "file");
    expect_all_served(tokens);
    restart_on_bus();
    EXPECT_EQ(string_at(settled_info(), "key_protection"), "file");
    expect_all_served(tokens);

    r = cred_on_bus({"keystore", "migrate", "--to", "keyring"});
    ASSERT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_FALSE(exists(m_dirs.key_file())) << "the old key file was not deleted";
    EXPECT_EQ(items(), 1u);
    restart_on_bus();
    EXPECT_EQ(string_at(settled_info(), "key_protection"), "keyring");
    expect_all_served(tokens);
}

TEST_F(Keyring, AfterAMigrationTheOldExplicitKeyStoreSaysWhereTheKeyWent) {
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    restart(options({}, "keyring"));
    const std::string token = make_token("pinned");
    add_all({{"pinned", token}});
    const ProcessResult r = cred_on_bus({"keystore", "migrate", "--to", "file"});
    ASSERT_EQ(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(contains(m_daemon->log(), "start it next time with --key-store=file"));

    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    restart(options({}, "keyring"));
    const json::object i = settled_info();
    EXPECT_EQ(key_error_code(i), "key_unavailable");
    const std::string text = json::serialize(i);
    EXPECT_TRUE(contains(text, m_dirs.key_file() + " holds one")) << text;
    EXPECT_TRUE(contains(text, "start credd with --key-store=file")) << text;
    EXPECT_EQ(error_code_of(rpc("token.get", {{"name", "pinned"}})), "key_unavailable");

    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    restart(options({}, "file"));
    expect_all_served({{"pinned", token}});
}

// Killed at each step of a migration, the daemon comes back with every credential, and
// running the migration again finishes it.
struct Interruption {
    const char* to;
    const char* step;
};

class KeyringMigrationKilled : public KeyringTest,
                               public ::testing::WithParamInterface<Interruption> {};

TEST_P(KeyringMigrationKilled, NothingIsLostAndRunningAgainFinishes) {
    const auto [to, step] = GetParam();
    const std::string from = std::string(to) == "file" ? "keyring" : "file";
    const std::map<std::string, std::string> tokens{{"alpha", make_token("alpha")},
                                                    {"beta", make_token("beta")}};
    add_all(tokens);
    if (from == "file") {
        ASSERT_EQ(cred_on_bus({"keystore", "migrate", "--to", "file"}).exit_code(), 0);
    }
    restart_on_bus({{"CREDD_TEST_KILL_MIGRATION_AT", step}});
    EXPECT_EQ(string_at(settled_info(), "key_protection"), from);

    const ProcessResult killed = cred_on_bus({"keystore", "migrate", "--to", to});
    EXPECT_NE(killed.exit_code(), 0) << "the daemon was meant to die at " << step;
    ASSERT_TRUE(wait_until([&] { return !m_daemon->is_running(); }, 10s));

    restart_on_bus();
    settled_info();
    expect_all_served(tokens);

    const ProcessResult again = cred_on_bus({"keystore", "migrate", "--to", to});
    ASSERT_EQ(again.exit_code(), 0) << again.describe();
    EXPECT_EQ(string_at(info(), "key_protection"), to);
    EXPECT_EQ(items(), std::string(to) == "keyring" ? 1u : 0u);
    EXPECT_EQ(exists(m_dirs.key_file()), std::string(to) == "file");
    restart_on_bus();
    EXPECT_EQ(string_at(settled_info(), "key_protection"), to);
    expect_all_served(tokens);
}

INSTANTIATE_TEST_SUITE_P(
    Steps, KeyringMigrationKilled,
    ::testing::Values(Interruption{"file", "written"}, Interruption{"file", "verified"},
                      Interruption{"file", "switched"}, Interruption{"keyring", "written"},
                      Interruption{"keyring", "switched"}),
    [](const auto& info) { return std::string(info.param.to) + "_" + info.param.step; });

TEST_F(Keyring, AHungKeyringCostsOnlyItsDeadline) {
    settled_info();
    const std::string token = make_token("hung");
    add_all({{"hung", token}});
    // The key is loaded: a keyring that stops answering changes nothing for token.get.
    m_bus.freeze_keyring();
    expect_all_served({{"hung", token}});

    // A daemon that still has to ask: token.get waits at most the deadline, and the
    // I/O thread answers everything else meanwhile.
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    DaemonOptions o = options({});
    o.args = {"--keyring-timeout", "1"};
    restart(o);
    const auto before = std::chrono::steady_clock::now();
    RpcClient slow(m_daemon->socket_path());
    const json::value refused = slow.call("token.get", {{"name", "hung"}});
    const auto waited = std::chrono::steady_clock::now() - before;
    EXPECT_EQ(error_code_of(refused), "keyring_unavailable") << json::serialize(refused);
    EXPECT_TRUE(contains(json::serialize(refused), "no answer")) << json::serialize(refused);
    EXPECT_LT(waited, 5s);
    const auto info_before = std::chrono::steady_clock::now();
    EXPECT_NE(result_of(rpc("credential.list")), nullptr);
    EXPECT_LT(std::chrono::steady_clock::now() - info_before, 500ms);
    m_bus.thaw_keyring();
    // The abandoned call may still be returning (no second call starts meanwhile): the
    // key comes with the next request after it has.
    EXPECT_TRUE(wait_until([&] { return get_token({{"name", "hung"}}).is(token); }, 15s));
}

// How many threads `pid` has (/proc/PID/task), or 0 if it cannot be read.
std::size_t thread_count(pid_t pid) {
    std::size_t n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        ++n;
    }
    return n;
}

TEST_F(Keyring, SigtermWhileTheKeyWaitsOnAHungKeyringExitsAtOnce) {
    settled_info();
    const std::string token = make_token("stopping");
    add_all({{"stopping", token}});
    m_bus.freeze_keyring();
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    // The default deadline, 10 s, and a call that ignores cancellation: the key load is
    // stuck in it, and its thread stays stuck while credd exits.
    restart(options({{"CREDD_TEST_KEYRING_UNCANCELLABLE", "1"}}));
    ASSERT_EQ(string_at(info(), "key_state"), "loading");
    // A request that may be waiting for the key when SIGTERM comes (or not read yet).
    auto waiting = std::async(std::launch::async, [socket = m_daemon->socket_path()] {
        RpcClient client(socket);
        return client.call("token.get", {{"name", "stopping"}});
    });
    const auto before = std::chrono::steady_clock::now();
    const ExitStatus status = m_daemon->stop();
    const auto took = std::chrono::steady_clock::now() - before;
    EXPECT_TRUE(status.exited_with(0)) << status.describe();
    EXPECT_LT(took, 5s) << "credd(1) promises an exit within 5 s of SIGTERM";
    const json::value answer = waiting.get();
    EXPECT_EQ(result_of(answer), nullptr) << "no key, yet a token: " << json::serialize(answer);
}

TEST_F(Keyring, PollingAHungKeyringKeepsAtMostOneStuckThread) {
    settled_info();
    const std::string token = make_token("polled");
    add_all({{"polled", token}});
    m_bus.freeze_keyring();
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    // Calls that ignore cancellation, as one stuck where GIO does not honour it: each
    // stays stuck until the keyring answers.
    DaemonOptions o = options({{"CREDD_TEST_KEYRING_UNCANCELLABLE", "1"}});
    o.args = {"--keyring-timeout", "1"};
    restart(o);
    const json::value first = rpc("token.get", {{"name", "polled"}});
    EXPECT_EQ(error_code_of(first), "keyring_unavailable") << json::serialize(first);
    const std::size_t baseline = thread_count(m_daemon->pid());
    ASSERT_GT(baseline, 0u);
    const auto before = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) {
        const json::value again = rpc("token.get", {{"name", "polled"}});
        EXPECT_EQ(error_code_of(again), "keyring_unavailable") << json::serialize(again);
        EXPECT_TRUE(contains(json::serialize(again), "still not returned"))
            << json::serialize(again);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - before, 4s)
        << "while a call is stuck, the next ones are answered at once";
    EXPECT_LE(thread_count(m_daemon->pid()), baseline)
        << "each poll of a hung keyring left a thread behind";
    m_bus.thaw_keyring();
    // Once the stuck call returns, the next request tries again and gets the key.
    EXPECT_TRUE(wait_until([&] { return get_token({{"name", "polled"}}).is(token); }, 15s));
}

// No Secret Service on the bus (a server, an SSH session).
class NoKeyring : public KeyringTest {
protected:
    bool with_keyring() const override { return false; }
};

TEST_F(NoKeyring, AnswersKeyringUnavailableWithAHintAndWritesNothing) {
    const json::object i = settled_info();
    EXPECT_EQ(string_at(i, "key_state"), "failed");
    EXPECT_EQ(string_at(i, "key_protection"), "none");
    EXPECT_EQ(key_error_code(i), "keyring_unavailable");

    const json::value add = rpc("credential.add", {{"name", "refused"},
                                                   {"url", "https://refused.example"},
                                                   {"secret", {{"token", make_token("x")}}}});
    EXPECT_EQ(error_code_of(add), "keyring_unavailable");
    const std::string text = json::serialize(add);
    EXPECT_TRUE(contains(text, "gnome-keyring-daemon --unlock")) << text;
    EXPECT_TRUE(contains(text, "--key-store=file")) << text;
    EXPECT_EQ(error_code_of(rpc("token.get", {{"name", "refused"}})), "keyring_unavailable");

    // Everything that needs no secret is served.
    EXPECT_NE(result_of(rpc("credential.list")), nullptr);
    EXPECT_NE(result_of(rpc("credential.status")), nullptr);
    EXPECT_EQ(find_credential_names(), "");
    // Nothing was written: no key file, not even its directory.
    EXPECT_FALSE(exists(m_dirs.key_file()));
    EXPECT_FALSE(exists(m_dirs.config_home() + "/credd"));

    const ProcessResult r = cred_on_bus({"keystore"});
    EXPECT_NE(r.exit_code(), 0);
    EXPECT_TRUE(contains(r.err, "hint: start a keyring")) << r.err;
}

TEST_F(NoKeyring, AnExistingKeyFileIsUsedAndSaidSo) {
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    restart(options({}, "file"));
    const std::string token = make_token("filed");
    add_all({{"filed", token}});
    restart_on_bus();
    EXPECT_EQ(string_at(settled_info(), "key_protection"), "file");
    expect_all_served({{"filed", token}});
    EXPECT_TRUE(contains(m_daemon->log(), "using the existing key file"));
}

TEST_F(NoKeyring, KeyStoreKeyringNeverFallsBackToTheKeyFile) {
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    restart(options({}, "file"));
    add_all({{"pinned", make_token("pinned")}});
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    restart(options({}, "keyring"));
    const json::object i = settled_info();
    EXPECT_EQ(string_at(i, "key_store"), "keyring");
    EXPECT_EQ(key_error_code(i), "keyring_unavailable");
    EXPECT_EQ(error_code_of(rpc("token.get", {{"name", "pinned"}})), "keyring_unavailable");
}

TEST_F(NoKeyring, NoSessionBusAtAllIsKeyringUnavailable) {
    ASSERT_TRUE(m_daemon->stop().exited_with(0));
    restart(options({{"DBUS_SESSION_BUS_ADDRESS", std::nullopt}}));
    const json::object i = settled_info();
    EXPECT_EQ(key_error_code(i), "keyring_unavailable");
    EXPECT_TRUE(contains(json::serialize(i), "no D-Bus session bus")) << json::serialize(i);
    EXPECT_NE(result_of(rpc("credential.list")), nullptr);
}

} // namespace
} // namespace credd::test
