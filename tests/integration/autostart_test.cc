// `cred` starts credd itself when no daemon answers, unless CREDD_NO_AUTOSTART=1.
#include <csignal>
#include <string>

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon_dirs.hh"
#include "daemon_test.hh"
#include "process.hh"
#include "rpc_client.hh"
#include "temp_dir.hh"

namespace credd::test {
namespace {

namespace json = boost::json;

class Autostart : public ::testing::Test {
protected:
    // Stops a daemon cred started: it is not our child, so wait on a pidfd for it.
    void TearDown() override {
        if (m_started_pid <= 0) {
            return;
        }
        const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, m_started_pid, 0));
        ::kill(m_started_pid, SIGTERM);
        if (pidfd >= 0) {
            pollfd p{pidfd, POLLIN, 0};
            if (::poll(&p, 1, 10000) == 0) {
                ::kill(m_started_pid, SIGKILL);
                ADD_FAILURE() << "autostarted credd ignored SIGTERM for 10 s";
            }
            ::close(pidfd);
        }
    }

    ProcessResult cred(std::vector<std::string> args, std::vector<EnvVar> env) const {
        ProcessOptions o;
        o.argv = {CRED_PATH};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.env = env;
        return run_process(o);
    }

    TempDir m_temp;
    DaemonDirs m_dirs{m_temp};
    pid_t m_started_pid = -1;
};

TEST_F(Autostart, CredStartsTheDaemonWhenNoneAnswers) {
    auto env = m_dirs.client_env();
    env.push_back({"CREDD_NO_AUTOSTART", std::nullopt});
    env.push_back({"CREDD_DAEMON", CREDD_PATH});
    const ProcessResult r = cred({"list"}, env);
    EXPECT_EQ(r.exit_code(), 0) << r.describe();

    RpcClient client(m_dirs.socket());
    ASSERT_TRUE(client.connected()) << "no daemon on the socket after cred list";
    const json::value response = client.call("daemon.info");
    const json::value* info = result_of(response);
    ASSERT_NE(info, nullptr);
    const auto* pid = info->get_object().if_contains("pid");
    ASSERT_TRUE(pid && pid->is_int64());
    m_started_pid = static_cast<pid_t>(pid->get_int64());
}

TEST_F(Autostart, NoAutostartMeansUnreachable) {
    auto env = m_dirs.client_env();
    env.push_back({"CREDD_DAEMON", CREDD_PATH});
    const ProcessResult r = cred({"list"}, env);
    EXPECT_EQ(r.exit_code(), 5) << r.describe();
    RpcClient client(m_dirs.socket());
    EXPECT_FALSE(client.connected()) << "a daemon was started despite CREDD_NO_AUTOSTART=1";
    if (client.connected()) {
        const json::value response = client.call("daemon.info");
        if (const json::value* info = result_of(response)) {
            m_started_pid = static_cast<pid_t>(info->get_object().at("pid").as_int64());
        }
    }
}

} // namespace
} // namespace credd::test
