// cred: the command-line client of credd. Parse the arguments, run the command, exit.
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "cli.hh"
#include "commands.hh"
#include "docker_helper.hh"
#include "git_helper.hh"
#include "output.hh"
#include "time_text.hh"

int main(int argc, char** argv) {
    using namespace credd;
    // Deliberately nothing else before the work: no locale, no iostreams, no signal
    // set-up. Every git, docker and shell call pays for cred's start-up.
    try {
        const std::vector<std::string_view> args(argv + 1, argv + argc);
        // One binary, several front ends: the name it was called by picks one.
        std::string_view name = argc > 0 ? argv[0] : "cred";
        name = name.substr(name.rfind('/') + 1);
        if (name == "git-credential-credd") {
            return run_git_helper(args);
        }
        if (name == "docker-credential-credd") {
            return run_docker_helper(args);
        }
        auto invocation = cli::parse_command_line(args, cli::ParseEnv{now_ms()});
        if (!invocation) {
            report_error(invocation.error());
            return to_int(exit_code_for(invocation.error().code));
        }
        return to_int(run_command(*invocation));
    } catch (const std::exception& e) {
        // Only bugs and exhaustion end up here; expected failures are Results.
        report_error(make_error(Errc::internal, std::string("internal error: ") + e.what(),
                                "please report this as a bug"));
        return to_int(ExitCode::error);
    }
}
