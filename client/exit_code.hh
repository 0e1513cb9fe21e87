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
};

ExitCode exit_code_for(Errc code);

inline int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace credd
