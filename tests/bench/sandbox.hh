// The benchmark's private temp directory and the environment every child runs with, so
// nothing touches the user's real socket, store, key or git configuration.
#pragma once

#include <string>
#include <vector>

namespace credd::bench {

// Owns the directory: removes it, with everything in it, when destroyed.
class Sandbox {
public:
    // Creates $TMPDIR/credd-bench-XXXXXX (0700) with home/ run/ data/ config/ inside.
    Sandbox();
    Sandbox(const Sandbox&) = delete;
    Sandbox& operator=(const Sandbox&) = delete;
    ~Sandbox();

    const std::string& root() const { return m_root; }
    std::string path(const std::string& relative) const { return m_root + "/" + relative; }
    // HOME, XDG_RUNTIME_DIR, XDG_DATA_HOME, XDG_CONFIG_HOME inside the sandbox; PATH from
    // the caller; CREDD_NO_AUTOSTART=1; git reads no system or global configuration.
    const std::vector<std::string>& env() const { return m_env; }
    // "ext4", "tmpfs", …: whether an fsync there reaches a disk matters for adds.
    std::string filesystem() const;

private:
    std::string m_root;
    std::vector<std::string> m_env;
};

} // namespace credd::bench
