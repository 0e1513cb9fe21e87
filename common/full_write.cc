// write_all: the loop.
#include "full_write.hh"

#include <cerrno>
#include <cstring>
#include <string>

#include <unistd.h>

namespace credd {

Result<void> write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        // A write of nothing would repeat forever: treat it as the failure it is.
        if (n <= 0) {
            return make_error(Errc::io_error,
                              std::string("write failed: ") + std::strerror(n < 0 ? errno : EIO));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

} // namespace credd
