// Reading stdin to its end with read(2): no stdio buffers left holding a secret.
#include "stdin_reader.hh"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <unistd.h>

#include "secret.hh"

namespace credd {

Result<std::string> read_all_stdin(std::size_t max_bytes) {
    // Small to start (git sends a few hundred bytes, and a helper's start-up time is
    // paid on every git call); grown by hand so the old buffer is wiped, not just freed.
    std::string data(std::min<std::size_t>(16 * 1024, max_bytes + 1), '\0');
    std::size_t used = 0;
    for (;;) {
        if (used == data.size()) {
            std::string bigger(std::min(data.size() * 4, max_bytes + 1), '\0');
            std::memcpy(bigger.data(), data.data(), used);
            wipe(data);
            data.swap(bigger);
        }
        const ssize_t n = ::read(STDIN_FILENO, data.data() + used, data.size() - used);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int saved = errno;
            wipe(data);
            return make_error(Errc::io_error, std::string("stdin: ") + std::strerror(saved));
        }
        if (n == 0) {
            break;
        }
        used += static_cast<std::size_t>(n);
        if (used > max_bytes) {
            wipe(data);
            return make_error(Errc::invalid_request,
                              "stdin: more than " + std::to_string(max_bytes) + " bytes");
        }
    }
    data.resize(used); // shrinking never reallocates
    return data;
}

} // namespace credd
