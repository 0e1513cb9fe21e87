// ProxySettings: HTTPS_PROXY and NO_PROXY, read and checked once at start-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hh"
#include "secret.hh"

namespace credd {

// One NO_PROXY entry: "*", a host name (matching itself and its subdomains; a leading
// '.' is ignored), or an IP literal; with a port it matches only that port.
struct NoProxyRule {
    bool everything = false;
    std::string host; // lower case; an IP literal in canonical form
    bool is_address = false;
    std::string port; // empty: any port
};

// The proxy token requests go through (CONNECT), as the environment said. The
// credentials of "http://user:pass@proxy:3128" become a Basic Proxy-Authorization and
// never appear in `display`, which is what may be logged.
struct ProxySettings {
    std::string host; // without brackets
    std::string port;
    Secret authorization; // "Basic …", empty without userinfo
    std::string display;  // "http://host:port", no userinfo
    std::vector<NoProxyRule> no_proxy;

    // Whether a request to host:port goes direct (NO_PROXY, or a loopback address).
    bool bypasses(std::string_view host, std::string_view port) const;
};

// Reads `https_proxy` ("proxy:3128", "http://proxy:3128", "http://user:pass@proxy:3128/"):
// no scheme means http://, no port means 1080 (as curl). An https:// or socks proxy, a
// path, or an unreadable host or port is refused (Errc::invalid_params), with the value
// shown without its userinfo.
Result<ProxySettings> parse_proxy_settings(std::string_view https_proxy, std::string_view no_proxy);
std::vector<NoProxyRule> parse_no_proxy(std::string_view no_proxy);

// From the environment (HTTPS_PROXY, then https_proxy; NO_PROXY, then no_proxy):
// nullopt when no proxy is set.
Result<std::optional<ProxySettings>> read_proxy_environment();

} // namespace credd
