// DaemonDirs: the private XDG tree one credd (and the cred clients talking to it) lives in.
#pragma once

#include <string>
#include <vector>

#include "child_process.hh"
#include "temp_dir.hh"

namespace credd::test {

// Under a TempDir: run/ (XDG_RUNTIME_DIR), data/ (XDG_DATA_HOME), config/
// (XDG_CONFIG_HOME) and home/ (HOME), each 0700, plus the daemon's log file. It outlives
// the daemons started on it, so a test can stop one and start another on the same data.
class DaemonDirs {
public:
    explicit DaemonDirs(const TempDir& root);

    const std::string& root() const { return m_root; }
    std::string runtime_dir() const { return m_root + "/run"; }
    std::string data_home() const { return m_root + "/data"; }
    std::string config_home() const { return m_root + "/config"; }
    std::string home() const { return m_root + "/home"; }

    // Where credd puts things by default under these variables (DESIGN.md).
    std::string socket() const { return runtime_dir() + "/credd/socket"; }
    std::string socket_dir() const { return runtime_dir() + "/credd"; }
    std::string data_dir() const { return data_home() + "/credd"; }
    std::string key_file() const { return config_home() + "/credd/key"; }
    // Every daemon started on these dirs appends its stderr here.
    std::string log_file() const { return m_root + "/credd.log"; }

    // Environment for credd: the XDG variables and HOME, and nothing inherited that
    // would change where it listens (socket activation, notify socket) or which keyring
    // it finds (session bus, display).
    std::vector<EnvVar> daemon_env() const;
    // Environment for cred: the same, plus CREDD_SOCKET and no autostart.
    std::vector<EnvVar> client_env() const;

private:
    std::string m_root;
};

} // namespace credd::test
