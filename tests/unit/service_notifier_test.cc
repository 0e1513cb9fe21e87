// ServiceNotifier speaks sd_notify's datagram protocol itself: path and abstract sockets.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "service_notifier.hh"
#include "temp_dir.hh"
#include "unique_fd.hh"

namespace credd {
namespace {

// A datagram socket bound to `name` (a path, or "@…" for the abstract namespace), set as
// NOTIFY_SOCKET for the duration of the test.
class NotifyReceiver {
public:
    explicit NotifyReceiver(const std::string& name)
        : m_fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        name.copy(addr.sun_path, sizeof addr.sun_path - 1);
        socklen_t length = offsetof(sockaddr_un, sun_path) + name.size() + 1;
        if (name[0] == '@') {
            addr.sun_path[0] = '\0';
            length = offsetof(sockaddr_un, sun_path) + name.size();
        }
        m_bound = ::bind(m_fd.get(), reinterpret_cast<sockaddr*>(&addr), length) == 0;
        ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
    }
    ~NotifyReceiver() { ::unsetenv("NOTIFY_SOCKET"); }
    NotifyReceiver(const NotifyReceiver&) = delete;
    NotifyReceiver& operator=(const NotifyReceiver&) = delete;

    bool bound() const { return m_bound; }

    // The next datagram, or "" when none arrives within a second.
    std::string receive() const {
        pollfd p{m_fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 1000) != 1) {
            return "";
        }
        char buffer[4096];
        const ssize_t n = ::recv(m_fd.get(), buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
    }

private:
    UniqueFd m_fd;
    bool m_bound = false;
};

TEST(ServiceNotifier, SendsReadyToAPathSocket) {
    test::TempDir dir;
    NotifyReceiver receiver(dir.path() + "/notify");
    ASSERT_TRUE(receiver.bound());
    ServiceNotifier().ready("serving /run/x");
    EXPECT_EQ(receiver.receive(), "READY=1\nSTATUS=serving /run/x");
}

TEST(ServiceNotifier, SendsToAnAbstractSocketAndFoldsNewlinesInTheStatus) {
    NotifyReceiver receiver("@credd-notify-test-" + std::to_string(::getpid()));
    ASSERT_TRUE(receiver.bound());
    ServiceNotifier().stopping("line one\nline two");
    EXPECT_EQ(receiver.receive(), "STOPPING=1\nSTATUS=line one line two");
}

} // namespace
} // namespace credd
