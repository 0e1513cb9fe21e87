// DaemonOptions: parsing credd's command line.
#include "options.hh"

#include <charconv>

#include "paths.hh"

namespace credd {

const char* const daemon_usage = R"(usage: credd [options]

credd keeps your credentials, refreshes them, and answers cred, git, docker and
editor plugins on a Unix socket. It runs in the foreground and logs to stderr
(to the journal, with priorities, when systemd connected stderr to it); `cred`
starts it on demand, and systemd can socket-activate it (credd.socket).

options:
  --socket PATH          socket to serve (default $XDG_RUNTIME_DIR/credd/socket,
                         or /tmp/credd-$UID/socket without XDG_RUNTIME_DIR)
  --data-dir DIR         store directory (default $XDG_DATA_HOME/credd)
  --key-store STORE      where the data key that seals secrets lives: keyring (a
                         Secret Service item), file (a 0600 key file, by opt-in)
                         or auto (default: the keyring item; else an existing key
                         file, when no keyring answers or it holds no item; else
                         a new keyring item; never a new key file)
  --key-file PATH        key file (default $XDG_CONFIG_HOME/credd/key)
  --keyring-timeout SECS longest one Secret Service call may take (default 10)
  --log-level LEVEL      trace, debug, info, warn, error or off (default info:
                         changes, failures and warnings; debug adds a line for
                         every successful read such as token.get)
  --idle-timeout SECS    close a connection silent this long, or one that does
                         not read its answers (default 60)
  --max-connections N    open connections served at once (default 256)
  --ready-fd FD          write "READY" to FD once serving, or "ERROR <why>" if
                         start-up fails (used by cred to start the daemon)
  --exit-idle-time SECS  exit after SECS without an open connection; only when
                         socket-activated by systemd, which starts credd again
                         on the next connection
  --ca-file FILE         trust the CA certificates in FILE (PEM) for token
                         endpoints instead of the system store (SSL_CERT_FILE
                         is honoured too)
  --http-timeout SECS    give up on a token request after this long: resolve,
                         connect, TLS, send and answer together (default 15)
  --max-refreshes N      token requests in flight at once; the rest queue, a
                         refresh a client waits for first (default 128)
  -h, --help             show this help
  --version              show the version
)";

namespace {

Error usage_error(std::string message) {
    return make_error(Errc::invalid_params, "credd: " + std::move(message), "run: credd --help");
}

Result<long> parse_number(const std::string& flag, const std::string& text, long min, long max) {
    long value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || value < min || value > max) {
        return usage_error(flag + ": expected a number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", got \"" + text + '"');
    }
    return value;
}

bool is_log_level(const std::string& s) {
    for (const char* l : {"trace", "debug", "info", "warn", "error", "off"}) {
        if (s == l) {
            return true;
        }
    }
    return false;
}

// The options that take a number: its range, and where it goes.
struct NumberOption {
    const char* flag;
    long min;
    long max;
    void (*set)(DaemonOptions&, long);
};

constexpr NumberOption number_options[] = {
    {"--idle-timeout", 1, 86400,
     [](DaemonOptions& o, long n) { o.idle_timeout = std::chrono::seconds(n); }},
    {"--max-connections", 1, 65536,
     [](DaemonOptions& o, long n) { o.max_connections = static_cast<std::size_t>(n); }},
    {"--keyring-timeout", 1, 600,
     [](DaemonOptions& o, long n) { o.keyring_timeout = std::chrono::seconds(n); }},
    {"--ready-fd", 0, 65535, [](DaemonOptions& o, long n) { o.ready_fd = static_cast<int>(n); }},
    {"--exit-idle-time", 1, 86400,
     [](DaemonOptions& o, long n) { o.exit_idle_time = std::chrono::seconds(n); }},
    {"--http-timeout", 1, 600,
     [](DaemonOptions& o, long n) { o.http_timeout = std::chrono::seconds(n); }},
    {"--max-refreshes", 1, 4096,
     [](DaemonOptions& o, long n) { o.max_refreshes = static_cast<std::size_t>(n); }},
};

// Sets one option that takes a value (`flag` without its "=value").
Result<void> set_option(DaemonOptions& o, const std::string& flag, const std::string& value) {
    for (const NumberOption& number : number_options) {
        if (flag == number.flag) {
            auto n = parse_number(flag, value, number.min, number.max);
            if (!n) {
                return n.error();
            }
            number.set(o, *n);
            return {};
        }
    }
    if (flag == "--socket") {
        o.socket_path = value;
    } else if (flag == "--data-dir") {
        o.data_dir = value;
    } else if (flag == "--key-file") {
        o.key_file = value;
    } else if (flag == "--ca-file") {
        o.ca_file = value;
    } else if (flag == "--key-store") {
        if (value != "file" && value != "keyring" && value != "auto") {
            return usage_error("--key-store: \"" + value +
                               "\" is not a key store; use keyring, file or auto");
        }
        o.key_store = value;
    } else if (flag == "--log-level") {
        if (!is_log_level(value)) {
            return usage_error("--log-level: unknown level \"" + value + '"');
        }
        o.log_level = value;
    } else {
        return usage_error("unknown option \"" + flag + '"');
    }
    return {};
}

} // namespace

Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& args) {
    DaemonOptions o;
    o.socket_path = paths::default_socket();
    o.data_dir = paths::default_data_dir();
    o.key_file = paths::default_config_dir() + "/key";
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        std::string value;
        bool has_inline = false;
        if (const auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
            value = flag.substr(eq + 1);
            flag.resize(eq);
            has_inline = true;
        }
        if (flag == "-h" || flag == "--help") {
            o.show_help = true;
            continue;
        }
        if (flag == "--version") {
            o.show_version = true;
            continue;
        }
        if (!has_inline) {
            if (i + 1 >= args.size()) {
                return usage_error(flag + ": needs a value");
            }
            value = args[++i];
        }
        if (auto set = set_option(o, flag, value); !set) {
            return set.error();
        }
    }
    return o;
}

} // namespace credd
