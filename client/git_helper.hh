// git-credential-credd: credd as git's credential helper (gitcredentials(7)).
#pragma once

#include <span>
#include <string_view>

namespace credd {

// Runs one `get`, `store` or `erase` (the last argument; anything else is ignored
// with exit 0, as git expects of helpers). `args` is argv without argv[0]; the only
// option is --socket PATH. Returns the exit status.
int run_git_helper(std::span<const std::string_view> args);

} // namespace credd
