// ServiceNotifier: tells the service manager (sd_notify(3)) how start-up and shutdown go.
#pragma once

#include <string_view>

namespace credd {

// Owned by the Daemon. Every call is a no-op when NOTIFY_SOCKET is unset (credd not
// started by systemd as Type=notify), and a failed send never affects serving.
class ServiceNotifier {
public:
    // READY=1: only once the store is open and the socket is being served, so a client
    // systemd lets through never meets a half-started daemon.
    void ready(std::string_view status) const;
    void stopping(std::string_view status) const;
    // Start-up failed: the reason, for `systemctl --user status credd`.
    void failed(std::string_view status) const;
};

} // namespace credd
