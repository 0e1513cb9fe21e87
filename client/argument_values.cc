// Parsing and checking single values from cred's command line.
#include "argument_values.hh"

#include <algorithm>
#include <charconv>
#include <utility>

#include "url.hh"

namespace credd::cli {

Error usage_error(std::string message, std::string hint) {
    return make_error(Errc::invalid_params, std::move(message), std::move(hint));
}

Error command_usage_error(CommandKind kind, std::string message) {
    const std::string name(command_name(kind));
    return usage_error(name + ": " + std::move(message), "run: cred " + name + " --help");
}

namespace {

// Why refuse rather than ignore: a URL with "user:password@" is a secret on argv, and
// quoting it back in an error would copy it to the terminal's scrollback as well.
bool url_has_password(std::string_view text) {
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) {
        return false;
    }
    std::string_view authority = text.substr(sep + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    const auto at = authority.rfind('@');
    return at != std::string_view::npos &&
           authority.substr(0, at).find(':') != std::string_view::npos;
}

} // namespace

Result<std::string> checked_url(std::string_view text) {
    if (url_has_password(text)) {
        return usage_error("url: a password in a URL is refused; give the secret on stdin",
                           "printf %s \"$TOKEN\" | cred add NAME --url https://host");
    }
    auto url = parse_url(text);
    if (!url) {
        return url.error();
    }
    return std::string(text);
}

Result<std::string> checked_name(std::string_view text) {
    if (!is_valid_name(text)) {
        return usage_error("credential name \"" + std::string(text.substr(0, 200)) +
                               "\": use 1-128 of A-Z a-z 0-9 . _ @ + -, starting with a letter "
                               "or digit",
                           "e.g. github-work");
    }
    return std::string(text);
}

Result<std::string> checked_username(std::string_view text) {
    if (text.empty()) {
        return usage_error("--username: empty");
    }
    return std::string(text);
}

bool is_secret_option(std::string_view arg) {
    for (std::string_view option : {"--token", "--secret", "--password"}) {
        if (arg == option ||
            (arg.starts_with(option) && arg.size() > option.size() && arg[option.size()] == '=')) {
            return true;
        }
    }
    return false;
}

Result<Label> parse_label(std::string_view text) {
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        return usage_error("--label \"" + std::string(text.substr(0, 200)) + "\": write KEY=VALUE",
                           "e.g. --label team=infra");
    }
    return Label{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Result<std::int64_t> parse_seconds(std::string_view text) {
    std::int64_t unit = 1;
    std::string_view digits = text;
    if (!text.empty()) {
        switch (text.back()) {
        case 's':
            unit = 1;
            break;
        case 'm':
            unit = 60;
            break;
        case 'h':
            unit = 3600;
            break;
        case 'd':
            unit = 86400;
            break;
        default:
            unit = 0;
            break;
        }
        if (unit != 0) {
            digits.remove_suffix(1);
        } else {
            unit = 1;
        }
    }
    std::int64_t n = -1;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    // Ten years is far beyond any token lifetime and keeps milliseconds far from overflow.
    constexpr std::int64_t max_seconds = 10LL * 366 * 86400;
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || n < 0 ||
        n > max_seconds / unit) {
        return usage_error("duration \"" + std::string(text.substr(0, 50)) +
                               "\": write seconds, or N with s, m, h or d, up to 10 years",
                           "e.g. --min-valid 300 or --min-valid 5m");
    }
    return n * unit;
}

} // namespace credd::cli
