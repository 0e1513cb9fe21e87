// Deriving a credential name from what a credential helper stored.
#include "helper_credential_name.hh"

#include <cstdint>

#include "credential_name.hh"

namespace credd {

namespace {

constexpr std::size_t hash_hex_digits = 16;

std::uint64_t fnv1a64(std::string_view bytes) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

} // namespace

std::string helper_credential_name(std::string_view source, const Url& given) {
    Url match = given;
    if (source == "docker") {
        match.username.reset(); // docker keeps one login per server, whoever logs in
    }
    // The username goes in after a newline, which no URL part can contain, so
    // ("https://h/a", "b") and ("https://h/a\nb"…) cannot collide by construction.
    Url bare = match;
    bare.username.reset();
    const std::string key = bare.to_string() + '\n' + match.username.value_or("");
    std::string readable;
    if (match.username) {
        readable = *match.username + '@';
    }
    readable += match.host;
    if (match.port) {
        readable += '-' + std::to_string(*match.port);
    }
    const std::size_t room =
        max_credential_name_bytes - source.size() - 2 - hash_hex_digits; // two '-'
    if (readable.size() > room) {
        readable.resize(room);
    }
    std::string name(source);
    name += '-';
    for (char c : readable) {
        name += is_name_char(c) ? c : '_';
    }
    name += '-';
    static constexpr char hex[] = "0123456789abcdef";
    const std::uint64_t h = fnv1a64(key);
    for (int shift = 60; shift >= 0; shift -= 4) {
        name += hex[(h >> shift) & 0xf];
    }
    return name;
}

} // namespace credd
