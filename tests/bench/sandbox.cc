// A 0700 temp directory tree and the environment that points every child into it.
#include "sandbox.hh"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <sys/stat.h>
#include <sys/vfs.h>

namespace credd::bench {

namespace {

std::string temp_base() {
    const char* tmpdir = std::getenv("TMPDIR");
    return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

} // namespace

Sandbox::Sandbox() {
    std::string pattern = temp_base() + "/credd-bench-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error(pattern + ": mkdtemp: " + std::strerror(errno));
    m_root = pattern;
    // Created with their mode rather than chmod'ed: credd and git refuse loose dirs.
    for (const char* dir : {"home", "run", "data", "config"})
        if (mkdir(path(dir).c_str(), 0700) < 0)
            throw std::runtime_error(path(dir) + ": mkdir: " + std::strerror(errno));

    const char* parent_path = std::getenv("PATH");
    m_env = {
        "PATH=" + std::string(parent_path != nullptr ? parent_path : "/usr/bin:/bin"),
        "HOME=" + path("home"),
        "XDG_RUNTIME_DIR=" + path("run"),
        "XDG_DATA_HOME=" + path("data"),
        "XDG_CONFIG_HOME=" + path("config"),
        "CREDD_NO_AUTOSTART=1",
        "GIT_CONFIG_NOSYSTEM=1",
        "LANG=C.UTF-8",
    };
}

Sandbox::~Sandbox() {
    std::error_code ignored;
    std::filesystem::remove_all(m_root, ignored);
}

std::string Sandbox::filesystem() const {
    struct statfs info = {};
    if (statfs(m_root.c_str(), &info) < 0)
        return "unknown";
    switch (static_cast<unsigned long>(info.f_type)) {
    case 0xEF53:
        return "ext4";
    case 0x01021994:
        return "tmpfs (fsync costs nothing here)";
    case 0x58465342:
        return "xfs";
    case 0x9123683E:
        return "btrfs";
    case 0x794C7630:
        return "overlayfs";
    default: {
        char hex[32];
        std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(info.f_type));
        return std::string("filesystem type ") + hex;
    }
    }
}

} // namespace credd::bench
