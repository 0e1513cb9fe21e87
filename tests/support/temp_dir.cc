// TempDir: mkdtemp on construction, recursive removal on destruction.
#include "temp_dir.hh"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>
#include <vector>

namespace credd::test {

namespace {

std::string temp_root() {
    const char* tmp = std::getenv("TMPDIR");
    // A long TMPDIR would push socket paths past sun_path; /tmp is short and always there.
    if (tmp && tmp[0] == '/' && std::strlen(tmp) < 40) {
        return tmp;
    }
    return "/tmp";
}

} // namespace

TempDir::TempDir() {
    std::string pattern = temp_root() + "/credd-t-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) {
        // A test cannot run without its directory: this is exhaustion, not an expected failure.
        throw std::runtime_error(std::string("mkdtemp ") + pattern + ": " + std::strerror(errno));
    }
    m_path = buf.data();
}

TempDir::~TempDir() {
    remove();
}

TempDir::TempDir(TempDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
    if (this != &other) {
        remove();
        m_path = std::exchange(other.m_path, {});
    }
    return *this;
}

std::string TempDir::file(std::string_view relative) const {
    return m_path + "/" + std::string(relative);
}

void TempDir::remove() {
    if (m_path.empty()) {
        return;
    }
    // Tests chmod parts of the tree (loose or closed directories); open it up again so
    // removal cannot fail on a directory we made unreadable.
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             m_path, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) {
            std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                         std::filesystem::perm_options::add, ec);
        }
    }
    std::filesystem::remove_all(m_path, ec);
    m_path.clear();
}

} // namespace credd::test
