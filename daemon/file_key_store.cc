// FileKeyStore: creating the key file once, and reading it only when it is still private.
#include "file_key_store.hh"

#include <cerrno>
#include <cstring>
#include <utility>

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

// Writes `key` to a fresh 0600 temporary file, makes it durable, and only then links it
// to `path`: a crash at any point leaves either no key file or a whole one, never a
// short one that every later start would refuse. link() fails on an existing name, so
// a key that exists is never written over.
Result<void> write_key(const std::string& path, const Secret& key) {
    const std::string temp = path + ".new";
    ::unlink(temp.c_str()); // a leftover of a crash before the link: never the key itself
    // The mode is given at creation so the file is never readable by others, not even
    // between open and a later chmod.
    UniqueFd fd(::open(temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.is_open()) {
        return io_failure(temp, "cannot create", errno);
    }
    auto written = write_all(fd.get(), key.expose());
    if (written && ::fsync(fd.get()) != 0) {
        written = make_error(Errc::io_error, std::strerror(errno));
    }
    if (const int err = fd.close(); written && err != 0) {
        written = make_error(Errc::io_error, std::strerror(err));
    }
    if (written && ::link(temp.c_str(), path.c_str()) != 0) {
        written = make_error(errno == EEXIST ? Errc::key_unavailable : Errc::io_error,
                             std::strerror(errno));
    }
    ::unlink(temp.c_str());
    // The directory entry must be durable too, or a crash could lose a key that has
    // already sealed secrets.
    if (written) {
        written = sync_dir(paths::parent_of(path));
    }
    if (!written) {
        return make_error(written.error().code,
                          "key file " + path + ": cannot write: " + written.error().message);
    }
    return {};
}

} // namespace

FileKeyStore::FileKeyStore(std::string path) : m_path(std::move(path)) {}

Result<std::optional<Secret>> FileKeyStore::load() {
    // Looking creates nothing: `auto` asks here on every start, and must leave no trace.
    struct stat st {};
    if (::lstat(m_path.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return std::optional<Secret>{};
        }
        return io_failure(m_path, "cannot stat", errno);
    }
    if (auto ok = ensure_private_dir(paths::parent_of(m_path)); !ok) {
        return ok.error();
    }
    auto key = read_key(m_path);
    if (!key) {
        return key.error();
    }
    return std::optional<Secret>(std::move(*key));
}

Result<void> FileKeyStore::save(const Secret& key) {
    auto existing = load();
    if (!existing) {
        return existing.error();
    }
    if (*existing) {
        if ((*existing)->equals(key.expose())) {
            return {};
        }
        return make_error(Errc::key_unavailable,
                          "key file " + m_path + ": holds a different key; not replacing it",
                          "if that key belongs to no store any more, move it away: mv '" + m_path +
                              "' '" + m_path + ".old'");
    }
    if (auto ok = ensure_private_dir(paths::parent_of(m_path)); !ok) {
        return ok.error();
    }
    auto written = write_key(m_path, key);
    if (!written && written.error() == Errc::key_unavailable) {
        // Another writer linked a key between our look and our link: check it is ours.
        return save(key);
    }
    return written;
}

Result<void> FileKeyStore::erase() {
    if (::unlink(m_path.c_str()) != 0) {
        if (errno == ENOENT) {
            return {};
        }
        return io_failure(m_path, "cannot remove", errno);
    }
    if (auto synced = sync_dir(paths::parent_of(m_path)); !synced) {
        return make_error(Errc::io_error, "key file " + m_path + ": cannot sync its directory: " +
                                              synced.error().message);
    }
    return {};
}

Result<Secret> FileKeyStore::load_or_create() {
    auto existing = load();
    if (!existing) {
        return existing.error();
    }
    if (*existing) {
        return std::move(**existing);
    }
    auto key = generate_data_key();
    if (!key) {
        return key.error();
    }
    if (auto saved = save(*key); !saved) {
        return saved.error();
    }
    // Whoever won a race to create the file, its key is the key.
    return load_or_create();
}

} // namespace credd
