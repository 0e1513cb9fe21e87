// XDG base directory resolution.
#include "paths.hh"

#include <cstdlib>

#include <unistd.h>

namespace credd::paths {

namespace {

// An XDG variable counts only when it holds an absolute path (XDG Base Directory spec).
std::string absolute_env(const char* name) {
    const char* v = std::getenv(name);
    if (v && v[0] == '/') {
        return v;
    }
    return {};
}

std::string home() {
    std::string h = absolute_env("HOME");
    return h.empty() ? std::string("/") : h;
}

} // namespace

std::string default_socket() {
    std::string runtime = absolute_env("XDG_RUNTIME_DIR");
    if (!runtime.empty()) {
        return runtime + "/credd/socket";
    }
    return "/tmp/credd-" + std::to_string(::getuid()) + "/socket";
}

std::string default_data_dir() {
    std::string data = absolute_env("XDG_DATA_HOME");
    return (data.empty() ? home() + "/.local/share" : data) + "/credd";
}

std::string default_config_dir() {
    std::string config = absolute_env("XDG_CONFIG_HOME");
    return (config.empty() ? home() + "/.config" : config) + "/credd";
}

std::string parent_of(const std::string& path) {
    const auto slash = path.find_last_of('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? std::string("/") : path.substr(0, slash);
}

} // namespace credd::paths
