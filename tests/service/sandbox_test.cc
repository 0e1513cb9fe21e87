// credd.service's sandbox, checked against what credd really does: every system call it
// makes (traced with strace while it serves) is in SystemCallFilter=@system-service, it
// never maps memory writable and executable (MemoryDenyWriteExecute), and its sockets
// are of the families RestrictAddressFamilies allows.
#include <csignal>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_dirs.hh"
#include "daemon_process.hh"
#include "daemon_test.hh"
#include "notify_socket.hh"
#include "process.hh"
#include "rpc_client.hh"
#include "temp_dir.hh"
#include "unique_fd.hh"

namespace credd::test {
namespace {

// The system calls of a filter set, with the sets it includes expanded.
std::set<std::string> syscall_set(const std::string& analyze, const std::string& group,
                                  std::set<std::string>& groups_seen) {
    std::set<std::string> calls;
    if (!groups_seen.insert(group).second) {
        return calls;
    }
    ProcessOptions o;
    o.argv = {analyze, "syscall-filter", group};
    const ProcessResult r = run_process(o);
    const std::regex entry("^    ([@a-z0-9_-]+)$", std::regex::multiline);
    for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), entry);
         it != std::sregex_iterator(); ++it) {
        const std::string name = (*it)[1].str();
        if (name.starts_with('@')) {
            const auto nested = syscall_set(analyze, name, groups_seen);
            calls.insert(nested.begin(), nested.end());
        } else {
            calls.insert(name);
        }
    }
    return calls;
}

TEST(Sandbox, CreddStaysInsideTheServiceUnitsFilters) {
    const std::string strace = find_program("strace");
    const std::string analyze = find_program("systemd-analyze");
    if (strace.empty() || analyze.empty()) {
        GTEST_SKIP() << "needs strace and systemd-analyze (Debian packages strace, systemd)";
    }
    std::set<std::string> seen_groups;
    const std::set<std::string> allowed = syscall_set(analyze, "@system-service", seen_groups);
    ASSERT_GT(allowed.size(), 300U) << "could not read @system-service from systemd-analyze";

    TempDir temp;
    DaemonDirs dirs(temp);
    NotifySocket notify(temp.file("notify"));
    const std::string trace = temp.file("trace");
    UniqueFd log{::open(dirs.log_file().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)};
    UniqueFd null_in{::open("/dev/null", O_RDONLY | O_CLOEXEC)};
    auto env = dirs.daemon_env();
    env.push_back({"NOTIFY_SOCKET", notify.path()});
    ChildProcess traced(
        SpawnSpec{{strace, "-f", "-qq", "-o", trace, CREDD_PATH, "--key-store", "file"},
                  env,
                  {{0, null_in.get()}, {1, log.get()}, {2, log.get()}},
                  {}});
    ASSERT_TRUE(traced.started()) << traced.spawn_error();
    ASSERT_TRUE(notify.wait_for("READY=1", 20s)) << read_file(dirs.log_file());

    // What a day of use looks like: every method, through the real client.
    auto cred = [&](std::vector<std::string> args, std::string in = {}) {
        ProcessOptions o;
        o.argv = {CRED_PATH};
        o.argv.insert(o.argv.end(), args.begin(), args.end());
        o.env = dirs.client_env();
        o.stdin_bytes = std::move(in);
        const ProcessResult r = run_process(o);
        EXPECT_EQ(r.exit_code(), 0) << args[0] << ": " << r.describe();
    };
    cred({"add", "github-work", "--url", "https://github.com", "--expires-at", "+1d"},
         make_token("sandbox"));
    cred({"token", "--url", "https://github.com/org/repo.git"});
    cred({"update", "github-work", "--label", "team=infra"});
    cred({"list"});
    cred({"status"});
    cred({"remove", "github-work"});
    const boost::json::value info = RpcClient(dirs.socket()).call("daemon.info");
    ASSERT_NE(result_of(info), nullptr) << info;
    const auto pid = static_cast<pid_t>(result_of(info)->at("pid").to_number<std::int64_t>());
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    ASSERT_TRUE(traced.wait(20s).exited_with(0)) << read_file(dirs.log_file());

    const std::string text = read_file(trace);
    std::set<std::string> outside;
    const std::regex call("^[0-9]+ +([a-z0-9_]+)\\(", std::regex::multiline);
    std::size_t calls = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), call);
         it != std::sregex_iterator(); ++it) {
        ++calls;
        if (const std::string name = (*it)[1].str(); !allowed.contains(name)) {
            outside.insert(name);
        }
    }
    ASSERT_GT(calls, 100U) << "the trace is empty: " << trace;
    EXPECT_EQ(outside, std::set<std::string>{}) << "SystemCallFilter=@system-service would kill "
                                                   "credd on these";
    const std::regex write_exec("PROT_WRITE\\|PROT_EXEC|PROT_EXEC\\|PROT_WRITE");
    EXPECT_FALSE(std::regex_search(text, write_exec))
        << "a writable and executable mapping: MemoryDenyWriteExecute would refuse it";
    const std::regex family("socket\\((AF_[A-Z0-9]+)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), family);
         it != std::sregex_iterator(); ++it) {
        const std::string f = (*it)[1].str();
        EXPECT_TRUE(f == "AF_UNIX" || f == "AF_INET" || f == "AF_INET6")
            << "RestrictAddressFamilies does not allow " << f;
    }
}

} // namespace
} // namespace credd::test
