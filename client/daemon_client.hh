// DaemonClient: reaching credd (starting it when nobody answers) and calling its methods.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "error.hh"

namespace credd {

class Connection;

// For a method that needs the data key (a secret is read, written or compared): the
// daemon may first wait for the key from a keyring, bounded by its own deadline and
// perhaps an unlock prompt. Other methods answer at once.
inline constexpr std::chrono::milliseconds key_call_timeout{30'000};

struct DaemonClientOptions {
    std::string socket_path;
    bool autostart = true;         // false with CREDD_NO_AUTOSTART=1
    bool socket_is_default = true; // shapes the "start it with" hint
};

// One per cred run, owned by the command being run: it connects once per call
// (cred makes one call) and reports every failure to reach the daemon as
// Errc::daemon_unreachable, "daemon not running at <socket>: <why>".
class DaemonClient {
public:
    explicit DaemonClient(DaemonClientOptions options);

    Result<boost::json::value> call(std::string_view method, const boost::json::object& params,
                                    std::chrono::milliseconds timeout);
    // For a ready-made request line (one carrying a secret); the line is wiped once sent.
    Result<boost::json::value> call_line(std::string& line, std::chrono::milliseconds timeout);
    // A connection of its own, for an exchange longer than one call (cred login).
    Result<Connection> connect() const;

private:
    Result<Connection> reach() const;
    Error unreachable(std::string_view state, std::string_view why, std::string hint) const;
    std::string start_hint() const;

    DaemonClientOptions m_options;
};

} // namespace credd
