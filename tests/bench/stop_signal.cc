// Ctrl-C, SIGTERM and SIGHUP set a flag that every benchmark loop checks.
#include "stop_signal.hh"

#include <csignal>
#include <initializer_list>

namespace credd::bench {

namespace {

volatile std::sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
    g_stop = 1;
}

} // namespace

void install_stop_handlers() {
    struct sigaction action = {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        sigaction(sig, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() {
    return g_stop != 0;
}

} // namespace credd::bench
