// Socket hygiene: private socket directory, one daemon per socket, stale sockets,
// clean shutdown, and peers of another uid refused.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_process.hh"
#include "daemon_test.hh"
#include "file_mode.hh"
#include "process.hh"
#include "rpc_client.hh"
#include "wait_until.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

// The uid and gid of "nobody" on Debian: a real, unprivileged other user.
constexpr uid_t other_uid = 65534;
constexpr gid_t other_gid = 65534;

bool is_socket(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

// Runs credd to completion the way a user would start it by hand: for the cases where
// it must refuse to start.
ProcessResult run_credd(const DaemonDirs& dirs, std::vector<std::string> args = {}) {
    ProcessOptions o;
    o.argv = {CREDD_PATH};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.env = dirs.daemon_env();
    o.deadline = 15s;
    return run_process(o);
}

class SocketSafety : public DaemonTest {};

TEST_F(SocketSafety, SocketDirectoryIsCreatedPrivate) {
    struct stat st {};
    ASSERT_EQ(::lstat(m_dirs.socket_dir().c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(st.st_uid, ::getuid());
    EXPECT_TRUE(is_socket(m_dirs.socket()));
    // Created under umask: no group or other bits on the socket either.
    EXPECT_EQ(mode_of(m_dirs.socket()) & 077, 0u);
}

TEST_F(SocketSafety, SecondDaemonOnTheSameSocketIsRefused) {
    const ProcessResult second = run_credd(m_dirs);
    EXPECT_FALSE(second.status.timed_out) << "second daemon kept running";
    EXPECT_NE(second.exit_code(), 0) << second.describe();
    EXPECT_TRUE(contains(second.err, "already")) << second.describe();
    RpcClient client(m_daemon->socket_path());
    EXPECT_NE(result_of(client.call("daemon.info")), nullptr) << "first daemon disturbed";
    EXPECT_TRUE(m_daemon->is_running());
}

TEST_F(SocketSafety, SigtermRemovesTheSocketAndExitsZero) {
    const ExitStatus status = m_daemon->stop();
    EXPECT_TRUE(status.exited_with(0)) << status.describe();
    EXPECT_FALSE(exists(m_dirs.socket())) << "socket left behind after SIGTERM";
}

TEST_F(SocketSafety, SigintRemovesTheSocketAndExitsZero) {
    ::kill(m_daemon->pid(), SIGINT);
    const ExitStatus status = m_daemon->stop();
    EXPECT_TRUE(status.exited_with(0)) << status.describe();
    EXPECT_FALSE(exists(m_dirs.socket()));
}

TEST_F(SocketSafety, StaleSocketOfAKilledDaemonIsReplaced) {
    const std::string token = make_token("stale");
    add_static({"stale-check", "https://stale.example", token});
    m_daemon->kill9();
    ASSERT_TRUE(is_socket(m_dirs.socket())) << "kill -9 should leave the socket file";
    restart();
    const TokenAnswer answer = get_token({{"name", "stale-check"}});
    EXPECT_TRUE(answer.is(token)) << answer.describe();
}

TEST_F(SocketSafety, SocketOverrideIsHonoured) {
    m_daemon->stop();
    const std::string dir = m_temp.file("alt");
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    DaemonOptions o;
    o.socket = dir + "/credd.sock";
    DaemonProcess daemon(m_dirs, o);
    ASSERT_TRUE(daemon.ready()) << daemon.failure();
    EXPECT_TRUE(is_socket(*o.socket));
    EXPECT_FALSE(exists(m_dirs.socket())) << "the default socket was bound as well";
    RpcClient client(*o.socket);
    EXPECT_NE(result_of(client.call("daemon.info")), nullptr);
}

// The daemon's fds (beyond stdin, stdout, stderr) that lack O_CLOEXEC, with what they are.
std::vector<std::string> inheritable_fds(pid_t pid) {
    std::vector<std::string> found;
    const std::string proc = "/proc/" + std::to_string(pid);
    for (const auto& entry : std::filesystem::directory_iterator(proc + "/fd")) {
        const std::string fd = entry.path().filename();
        if (std::stoi(fd) <= 2) {
            continue;
        }
        const std::string info = read_file(proc + "/fdinfo/" + fd);
        const auto at = info.find("flags:");
        if (at == std::string::npos) {
            continue; // closed since the directory was read
        }
        const unsigned long flags = std::stoul(info.substr(at + 6), nullptr, 8);
        if ((flags & O_CLOEXEC) == 0) {
            std::error_code ec;
            found.push_back(fd + " -> " + std::filesystem::read_symlink(entry.path(), ec).string());
        }
    }
    return found;
}

TEST_F(SocketSafety, EveryDaemonFdIsCloseOnExec) {
    add_static({"fds", "https://fds.example", make_token("fds")});
    RpcClient first(m_daemon->socket_path());
    RpcClient second(m_daemon->socket_path());
    ASSERT_NE(result_of(first.call("daemon.info")), nullptr);
    ASSERT_NE(result_of(second.call("token.get", {{"name", "fds"}})), nullptr);
    const auto leaks = inheritable_fds(m_daemon->pid());
    std::string list;
    for (const auto& l : leaks) {
        list += "\n  fd " + l;
    }
    EXPECT_TRUE(leaks.empty()) << "fds a child of credd would inherit:" << list;
}

// Runs as `other_uid` in a forked child: 0 = closed without any answer, 1 = answered,
// 2 = nothing before the deadline, 3 = could not connect.
int connect_as_other_user(const std::string& socket) {
    RpcClient client(socket);
    if (!client.connected()) {
        return 3;
    }
    client.send(R"({"jsonrpc":"2.0","id":1,"method":"daemon.info"})"
                "\n");
    const ReadResult r = client.read_line(10s);
    if (r.status == ReadStatus::line) {
        return 1;
    }
    return r.status == ReadStatus::closed ? 0 : 2;
}

TEST_F(SocketSafety, PeerOfAnotherUidIsClosedWithoutAnswer) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to run a client as uid " << other_uid;
    }
    // Open the path to the socket to everyone, as a careless admin might: the uid check
    // on the connection is what must still keep the other user out.
    for (const auto& dir : {m_temp.path(), m_dirs.runtime_dir(), m_dirs.socket_dir()}) {
        ASSERT_EQ(::chmod(dir.c_str(), 0711), 0) << dir;
    }
    ASSERT_EQ(::chmod(m_dirs.socket().c_str(), 0666), 0);

    const std::string socket = m_dirs.socket();
    const ExitStatus peer = run_forked({other_uid, other_gid, std::nullopt},
                                       [&] { return connect_as_other_user(socket); });
    EXPECT_TRUE(peer.exited_with(0))
        << "other uid: " << peer.describe()
        << " (exit 1 = answered, 2 = left open without answer, 3 = could not connect)";

    const std::string uid = std::to_string(other_uid);
    const bool logged = wait_until(
        [&] {
            return count_lines_with(m_daemon->log(), {uid, "warn"}) > 0;
        },
        5s);
    EXPECT_TRUE(logged) << "no warn line naming uid " << other_uid << "; log:\n"
                        << tail_of(m_daemon->log());

    RpcClient own(m_daemon->socket_path());
    EXPECT_NE(result_of(own.call("daemon.info")), nullptr) << "own uid no longer served";
}

class SocketDirRefusal : public ::testing::Test {
protected:
    TempDir m_temp;
    DaemonDirs m_dirs{m_temp};
};

TEST_F(SocketDirRefusal, LooseSocketDirectoryIsRefusedAndLeftAlone) {
    for (mode_t loose : {mode_t(0755), mode_t(0711), mode_t(0770)}) {
        ::rmdir(m_dirs.socket_dir().c_str());
        ASSERT_EQ(::mkdir(m_dirs.socket_dir().c_str(), 0700), 0);
        ASSERT_EQ(::chmod(m_dirs.socket_dir().c_str(), loose), 0);
        const ProcessResult r = run_credd(m_dirs);
        EXPECT_FALSE(r.status.timed_out) << std::oct << loose << ": credd served anyway";
        EXPECT_NE(r.exit_code(), 0) << std::oct << loose << ": " << r.describe();
        EXPECT_TRUE(contains(r.err, m_dirs.socket_dir()))
            << "refusal does not name the directory: " << r.describe();
        EXPECT_TRUE(contains(r.err, "hint") || contains(r.err, "chmod"))
            << "refusal gives no advice: " << r.describe();
        EXPECT_EQ(mode_of(m_dirs.socket_dir()), loose) << "credd changed the mode it refused";
        EXPECT_FALSE(exists(m_dirs.socket())) << "socket bound in a refused directory";
    }
}

TEST_F(SocketDirRefusal, ForeignOwnedSocketDirectoryIsRefused) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root to make a directory owned by another uid";
    }
    ASSERT_EQ(::mkdir(m_dirs.socket_dir().c_str(), 0700), 0);
    ASSERT_EQ(::chown(m_dirs.socket_dir().c_str(), other_uid, other_gid), 0);
    const ProcessResult r = run_credd(m_dirs);
    EXPECT_FALSE(r.status.timed_out) << "credd served from a directory it does not own";
    EXPECT_NE(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(contains(r.err, m_dirs.socket_dir())) << r.describe();
    EXPECT_TRUE(contains(r.err, "hint")) << "refusal gives no advice: " << r.describe();
    EXPECT_FALSE(exists(m_dirs.socket()));
}

TEST_F(SocketDirRefusal, SymlinkedSocketDirectoryIsRefused) {
    const std::string target = m_temp.file("elsewhere");
    ASSERT_EQ(::mkdir(target.c_str(), 0700), 0);
    ASSERT_EQ(::symlink(target.c_str(), m_dirs.socket_dir().c_str()), 0);
    const ProcessResult r = run_credd(m_dirs);
    EXPECT_FALSE(r.status.timed_out) << "credd served through a symlinked directory";
    EXPECT_NE(r.exit_code(), 0) << r.describe();
    EXPECT_FALSE(exists(target + "/socket"));
}

TEST_F(SocketDirRefusal, RefusalIsAnnouncedOnTheReadyFd) {
    ASSERT_EQ(::mkdir(m_dirs.socket_dir().c_str(), 0755), 0);
    ASSERT_EQ(::chmod(m_dirs.socket_dir().c_str(), 0755), 0);
    DaemonProcess daemon(m_dirs);
    EXPECT_FALSE(daemon.ready());
    EXPECT_TRUE(contains(daemon.failure(), "announced: ERROR "))
        << "expected an ERROR line on --ready-fd; got: " << daemon.failure();
}

TEST_F(SocketDirRefusal, OverlongSocketPathIsRefused) {
    const std::string dir = m_temp.file(std::string(60, 'd'));
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    const std::string path = dir + "/" + std::string(60, 's');
    ASSERT_GT(path.size(), 108u);
    const ProcessResult r = run_credd(m_dirs, {"--socket", path});
    EXPECT_FALSE(r.status.timed_out);
    EXPECT_NE(r.exit_code(), 0) << r.describe();
    EXPECT_EQ(r.status.signal, 0) << "crashed on a long path: " << r.describe();
}

// A socket that is listened on without our lock (systemd's credd.socket while the
// service is idle): a credd started by hand must not take it over.
TEST_F(SocketDirRefusal, SocketSomeoneElseListensOnIsRefusedAndLeftAlone) {
    ASSERT_EQ(::mkdir(m_dirs.socket_dir().c_str(), 0700), 0);
    const std::string path = m_dirs.socket();
    const int fd = listen_unix(path, 8);
    ASSERT_GE(fd, 0) << path;
    struct stat before {};
    ASSERT_EQ(::lstat(path.c_str(), &before), 0);

    const ProcessResult r = run_credd(m_dirs);
    EXPECT_FALSE(r.status.timed_out) << "credd took over a socket someone listens on";
    EXPECT_NE(r.exit_code(), 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "already listening")) << r.describe();
    EXPECT_TRUE(contains(r.err, "systemctl --user stop credd.socket")) << r.describe();
    struct stat after {};
    ASSERT_EQ(::lstat(path.c_str(), &after), 0) << "the socket file was removed";
    EXPECT_EQ(after.st_ino, before.st_ino) << "the socket file was replaced";
    // Still ours: a connection reaches our listening socket.
    EXPECT_TRUE(RpcClient(path).connected());
    ::close(fd);
}

} // namespace
} // namespace credd::test
