// Mapping from failure codes to cred's exit statuses.
#include "exit_code.hh"

namespace credd {

ExitCode exit_code_for(Errc code) {
    switch (code) {
    case Errc::ok:
        return ExitCode::ok;
    // The client validates what it sends, so a parameter the daemon still refuses
    // (a name or URL it will not take) is the user's input: a usage error.
    case Errc::invalid_params:
        return ExitCode::usage;
    case Errc::not_found:
        return ExitCode::not_found;
    case Errc::expired:
    case Errc::insufficient_validity:
    case Errc::needs_login:
        return ExitCode::unusable_token;
    case Errc::daemon_unreachable:
        return ExitCode::daemon_unreachable;
    default:
        return ExitCode::error;
    }
}

} // namespace credd
