// FileKeyStore: creating the key file once, and reading it only when it is still private.
#include "file_key_store.hh"

#include <cerrno>
#include <cstring>
#include <utility>

#include <openssl/rand.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "full_write.hh"
#include "paths.hh"
#include "private_dir.hh"
#include "unique_fd.hh"

namespace credd {

namespace {

Error io_failure(const std::string& path, std::string_view what, int err) {
    return make_error(Errc::io_error,
                      "key file " + path + ": " + std::string(what) + ": " + std::strerror(err));
}

Error wrong_size(const std::string& path, long long size) {
    return make_error(
        Errc::corrupt,
        "key file " + path + ": has " + std::to_string(size) + " bytes, expected " +
            std::to_string(data_key_bytes),
        "restore it from a backup; without it no stored secret can be opened, so otherwise "
        "move it away (mv '" +
            path + "' '" + path + ".broken') and add the credentials again");
}

Result<void> sync_dir(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.is_open() || ::fsync(fd.get()) != 0) {
        return make_error(Errc::io_error, std::strerror(errno));
    }
    return {};
}

Result<Secret> read_key(const std::string& path) {
    // The key is the one thing that opens every secret: refuse a file others could have
    // read or replaced rather than use it, and say how to get out of that state.
    if (auto ok = check_private_file(path); !ok) {
        return ok.error();
    }
    // O_NOFOLLOW: a symlink swapped in after the check is refused, not followed.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd.is_open()) {
        if (errno == ELOOP) {
            return make_error(Errc::unsafe_path, "key file " + path + ": is a symlink",
                              "move it away: mv '" + path + "' '" + path + ".old'");
        }
        return io_failure(path, "cannot open", errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return io_failure(path, "cannot stat", errno);
    }
    if (st.st_size != static_cast<off_t>(data_key_bytes)) {
        return wrong_size(path, static_cast<long long>(st.st_size));
    }
    std::string key(data_key_bytes, '\0');
    std::size_t got = 0;
    while (got < key.size()) {
        const ssize_t n = ::read(fd.get(), key.data() + got, key.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int err = errno;
            wipe(key);
            return io_failure(path, "cannot read", err);
        }
        if (n == 0) {
            wipe(key);
            return wrong_size(path, static_cast<long long>(got));
        }
        got += static_cast<std::size_t>(n);
    }
    return Secret::adopt(key);
}

Result<Secret> create_key(const std::string& path) {
    std::string key(data_key_bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(key.size())) !=
        1) {
        wipe(key);
        return make_error(Errc::internal, "key file " + path + ": no random bytes for a key");
    }
    // O_EXCL: never write over a key that exists, since it may be the only way into the
    // stored secrets. The mode is given at creation so the file is never readable by
    // others, not even between open and a later chmod.
    UniqueFd fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.is_open()) {
        const int err = errno;
        wipe(key);
        if (err == EEXIST) {
            // Another credd created it between our look and our open: its key is the key.
            return read_key(path);
        }
        return io_failure(path, "cannot create", err);
    }
    auto written = write_all(fd.get(), key);
    if (written && ::fsync(fd.get()) != 0) {
        written = make_error(Errc::io_error, std::strerror(errno));
    }
    if (const int err = fd.close(); written && err != 0) {
        written = make_error(Errc::io_error, std::strerror(err));
    }
    // The directory entry must be durable too, or a crash could lose a key that has
    // already sealed secrets.
    if (written) {
        written = sync_dir(paths::parent_of(path));
    }
    if (!written) {
        // A short key file would be refused at every later start: leave none behind.
        ::unlink(path.c_str());
        wipe(key);
        return make_error(Errc::io_error,
                          "key file " + path + ": cannot write: " + written.error().message);
    }
    return Secret::adopt(key);
}

} // namespace

FileKeyStore::FileKeyStore(std::string path) : m_path(std::move(path)) {}

Result<Secret> FileKeyStore::load_or_create() {
    if (auto ok = ensure_private_dir(paths::parent_of(m_path)); !ok) {
        return ok.error();
    }
    struct stat st {};
    if (::lstat(m_path.c_str(), &st) == 0) {
        return read_key(m_path);
    }
    if (errno != ENOENT) {
        return io_failure(m_path, "cannot stat", errno);
    }
    return create_key(m_path);
}

} // namespace credd
