// ServiceNotifier: READY, STOPPING and STATUS datagrams to $NOTIFY_SOCKET (sd_notify(3)).
//
// The protocol is one datagram of newline-separated assignments to the Unix socket named
// by NOTIFY_SOCKET ("@name" for the abstract namespace). It is spoken here directly rather
// than through libsystemd, which would bring six more libraries and about 1 MiB of
// resident memory into a daemon that uses three of its functions.
#include "service_notifier.hh"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>

#include "unique_fd.hh"

namespace credd {

namespace {

// The address NOTIFY_SOCKET names, and its length; 0 when unset or unusable (vsock
// addresses, which systemd also allows, are not used for user services).
socklen_t notify_address(sockaddr_un& addr) {
    const char* const name = std::getenv("NOTIFY_SOCKET");
    if (name == nullptr || (name[0] != '/' && name[0] != '@') || name[1] == '\0') {
        return 0;
    }
    const std::size_t length = std::strlen(name);
    if (length >= sizeof addr.sun_path) {
        return 0;
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name, length);
    if (name[0] == '@') {
        addr.sun_path[0] = '\0'; // abstract: no terminating NUL counts
        return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
    }
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length + 1);
}

// One datagram: `assignments` (each ending in a newline) and a STATUS= line. A newline
// inside the status would start an assignment of its own, so it becomes a space.
void send(std::string_view assignments, std::string_view status) {
    sockaddr_un addr{};
    const socklen_t length = notify_address(addr);
    if (length == 0) {
        return;
    }
    std::string message(assignments);
    message += "STATUS=";
    for (const char c : status) {
        message += c == '\n' ? ' ' : c;
    }
    const UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.is_open()) {
        return;
    }
    [[maybe_unused]] const ssize_t sent =
        ::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&addr), length);
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
