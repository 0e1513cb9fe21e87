// Private directories: creation with the right mode, verification of existing ones.
#include "private_dir.hh"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

#include "paths.hh"

namespace credd {

namespace {

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

Error unsafe(const std::string& path, const std::string& why, std::string hint) {
    return make_error(Errc::unsafe_path, path + ": " + why, std::move(hint));
}

enum class Kind { directory, file };

// One check for both kinds — lstat (a symlink is refused, never followed), type,
// owner, no group/other bits — with the advice that fits each.
Result<void> check_private(const std::string& path, Kind kind) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return make_error(Errc::io_error, path + ": " + std::strerror(errno));
    }
    const bool dir = kind == Kind::directory;
    if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        return unsafe(path, dir ? "exists but is not a directory" : "is not a regular file",
                      "move it away: mv '" + path + "' '" + path + ".old'");
    }
    if (st.st_uid != ::geteuid()) {
        return unsafe(path,
                      "owned by uid " + std::to_string(st.st_uid) + ", not by us (uid " +
                          std::to_string(::geteuid()) + ")",
                      std::string("someone else created it; remove it as its owner or root: ") +
                          (dir ? "rm -r '" : "rm '") + path + "'");
    }
    if ((st.st_mode & 077) != 0) {
        return unsafe(path, "mode " + octal_mode(st.st_mode) + " lets others in",
                      dir ? "check nothing foreign is inside, then: chmod 700 '" + path + "'"
                          : "if nobody else could have read it: chmod 600 '" + path +
                                "'; otherwise rotate every secret it protects");
    }
    return {};
}

} // namespace

Result<void> ensure_private_dir(const std::string& path) {
    // Create parents first (0700 too: they are ours to make), then the directory itself.
    const std::string parent = paths::parent_of(path);
    struct stat st {};
    if (parent != path && parent != "." && ::lstat(parent.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            return make_error(Errc::io_error, parent + ": " + std::strerror(errno));
        }
        if (auto r = ensure_private_dir(parent); !r) {
            return r;
        }
    }
    // The mode is given at creation, with the umask cleared, so the directory is never
    // even briefly open to others; an existing one is verified, never chmod'ed.
    const mode_t old_umask = ::umask(077);
    const int rc = ::mkdir(path.c_str(), 0700);
    const int err = errno;
    ::umask(old_umask);
    if (rc != 0 && err != EEXIST) {
        return make_error(Errc::io_error,
                          path + ": cannot create directory: " + std::strerror(err));
    }
    return check_private(path, Kind::directory);
}

Result<void> check_private_file(const std::string& path) {
    return check_private(path, Kind::file);
}

} // namespace credd
