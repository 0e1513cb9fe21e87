// Url: the parts of a URL that credential matching looks at.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "error.hh"

namespace credd {

// A parsed absolute URL, normalised for comparison: scheme and host lower case, the
// scheme's default port folded away (https://h:443 is https://h), query and fragment
// dropped, path without a trailing '/'. Userinfo yields `username`; a password in a
// URL is refused, since it would be a secret on a command line.
struct Url {
    std::string scheme;
    std::string host; // IPv6 literals keep their brackets
    std::optional<std::uint16_t> port;
    std::string path; // "" or "/a/b"
    std::optional<std::string> username;

    // scheme://[user@]host[:port][path]
    std::string to_string() const;
    // scheme://host[:port] — what a credential is said to be for in tables.
    std::string origin() const;
};

Result<Url> parse_url(std::string_view text);

// `s` with ASCII letters in lower case (URL schemes and hosts, protocol keywords).
std::string lower(std::string_view s);

// Whether `path` lies under `prefix`, compared whole segment by segment
// ("/org" covers "/org" and "/org/repo", not "/organisation").
bool path_has_prefix(std::string_view path, std::string_view prefix);

// Number of '/'-separated segments of a normalised path ("" -> 0, "/a/b" -> 2).
int path_depth(std::string_view path);

} // namespace credd
