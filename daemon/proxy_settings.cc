// ProxySettings: parsing the proxy URL and NO_PROXY, and matching a host against them.
#include "proxy_settings.hh"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <arpa/inet.h>

#include "form_encoding.hh"

namespace credd {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_port(std::string_view p) {
    return !p.empty() && p.size() <= 5 && std::all_of(p.begin(), p.end(), ::isdigit) &&
           std::stoi(std::string(p)) > 0 && std::stoi(std::string(p)) < 65536;
}

// The canonical text of an IPv4 or IPv6 literal (brackets allowed), or nullopt.
std::optional<std::string> canonical_address(std::string_view host) {
    std::string h(host);
    if (h.size() > 2 && h.front() == '[' && h.back() == ']') {
        h = h.substr(1, h.size() - 2);
    }
    unsigned char raw[16];
    char text[INET6_ADDRSTRLEN];
    for (const int family : {AF_INET, AF_INET6}) {
        if (::inet_pton(family, h.c_str(), raw) == 1 &&
            ::inet_ntop(family, raw, text, sizeof text) != nullptr) {
            return std::string(text);
        }
    }
    return std::nullopt;
}

bool is_loopback(std::string_view host) {
    if (host == "localhost") {
        return true;
    }
    const auto a = canonical_address(host);
    return a && (a->starts_with("127.") || *a == "::1");
}

// "%41" -> "A"; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) {
            return std::nullopt;
        }
        const std::string hex(s.substr(i + 1, 2));
        if (!std::isxdigit(static_cast<unsigned char>(hex[0])) ||
            !std::isxdigit(static_cast<unsigned char>(hex[1]))) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(std::stoi(hex, nullptr, 16)));
        i += 2;
    }
    return out;
}

Secret basic_credentials(std::string_view userinfo) {
    const auto colon = userinfo.find(':');
    // Checked by the caller: both parts decode.
    std::string user = percent_decode(userinfo.substr(0, colon)).value_or("");
    std::string pass =
        percent_decode(colon == std::string_view::npos ? "" : userinfo.substr(colon + 1))
            .value_or("");
    std::string joined = user + ":" + pass;
    wipe(user);
    wipe(pass);
    return basic_header_value(joined);
}

Error refused(std::string_view shown, std::string why) {
    return make_error(Errc::invalid_params,
                      "HTTPS_PROXY " + std::string(shown) + ": " + std::move(why),
                      "set HTTPS_PROXY to http://[user:password@]host:port, or unset it");
}

} // namespace

std::vector<NoProxyRule> parse_no_proxy(std::string_view list) {
    std::vector<NoProxyRule> rules;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string entry = lower(list.substr(0, comma));
        list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
        entry.erase(std::remove_if(entry.begin(), entry.end(), ::isspace), entry.end());
        if (entry.empty()) {
            continue;
        }
        NoProxyRule rule;
        if (entry == "*") {
            rule.everything = true;
            rules.push_back(rule);
            continue;
        }
        // A port: "host:443", "[::1]:443"; a bare IPv6 literal has colons but no port.
        if (const auto a = canonical_address(entry)) {
            rule.host = *a;
            rule.is_address = true;
        } else {
            const auto colon = entry.rfind(':');
            if (colon != std::string::npos && is_port(entry.substr(colon + 1))) {
                rule.port = entry.substr(colon + 1);
                entry.resize(colon);
            }
            if (const auto a = canonical_address(entry)) {
                rule.host = *a;
                rule.is_address = true;
            } else {
                rule.host = entry.front() == '.' ? entry.substr(1) : entry;
            }
        }
        if (!rule.host.empty()) {
            rules.push_back(rule);
        }
    }
    return rules;
}

bool ProxySettings::bypasses(std::string_view host_in, std::string_view port) const {
    const std::string host = lower(host_in);
    if (is_loopback(host)) {
        return true;
    }
    const auto address = canonical_address(host);
    for (const auto& r : no_proxy) {
        if (r.everything) {
            return true;
        }
        if (!r.port.empty() && r.port != port) {
            continue;
        }
        if (r.is_address ? address && *address == r.host
                         : !address && (host == r.host || (host.size() > r.host.size() &&
                                                           host.ends_with("." + r.host)))) {
            return true;
        }
    }
    return false;
}

Result<ProxySettings> parse_proxy_settings(std::string_view value, std::string_view no_proxy) {
    std::string_view rest = value;
    std::string scheme = "http";
    if (const auto sep = rest.find("://"); sep != std::string_view::npos) {
        scheme = lower(rest.substr(0, sep));
        rest = rest.substr(sep + 3);
    }
    // The userinfo ends at the last '@' anywhere: a password typed with an unescaped '/'
    // must not be taken for a path, which would put it in the refusal below.
    std::string_view userinfo;
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
    }
    std::string_view authority = rest.substr(0, rest.find('/'));
    const std::string_view path =
        authority.size() == rest.size() ? "" : rest.substr(authority.size());
    // What may be shown: the value without its userinfo.
    const std::string shown = scheme + "://" + std::string(authority) + std::string(path);
    if (scheme != "http") {
        return refused(shown, "only an http:// proxy is supported (CONNECT over plain TCP; "
                              "the token request inside is TLS end to end)");
    }
    if (!path.empty() && path != "/") {
        return refused(shown, "a proxy URL has no path");
    }
    ProxySettings s;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return refused(shown, "unterminated IPv6 address");
        }
        s.host = std::string(authority.substr(1, close - 1));
        const auto after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') {
            return refused(shown, "unreadable host");
        }
        port = after.empty() ? "" : after.substr(1);
    } else {
        const auto colon = authority.rfind(':');
        s.host = std::string(authority.substr(0, colon));
        port = colon == std::string_view::npos ? "" : authority.substr(colon + 1);
    }
    s.host = lower(s.host);
    s.port = port.empty() ? "1080" : std::string(port);
    if (s.host.empty() || !is_port(s.port) ||
        s.host.find_first_of(" \t/?#@%") != std::string::npos) {
        return refused(shown, "needs a host and a port between 1 and 65535");
    }
    if (!userinfo.empty()) {
        if (!percent_decode(userinfo)) {
            return refused(shown, "the user name or password has a malformed %-escape");
        }
        s.authorization = basic_credentials(userinfo);
    }
    const bool v6 = s.host.find(':') != std::string::npos;
    s.display = "http://" + (v6 ? "[" + s.host + "]" : s.host) + ":" + s.port;
    s.no_proxy = parse_no_proxy(no_proxy);
    return s;
}

Result<std::optional<ProxySettings>> read_proxy_environment() {
    const char* proxy = nullptr;
    for (const char* name : {"HTTPS_PROXY", "https_proxy"}) {
        if (const char* v = std::getenv(name); v != nullptr && *v != '\0' && proxy == nullptr) {
            proxy = v;
        }
    }
    if (proxy == nullptr) {
        return std::optional<ProxySettings>{};
    }
    const char* no_proxy = "";
    for (const char* name : {"NO_PROXY", "no_proxy"}) {
        if (const char* v = std::getenv(name); v != nullptr && *v != '\0' && *no_proxy == '\0') {
            no_proxy = v;
        }
    }
    auto s = parse_proxy_settings(proxy, no_proxy);
    if (!s) {
        return s.error();
    }
    return std::optional<ProxySettings>(std::move(*s));
}

} // namespace credd
