// DaemonProcess: the real credd binary running on a test's private dirs.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "child_process.hh"
#include "daemon_dirs.hh"

namespace credd::test {

struct DaemonOptions {
    std::vector<std::string> args = {};     // extra flags (--idle-timeout 1, --log-level trace…)
    std::optional<std::string> socket = {}; // as --socket; default: the dirs' default
    std::optional<rlim_t> max_open_files = {}; // RLIMIT_NOFILE for the daemon
    std::chrono::milliseconds ready_deadline = 20s;
    // As --key-store; "file" so no test depends on the machine's desktop keyring. Empty:
    // credd's default (auto).
    std::string key_store = "file";
    std::vector<EnvVar> env = {}; // added to the dirs' daemon_env (a test's own D-Bus…)
};

// Starts credd with --ready-fd and waits for its READY line; stderr goes to the dirs'
// log file so tests can read what it logged. Stops it (SIGTERM, then SIGKILL past a
// deadline) on destruction. Owned by the test; one object per daemon run.
class DaemonProcess {
public:
    explicit DaemonProcess(const DaemonDirs& dirs, DaemonOptions options = {});
    ~DaemonProcess();
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;

    // Whether it said READY; otherwise failure() says what happened (its ERROR line,
    // its exit status, or the deadline) with the tail of its log.
    bool ready() const { return m_ready; }
    const std::string& failure() const { return m_failure; }

    pid_t pid() const { return m_child ? m_child->pid() : -1; }
    const std::string& socket_path() const { return m_socket; }
    // Everything daemons on these dirs have written to stderr so far.
    std::string log() const;

    // SIGTERM, then waits for it to exit; past the deadline it is killed and the
    // status says timed_out.
    ExitStatus stop(std::chrono::milliseconds deadline = 15s);
    // SIGKILL, as a crash would: the socket file is left behind.
    void kill9();
    bool is_running();
    // Whether the test stopped or killed it (as opposed to it exiting on its own).
    bool was_stopped() const { return m_stopped; }

private:
    void wait_ready(int ready_fd, std::chrono::milliseconds deadline);

    const DaemonDirs& m_dirs;
    std::string m_socket;
    std::optional<ChildProcess> m_child;
    bool m_ready = false;
    bool m_stopped = false;
    std::string m_failure;
};

// The last `max_bytes` of a file, for failure messages ("" if unreadable).
std::string read_file(const std::string& path);
std::string tail_of(const std::string& text, std::size_t max_bytes = 2000);

} // namespace credd::test
