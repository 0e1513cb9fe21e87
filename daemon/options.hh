// DaemonOptions: credd's command line.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "error.hh"

namespace credd {

struct DaemonOptions {
    std::string socket_path;
    std::string data_dir;
    std::string key_store = "auto"; // keyring, file or auto
    std::string key_file;
    std::string log_level = "info";
    std::chrono::milliseconds idle_timeout{60'000};
    std::size_t max_connections = 256;
    std::optional<int> ready_fd;
    // Exit after this long without a connection; only with a socket passed by systemd.
    std::optional<std::chrono::seconds> exit_idle_time;
    std::chrono::milliseconds keyring_timeout{10'000};
    std::optional<std::string> ca_file; // trust these CAs for token endpoints
    std::chrono::milliseconds http_timeout{15'000};
    std::size_t max_refreshes = 128; // token requests in flight at once
    bool show_help = false;
    bool show_version = false;
};

// Defaults come from the XDG variables (common/paths.hh); flags override them.
Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& args);

extern const char* const daemon_usage;

} // namespace credd
