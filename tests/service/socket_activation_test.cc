// credd under systemd: a socket passed by socket activation, readiness on NOTIFY_SOCKET,
// idle exit, and journal priorities when stderr is the journal. Driven through the real
// systemd-socket-activate where systemd's own side matters.
#include <algorithm>
#include <csignal>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_dirs.hh"
#include "daemon_process.hh"
#include "daemon_test.hh"
#include "notify_socket.hh"
#include "process.hh"
#include "rpc_client.hh"
#include "temp_dir.hh"
#include "unique_fd.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

// The program on PATH, or "" when there is none.
std::string find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string candidate = dirs.substr(start, end - start) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        start = end + 1;
    }
    return {};
}

std::string exe_of(pid_t pid) {
    char buf[4096];
    const std::string link = "/proc/" + std::to_string(pid) + "/exe";
    const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The lines of a log that do not start with a syslog priority prefix ("<0>" … "<7>").
std::string lines_without_priority(const std::string& text) {
    std::string bad;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string line = text.substr(start, end - start);
        if (line.size() < 3 || line[0] != '<' || line[1] < '0' || line[1] > '7' || line[2] != '>') {
            bad += line + "\n";
        }
        start = end + 1;
    }
    return bad;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

class ServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        // systemd creates the socket's directory (DirectoryMode=0700) before it listens.
        ASSERT_EQ(::mkdir(m_dirs.socket_dir().c_str(), 0700), 0);
    }

    // Everything a credd writes to stderr goes to the dirs' log file.
    UniqueFd open_log() const {
        return UniqueFd{
            ::open(m_dirs.log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)};
    }

    // systemd-socket-activate listening on the dirs' socket, which execs credd with
    // `args` on the first connection, passing the environment systemd would.
    std::optional<ChildProcess> activate(std::vector<std::string> args,
                                         std::vector<std::string> activate_flags = {}) {
        const std::string tool = find_on_path("systemd-socket-activate");
        if (tool.empty()) {
            return std::nullopt;
        }
        std::vector<std::string> argv{tool};
        argv.insert(argv.end(), activate_flags.begin(), activate_flags.end());
        argv.insert(argv.end(), {"-l", m_dirs.socket()});
        for (const auto& [name, value] :
             {std::pair<std::string, std::string>{"XDG_RUNTIME_DIR", m_dirs.runtime_dir()},
              {"XDG_DATA_HOME", m_dirs.data_home()},
              {"XDG_CONFIG_HOME", m_dirs.config_home()},
              {"HOME", m_dirs.home()},
              {"NOTIFY_SOCKET", m_notify.path()}}) {
            argv.insert(argv.end(), {"-E", name + "=" + value});
        }
        // The key in a file: these tests are about activation, not the keyring.
        argv.insert(argv.end(), {CREDD_PATH, "--key-store", "file"});
        argv.insert(argv.end(), args.begin(), args.end());
        UniqueFd null_in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
        UniqueFd log = open_log();
        std::optional<ChildProcess> child;
        child.emplace(SpawnSpec{
            argv, m_dirs.daemon_env(), {{0, null_in.get()}, {1, log.get()}, {2, log.get()}}, {}});
        return child;
    }

    ProcessResult cred(std::vector<std::string> args, std::string stdin_bytes = {}) const {
        ProcessOptions o;
        o.argv = {CRED_PATH};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.env = m_dirs.client_env();
        o.stdin_bytes = std::move(stdin_bytes);
        return run_process(o);
    }

    std::string log() const { return read_file(m_dirs.log_file()); }

    bool socket_listening() const {
        return wait_until([this] { return exists(m_dirs.socket()); }, 10s);
    }

    TempDir m_temp;
    DaemonDirs m_dirs{m_temp};
    NotifySocket m_notify{m_temp.file("notify")};
};

#define REQUIRE_ACTIVATION(child)                                                                  \
    if (!(child)) {                                                                                \
        GTEST_SKIP() << "systemd-socket-activate is not installed (Debian package systemd)";       \
    }                                                                                              \
    ASSERT_TRUE((child)->started()) << (child)->spawn_error();                                     \
    ASSERT_TRUE(socket_listening()) << "no socket from systemd-socket-activate:\n" << log()

TEST_F(ServiceTest, FirstConnectionStartsCreddAndCredTokenWorksThroughIt) {
    auto child = activate({"--log-level", "debug"});
    REQUIRE_ACTIVATION(child);
    // Listening, but credd is not running yet: the tool has not exec'd it.
    EXPECT_NE(exe_of(child->pid()), CREDD_PATH);

    const std::string token = make_token("activated");
    const ProcessResult add =
        cred({"add", "github-work", "--url", "https://github.com"}, token + "\n");
    ASSERT_EQ(add.exit_code(), 0) << add.describe() << "\n" << log();
    EXPECT_EQ(exe_of(child->pid()), CREDD_PATH) << "the first connection did not start credd";

    const ProcessResult got = cred({"token", "github-work"});
    EXPECT_EQ(got.exit_code(), 0) << got.describe();
    EXPECT_TRUE(is_exactly_token(got.out, token)) << "cred token printed something else";

    // The daemon serves the socket systemd bound, and says so.
    const json::value info = RpcClient(m_dirs.socket()).call("daemon.info");
    const json::value* result = result_of(info);
    ASSERT_NE(result, nullptr) << info;
    EXPECT_EQ(result->at("socket").as_string(), m_dirs.socket());
    EXPECT_TRUE(contains(log(), "(socket-activated)")) << log();
    EXPECT_FALSE(contains(log(), token)) << "the token reached the log";

    child->send_signal(SIGTERM);
    EXPECT_TRUE(child->wait(15s).exited_with(0)) << log();
}

TEST_F(ServiceTest, ReadinessArrivesOnTheNotifySocketOnceServing) {
    auto child = activate({});
    REQUIRE_ACTIVATION(child);
    // The connection that starts credd: its answer can only come once the store is open.
    RpcClient first(m_dirs.socket());
    ASSERT_TRUE(first.connected());
    const json::value answer = first.call("daemon.info");
    ASSERT_NE(result_of(answer), nullptr) << answer << "\n" << log();

    const auto ready = m_notify.wait_for("READY=1", 10s);
    ASSERT_TRUE(ready) << "no READY=1 on NOTIFY_SOCKET\n" << log();
    EXPECT_TRUE(contains(*ready, "STATUS=serving " + m_dirs.socket())) << *ready;

    child->send_signal(SIGTERM);
    const auto stopping = m_notify.wait_for("STOPPING=1", 10s);
    EXPECT_TRUE(stopping) << "no STOPPING=1 after SIGTERM\n" << log();
    EXPECT_TRUE(child->wait(15s).exited_with(0)) << log();
    // systemd owns the socket: credd leaves it in place for the next start.
    EXPECT_TRUE(exists(m_dirs.socket()));
}

TEST_F(ServiceTest, NoReadinessWhenTheStoreCannotBeOpened) {
    // A store directory others may read: credd refuses it, so it must never say READY.
    ASSERT_EQ(::mkdir(m_dirs.data_dir().c_str(), 0755), 0);
    ASSERT_EQ(::chmod(m_dirs.data_dir().c_str(), 0755), 0);
    auto child = activate({});
    REQUIRE_ACTIVATION(child);
    RpcClient trigger(m_dirs.socket());
    ASSERT_TRUE(trigger.connected());
    EXPECT_TRUE(child->wait(15s).exited_with(1)) << log();

    std::string messages;
    while (auto m = m_notify.receive(0ms)) {
        messages += *m + "\n";
    }
    EXPECT_FALSE(contains(messages, "READY=1")) << messages;
    EXPECT_TRUE(contains(messages, "STATUS=")) << "the failure was not reported to systemd";
    EXPECT_TRUE(contains(messages, m_dirs.data_dir())) << messages;
}

TEST_F(ServiceTest, ADatagramSocketIsRefused) {
    auto child = activate({}, {"--datagram"});
    REQUIRE_ACTIVATION(child);
    UniqueFd sender{::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, m_dirs.socket().c_str(), m_dirs.socket().size() + 1);
    ASSERT_EQ(::sendto(sender.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
              1);
    EXPECT_TRUE(child->wait(15s).exited_with(1)) << log();
    EXPECT_TRUE(contains(log(), "not a listening Unix stream socket")) << log();
    EXPECT_FALSE(m_notify.wait_for("READY=1", 0ms));
}

TEST_F(ServiceTest, ExitsAfterTheIdleTimeWhenActivated) {
    auto child = activate({"--exit-idle-time", "1"});
    REQUIRE_ACTIVATION(child);
    const ProcessResult listed = cred({"list"});
    ASSERT_EQ(listed.exit_code(), 0) << listed.describe() << "\n" << log();
    // No connection open any more: it exits by itself, cleanly, leaving the socket.
    EXPECT_TRUE(child->wait(15s).exited_with(0)) << log();
    EXPECT_TRUE(contains(log(), "no connection for 1s")) << log();
    EXPECT_TRUE(m_notify.wait_for("STOPPING=1", 1s));
    EXPECT_TRUE(exists(m_dirs.socket()));
}

TEST_F(ServiceTest, ExitIdleTimeIsRefusedWithoutActivation) {
    ProcessOptions o;
    o.argv = {CREDD_PATH, "--exit-idle-time", "5"};
    o.env = m_dirs.daemon_env();
    const ProcessResult r = run_process(o);
    EXPECT_EQ(r.exit_code(), 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "--exit-idle-time")) << r.err;
    EXPECT_FALSE(exists(m_dirs.socket())) << "it served a socket anyway";
}

// LISTEN_PID names another process: the variables are not for credd, which binds its own
// socket as usual.
TEST_F(ServiceTest, ActivationVariablesForAnotherPidAreIgnored) {
    UniqueFd log = open_log();
    UniqueFd null_in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    ChildProcess child(SpawnSpec{{CREDD_PATH},
                                 [&] {
                                     auto env = m_dirs.daemon_env();
                                     env.push_back({"LISTEN_FDS", "1"});
                                     env.push_back({"LISTEN_PID", "1"});
                                     env.push_back({"NOTIFY_SOCKET", m_notify.path()});
                                     return env;
                                 }(),
                                 {{0, null_in.get()}, {1, log.get()}, {2, log.get()}},
                                 {}});
    ASSERT_TRUE(child.started()) << child.spawn_error();
    ASSERT_TRUE(m_notify.wait_for("READY=1", 10s)) << this->log();
    const ProcessResult listed = cred({"list"});
    EXPECT_EQ(listed.exit_code(), 0) << listed.describe();
    EXPECT_FALSE(contains(this->log(), "socket-activated")) << this->log();
    child.send_signal(SIGTERM);
    EXPECT_TRUE(child.wait(15s).exited_with(0)) << this->log();
}

// credd run as systemd runs it with StandardError=journal: JOURNAL_STREAM names stderr.
class JournalStreamTest : public ServiceTest {
protected:
    // Starts credd with stderr on the log file and JOURNAL_STREAM naming `stream_file`'s
    // device and inode; waits for its readiness and stops it, or (`expect_ready` false)
    // waits for it to give up.
    ExitStatus run_credd(const std::string& stream_file, bool expect_ready = true) {
        UniqueFd log = open_log();
        UniqueFd null_in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
        struct stat st {};
        EXPECT_EQ(::stat(stream_file.c_str(), &st), 0);
        auto env = m_dirs.daemon_env();
        env.push_back(
            {"JOURNAL_STREAM", std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)});
        env.push_back({"NOTIFY_SOCKET", m_notify.path()});
        ChildProcess child(
            SpawnSpec{{CREDD_PATH}, env, {{0, null_in.get()}, {1, log.get()}, {2, log.get()}}, {}});
        if (!child.started()) {
            ADD_FAILURE() << child.spawn_error();
            return {};
        }
        if (expect_ready && m_notify.wait_for("READY=1", 10s)) {
            child.send_signal(SIGTERM);
        }
        return child.wait(15s);
    }
};

TEST_F(JournalStreamTest, LinesCarryPrioritiesAndNoTimestampWhenStderrIsTheJournal) {
    { UniqueFd touch = open_log(); }
    EXPECT_TRUE(run_credd(m_dirs.log_file()).exited_with(0)) << log();
    const std::string text = log();
    EXPECT_TRUE(contains(text, "<6>credd " CREDD_VERSION " serving ")) << text;
    EXPECT_TRUE(contains(text, "<6>stopped\n")) << text;
    EXPECT_EQ(lines_without_priority(text), "") << text;
}

TEST_F(JournalStreamTest, StartupFailureIsLoggedAtErrorPriority) {
    { UniqueFd touch = open_log(); }
    ASSERT_EQ(::mkdir(m_dirs.data_dir().c_str(), 0755), 0);
    ASSERT_EQ(::chmod(m_dirs.data_dir().c_str(), 0755), 0);
    EXPECT_TRUE(run_credd(m_dirs.log_file(), false).exited_with(1)) << log();
    // The error and its hint, each at error priority.
    EXPECT_EQ(count_lines_with(log(), {"<3>", m_dirs.data_dir()}), 2U) << log();
    EXPECT_EQ(count_lines_with(log(), {"<3>hint: "}), 1U) << log();
}

// JOURNAL_STREAM left over from a parent whose stderr was the journal: credd's own
// stderr is a file, so it writes timestamps, not priority prefixes.
TEST_F(JournalStreamTest, TimestampsWhenStderrIsNotTheJournalStream) {
    const std::string other = m_temp.file("other-stream");
    { UniqueFd touch{::open(other.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)}; }
    EXPECT_TRUE(run_credd(other).exited_with(0)) << log();
    const std::string text = log();
    EXPECT_EQ(count_lines_with(text, {"<6>"}), 0U) << text;
    EXPECT_GE(count_lines_with(text, {" info credd " CREDD_VERSION " serving "}), 1U) << text;
}

} // namespace
} // namespace credd::test
