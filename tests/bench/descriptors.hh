// The descriptor helpers the benchmark needs: CLOEXEC pipes, full writes, Unix connects.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "unique_fd.hh"

namespace credd::bench {

// A CLOEXEC pipe: {read end, write end}. Throws std::runtime_error on failure.
std::pair<UniqueFd, UniqueFd> make_pipe();

// Writes everything or throws std::runtime_error.
void write_all(int fd, std::string_view bytes);

// Connects a CLOEXEC Unix stream socket to `path`; throws std::runtime_error on failure.
UniqueFd connect_unix(const std::string& path);

} // namespace credd::bench
