// Private directories: created 0700, or verified to be ours and closed to others.
#pragma once

#include <string>

#include "error.hh"

namespace credd {

// Makes sure `path` is a directory only the current user can enter: creates it (and
// missing parents, 0700) with that mode, or checks an existing one with lstat — a
// real directory, owned by us, no group or other permission bits. Refuses anything
// else with Errc::unsafe_path and a hint the user can paste; it never chmods an
// existing directory, since loose bits may mean someone else already looked inside.
Result<void> ensure_private_dir(const std::string& path);

// Checks an existing file is a regular file owned by us with no group/other bits.
Result<void> check_private_file(const std::string& path);

} // namespace credd
