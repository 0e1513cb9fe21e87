// ExitCode: the documented process exit statuses of cred and how failures map onto them.
#pragma once

#include "error.hh"

namespace credd {

// Scripts branch on these; they are listed in `cred --help`. Never renumber one.
enum class ExitCode : int {
    ok = 0,
    error = 1,
    usage = 2,
    not_found = 3,
    unusable_token = 4, // expired, too little validity left, or a login is needed
    daemon_unreachable = 5,
    interrupted = 130, // cred login cancelled by SIGINT or SIGTERM (128 + SIGINT)
};

ExitCode exit_code_for(Errc code);

// git's and docker's credential helpers: their callers tell only success from failure
// (git's helper also exits 2 on a usage error).
inline constexpr int helper_exit_ok = 0;
inline constexpr int helper_exit_failed = 1;

inline int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace credd
