// URL parsing and path comparison for credential matching.
#include "url.hh"

#include <algorithm>
#include <charconv>

#include "utf8.hh"

namespace credd {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    });
    return out;
}

namespace {

std::optional<std::uint16_t> default_port(std::string_view scheme) {
    if (scheme == "https") {
        return 443;
    }
    if (scheme == "http") {
        return 80;
    }
    return std::nullopt;
}

Error bad_url(std::string_view text, std::string_view why) {
    return make_error(Errc::invalid_params,
                      "url \"" + std::string(utf8_prefix(text, 200)) + "\": " + std::string(why),
                      "write it as scheme://host[:port][/path], e.g. https://github.com");
}

bool is_scheme_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_';
}

// Inside [...]: hex digits, ':' and '.' (for an embedded IPv4 address).
bool is_ipv6_char(char c) {
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
           c == '.';
}

} // namespace

std::string Url::origin() const {
    std::string out = scheme + "://" + host;
    if (port) {
        out += ':' + std::to_string(*port);
    }
    return out;
}

std::string Url::to_string() const {
    std::string out = scheme + "://";
    if (username) {
        out += *username + '@';
    }
    out += host;
    if (port) {
        out += ':' + std::to_string(*port);
    }
    return out + path;
}

Result<Url> parse_url(std::string_view text) {
    const auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0 ||
        !std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(sep),
                     is_scheme_char)) {
        return bad_url(text, "no scheme");
    }
    Url url;
    url.scheme = lower(text.substr(0, sep));
    std::string_view rest = text.substr(sep + 3);
    rest = rest.substr(0, rest.find_first_of("?#"));
    const auto path_start = rest.find('/');
    std::string_view authority = rest.substr(0, path_start);
    std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);

    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        if (userinfo.find(':') != std::string_view::npos) {
            // Not quoted back: the message would carry the password into logs.
            return make_error(Errc::invalid_params,
                              "url: a password in a URL is refused; give the secret on stdin",
                              "write it as scheme://[user@]host[:port][/path]");
        }
        if (!userinfo.empty()) {
            url.username = std::string(userinfo);
        }
        authority.remove_prefix(at + 1);
    }
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad_url(text, "unclosed IPv6 literal");
        }
        host = authority.substr(0, close + 1);
        if (host.size() == 2 || !std::all_of(host.begin() + 1, host.end() - 1, is_ipv6_char)) {
            return bad_url(text, "bad IPv6 address");
        }
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && (after.front() != ':' || after.size() == 1)) {
            return bad_url(text, "bad port");
        }
        port = after.empty() ? after : after.substr(1);
    } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) {
            return bad_url(text, "bad port");
        }
        if (!std::all_of(host.begin(), host.end(), is_host_char)) {
            return bad_url(text, "bad host");
        }
    } else if (!std::all_of(host.begin(), host.end(), is_host_char)) {
        return bad_url(text, "bad host");
    }
    if (host.empty()) {
        return bad_url(text, "no host");
    }
    url.host = lower(host);
    if (!port.empty()) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || ptr != port.data() + port.size() || value == 0 || value > 65535) {
            return bad_url(text, "bad port");
        }
        if (default_port(url.scheme) != value) {
            url.port = static_cast<std::uint16_t>(value);
        }
    }
    while (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    url.path = std::string(path);
    return url;
}

bool path_has_prefix(std::string_view path, std::string_view prefix) {
    if (prefix.empty()) {
        return true;
    }
    if (!path.starts_with(prefix)) {
        return false;
    }
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

int path_depth(std::string_view path) {
    return static_cast<int>(std::count(path.begin(), path.end(), '/'));
}

} // namespace credd
