// credd: the per-user credential daemon's entry point.
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "daemon.hh"
#include "journal_stream_sink.hh"
#include "options.hh"

namespace {

// No core file and no ptrace by other processes of the same user: a core dump of
// this process would be a file full of tokens.
void forbid_core_dumps() {
    const rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// Under systemd, stderr is the journal: lines carry a priority and no timestamp.
// Anywhere else (a terminal, a file, cred's autostart): timestamped lines.
void set_up_logging(const std::string& level) {
    std::shared_ptr<spdlog::logger> logger;
    if (credd::stderr_is_journal()) {
        logger = spdlog::create<credd::JournalStreamSink>("credd");
    } else {
        logger = spdlog::stderr_color_mt("credd");
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    }
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

} // namespace

int main(int argc, char** argv) {
    forbid_core_dumps();
    // A client that hangs up must cost us an EPIPE on that connection, not the process.
    ::signal(SIGPIPE, SIG_IGN);
    auto options = credd::parse_daemon_options(std::vector<std::string>(argv + 1, argv + argc));
    if (!options) {
        std::fprintf(stderr, "%s\nhint: %s\n", options.error().message.c_str(),
                     options.error().hint.c_str());
        return 2;
    }
    if (options->show_help) {
        std::fputs(credd::daemon_usage, stdout);
        return 0;
    }
    if (options->show_version) {
        std::printf("credd %s (protocol 1)\n", CREDD_VERSION);
        return 0;
    }
    try {
        set_up_logging(options->log_level);
        return credd::Daemon(std::move(*options)).run();
    } catch (const std::exception& e) {
        spdlog::critical("stopped by an internal error: {}", e.what());
        return 70;
    }
}
