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

Result<void> verify_dir(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return make_error(Errc::io_error, path + ": " + std::strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        return unsafe(path, "exists but is not a directory",
                      "move it away: mv '" + path + "' '" + path + ".old'");
    }
    if (st.st_uid != ::geteuid()) {
        return unsafe(path,
                      "owned by uid " + std::to_string(st.st_uid) + ", not by us (uid " +
                          std::to_string(::geteuid()) + ")",
                      "someone else created it; remove it as its owner or root: rm -r '" + path +
                          "'");
    }
    if ((st.st_mode & 077) != 0) {
        return unsafe(path, "mode " + octal_mode(st.st_mode) + " lets others in",
                      "check nothing foreign is inside, then: chmod 700 '" + path + "'");
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
    return verify_dir(path);
}

Result<void> check_private_file(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        return make_error(Errc::io_error, path + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return unsafe(path, "is not a regular file",
                      "move it away: mv '" + path + "' '" + path + ".old'");
    }
    if (st.st_uid != ::geteuid()) {
        return unsafe(path, "owned by uid " + std::to_string(st.st_uid) + ", not by us",
                      "remove it as its owner or root: rm '" + path + "'");
    }
    if ((st.st_mode & 077) != 0) {
        return unsafe(path, "mode " + octal_mode(st.st_mode) + " lets others read it",
                      "if nobody else could have read it: chmod 600 '" + path +
                          "'; otherwise rotate every secret it protects");
    }
    return {};
}

} // namespace credd
