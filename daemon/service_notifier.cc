// ServiceNotifier: READY, STOPPING and STATUS messages through libsystemd.
#include "service_notifier.hh"

#include <string>

#include <systemd/sd-daemon.h>

namespace credd {

namespace {

// One datagram: `assignments` (each ending in a newline) and a STATUS= line. A newline
// inside the status would start an assignment of its own, so it becomes a space.
void send(std::string_view assignments, std::string_view status) {
    std::string message(assignments);
    message += "STATUS=";
    for (const char c : status) {
        message += c == '\n' ? ' ' : c;
    }
    [[maybe_unused]] const int sent = ::sd_notify(0, message.c_str());
}

} // namespace

void ServiceNotifier::ready(std::string_view status) const {
    send("READY=1\n", status);
}

void ServiceNotifier::stopping(std::string_view status) const {
    send("STOPPING=1\n", status);
}

void ServiceNotifier::failed(std::string_view status) const {
    send("", status);
}

} // namespace credd
