// Reading a credential helper's whole stdin, bounded, into memory the caller wipes.
#pragma once

#include <cstddef>
#include <string>

#include "error.hh"

namespace credd {

// Reads stdin to its end. More than `max_bytes` is refused (Errc::invalid_request)
// without reading further. What was read may hold a secret: the caller wipes it, and
// this wipes its own partial buffers on failure.
Result<std::string> read_all_stdin(std::size_t max_bytes);

} // namespace credd
