// `cred exec`: token.get by name, setenv, execvp.
#include "exec_command.hh"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <unistd.h>

#include "daemon_client.hh"
#include "named_token.hh"
#include "output.hh"
#include "secret.hh"

namespace credd {

Result<void> run_exec(const cli::ExecCommand& c, DaemonClient& daemon) {
    auto named = NamedToken::fetch(daemon, c.name);
    if (!named) {
        return named.error();
    }
    // The environment, not argv: argv is world-readable in /proc/PID/cmdline, a
    // process's environment only to its owner. (json::string is NUL-terminated.)
    if (::setenv(c.env_var.c_str(), named->token().data(), 1) != 0) {
        return make_error(Errc::io_error,
                          "exec: setenv " + c.env_var + ": " + std::strerror(errno));
    }
    std::vector<char*> argv;
    argv.reserve(c.argv.size() + 1);
    for (const auto& arg : c.argv) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    // Only reached when the command could not be started.
    const int saved = errno;
    ::unsetenv(c.env_var.c_str());
    report_error(make_error(Errc::io_error, "exec: " + c.argv[0] + ": " + std::strerror(saved),
                            saved == ENOENT ? "is it installed and on PATH?" : ""));
    std::_Exit(saved == ENOENT ? exit_command_not_found : exit_command_not_runnable);
}

} // namespace credd
