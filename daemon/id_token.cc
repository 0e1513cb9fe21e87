// IdToken: base64url-decodes a JWT's payload; the signature is not looked at.
#include "id_token.hh"

#include <boost/json/parse.hpp>

#include "secret.hh"

namespace credd {

namespace json = boost::json;

namespace {

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-' || c == '+') {
        return 62;
    }
    if (c == '_' || c == '/') {
        return 63;
    }
    return -1;
}

std::optional<std::string> base64url_decode(std::string_view in) {
    while (!in.empty() && in.back() == '=') {
        in.remove_suffix(1);
    }
    std::string out;
    out.reserve(in.size() * 3 / 4);
    std::uint32_t bits = 0;
    int count = 0;
    for (char c : in) {
        const int v = base64url_value(c);
        if (v < 0) {
            return std::nullopt;
        }
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xff));
        }
    }
    return out;
}

} // namespace

std::optional<json::object> id_token_claims(std::string_view jwt) {
    const auto first = jwt.find('.');
    const auto second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
    if (second == std::string_view::npos || jwt.size() > 64 * 1024) {
        return std::nullopt;
    }
    auto payload = base64url_decode(jwt.substr(first + 1, second - first - 1));
    if (!payload) {
        return std::nullopt;
    }
    boost::system::error_code ec;
    json::value v = json::parse(*payload, ec);
    wipe(*payload);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    return std::move(v.get_object());
}

json::object identity_of(const json::object& claims) {
    json::object out;
    for (const char* key : {"sub", "email", "preferred_username", "name"}) {
        const auto* v = claims.if_contains(key);
        out[key] = v && v->is_string() ? *v : json::value(nullptr);
    }
    return out;
}

} // namespace credd
