// DaemonDirs: creating the private XDG tree and the environments that point at it.
#include "daemon_dirs.hh"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <sys/stat.h>

namespace credd::test {

DaemonDirs::DaemonDirs(const TempDir& root) : m_root(root.path()) {
    for (const auto& dir : {runtime_dir(), data_home(), config_home(), home()}) {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            throw std::runtime_error("mkdir " + dir + ": " + std::strerror(errno));
        }
    }
}

std::vector<EnvVar> DaemonDirs::daemon_env() const {
    std::vector<EnvVar> env{
        {"XDG_RUNTIME_DIR", runtime_dir()}, {"XDG_DATA_HOME", data_home()},
        {"XDG_CONFIG_HOME", config_home()}, {"HOME", home()},
        {"CREDD_SOCKET", std::nullopt},     {"CREDD_DAEMON", std::nullopt},
        {"LISTEN_FDS", std::nullopt},       {"LISTEN_PID", std::nullopt},
        {"LISTEN_FDNAMES", std::nullopt},   {"NOTIFY_SOCKET", std::nullopt},
    };
    // No desktop session: a test that wants a Secret Service starts its own bus.
    env.insert(env.end(), {{"DBUS_SESSION_BUS_ADDRESS", std::nullopt},
                           {"DISPLAY", std::nullopt},
                           {"WAYLAND_DISPLAY", std::nullopt}});
    return env;
}

std::vector<EnvVar> DaemonDirs::client_env() const {
    auto env = daemon_env();
    for (auto& v : env) {
        if (v.name == "CREDD_SOCKET") {
            v.value = socket();
        }
    }
    env.push_back({"CREDD_NO_AUTOSTART", "1"});
    return env;
}

} // namespace credd::test
