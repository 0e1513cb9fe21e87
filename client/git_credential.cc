// git's credential-helper protocol: parsing requests and formatting answers.
#include "git_credential.hh"

#include <algorithm>
#include <charconv>

namespace credd::git {

namespace {

Error refused(std::string why) {
    return make_error(Errc::invalid_request, "git credential input: " + std::move(why),
                      "this is git's protocol; run git-credential-credd only from git");
}

bool parse_bool(std::string_view v) {
    return v == "1" || v == "true" || v == "yes" || v == "on";
}

// git's credential_from_url, reduced to what a helper needs: it resets the parts the
// URL names and fills them from it.
void apply_url(Request& r, std::string_view url) {
    const auto sep = url.find("://");
    if (sep == std::string_view::npos) {
        return;
    }
    r.protocol = std::string(url.substr(0, sep));
    std::string_view rest = url.substr(sep + 3);
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    r.path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
    r.username.reset();
    r.password.clear();
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const auto colon = userinfo.find(':');
        r.username = std::string(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) {
            r.password = Secret(userinfo.substr(colon + 1));
        }
        authority.remove_prefix(at + 1);
    }
    r.host = std::string(authority);
}

void apply(Request& r, std::string_view key, std::string_view value) {
    if (key == "protocol") {
        r.protocol = std::string(value);
    } else if (key == "host") {
        r.host = std::string(value);
    } else if (key == "path") {
        r.path = std::string(value);
    } else if (key == "username") {
        r.username = std::string(value);
    } else if (key == "password") {
        r.password = Secret(value);
    } else if (key == "password_expiry_utc") {
        std::int64_t t = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
        // git ignores a value it cannot read; so do we. Past the year 9999 is "never"
        // in practice, and would overflow credd's milliseconds.
        constexpr std::int64_t max_expiry_utc = 253402300799;
        if (ec == std::errc() && end == value.data() + value.size() && t >= 0 &&
            t <= max_expiry_utc) {
            r.password_expiry_utc = t;
        }
    } else if (key == "oauth_refresh_token") {
        r.oauth_refresh_token = Secret(value);
    } else if (key == "url") {
        apply_url(r, value);
    } else if (key == "wwwauth[]") {
        r.wwwauth.emplace_back(value);
    } else if (key == "capability[]") {
        r.capabilities.emplace_back(value);
    } else if (key == "authtype") {
        r.authtype = std::string(value);
    } else if (key == "credential") {
        r.credential = Secret(value);
    } else if (key == "ephemeral") {
        r.ephemeral = parse_bool(value);
    } else if (key == "state[]") {
        r.state.emplace_back(value);
    } else if (key == "continue") {
        r.continue_ = parse_bool(value);
    }
}

bool has_forbidden_byte(std::string_view v) {
    return v.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos;
}

void append_line(std::string& out, std::string_view key, std::string_view value) {
    out.append(key);
    out += '=';
    out.append(value);
    out += '\n';
}

} // namespace

Operation operation_of(std::span<const std::string_view> args) {
    if (args.empty()) {
        return Operation::unknown;
    }
    const std::string_view op = args.back();
    if (op == "get") {
        return Operation::get;
    }
    if (op == "store") {
        return Operation::store;
    }
    if (op == "erase") {
        return Operation::erase;
    }
    return Operation::unknown;
}

bool Request::has_capability(std::string_view c) const {
    return std::find(capabilities.begin(), capabilities.end(), c) != capabilities.end();
}

Result<Request> parse_request(std::string_view input) {
    if (input.size() > max_input_bytes) {
        return refused("more than " + std::to_string(max_input_bytes) + " bytes");
    }
    Request r;
    while (!input.empty()) {
        const auto nl = input.find('\n');
        const std::string_view line = input.substr(0, nl);
        input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
        if (line.size() > max_line_bytes) {
            return refused("a line longer than " + std::to_string(max_line_bytes) + " bytes");
        }
        if (line.empty()) {
            break; // a blank line ends the request
        }
        const auto eq = line.find('=');
        if (eq == std::string_view::npos) {
            return refused("a line without '='");
        }
        const std::string_view key = line.substr(0, eq);
        if (has_forbidden_byte(line)) {
            // The key is not quoted back: it may be part of a secret.
            return refused("a value contains NUL or CR");
        }
        apply(r, key, line.substr(eq + 1));
    }
    return r;
}

std::optional<std::string> credd_url(const Request& r) {
    if (r.protocol.empty() || r.host.empty()) {
        return std::nullopt;
    }
    std::string url = r.protocol + "://" + r.host;
    if (!r.path.empty()) {
        if (r.path.front() != '/') {
            url += '/';
        }
        url += r.path;
    }
    return url;
}

Result<std::string> format_answer(const Answer& a, const Request& request) {
    const bool as_bearer = a.bearer && request.has_capability("authtype");
    for (std::string_view v : {a.username.value_or(""), a.token, a.refresh_token}) {
        if (has_forbidden_byte(v)) {
            return make_error(Errc::invalid_params,
                              "git credential answer: the credential holds a newline, CR or "
                              "NUL, which git's protocol cannot carry",
                              "store it again without one: cred add NAME --url URL");
        }
    }
    if (a.token.empty()) {
        return make_error(Errc::invalid_params, "git credential answer: empty token");
    }
    std::string out;
    // Sized once: a reallocation would leave a copy of the token behind, unwiped.
    out.reserve(256 + a.username.value_or("").size() + a.token.size() + a.refresh_token.size());
    if (as_bearer) {
        append_line(out, "capability[]", "authtype");
        append_line(out, "authtype", "Bearer");
        append_line(out, "credential", a.token);
    } else {
        if (a.username) {
            append_line(out, "username", *a.username);
        }
        append_line(out, "password", a.token);
    }
    if (a.expiry_utc) {
        append_line(out, "password_expiry_utc", std::to_string(*a.expiry_utc));
    }
    if (!a.refresh_token.empty()) {
        append_line(out, "oauth_refresh_token", a.refresh_token);
    }
    return out;
}

} // namespace credd::git
