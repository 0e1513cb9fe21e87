// write_all: a whole buffer to a descriptor, through short writes and EINTR.
#pragma once

#include <string_view>

#include "error.hh"

namespace credd {

// Errc::io_error with strerror when the descriptor fails (or accepts nothing).
Result<void> write_all(int fd, std::string_view bytes);

} // namespace credd
