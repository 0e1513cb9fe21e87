// FormEncoding: percent-encoding both ways and the Basic header.
#include "form_encoding.hh"

#include <openssl/evp.h>

namespace credd {

namespace {

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

void append_encoded(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (is_unreserved(c)) {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 0xf]);
        }
    }
}

std::optional<std::string> decode_component(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) {
                return std::nullopt;
            }
            const int hi = hex_value(s[i + 1]);
            const int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

} // namespace

std::string form_urlencode(std::string_view s) {
    std::string out;
    append_encoded(out, s);
    return out;
}

void append_form_field(std::string& out, std::string_view key, std::string_view value) {
    if (!out.empty()) {
        out.push_back('&');
    }
    append_encoded(out, key);
    out.push_back('=');
    append_encoded(out, value);
}

std::optional<std::map<std::string, std::string>> form_decode(std::string_view body) {
    std::map<std::string, std::string> out;
    while (!body.empty()) {
        const auto amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        const auto eq = pair.find('=');
        if (eq == std::string_view::npos) {
            return std::nullopt;
        }
        auto key = decode_component(pair.substr(0, eq));
        auto value = decode_component(pair.substr(eq + 1));
        if (!key || !value || key->empty()) {
            return std::nullopt;
        }
        out.insert_or_assign(std::move(*key), std::move(*value));
    }
    return out;
}

Secret basic_authorization(std::string_view client_id, std::string_view client_secret) {
    std::string joined;
    joined.reserve(3 * (client_id.size() + client_secret.size()) + 1);
    append_encoded(joined, client_id);
    joined.push_back(':');
    append_encoded(joined, client_secret);
    return basic_header_value(joined);
}

Secret basic_header_value(std::string& user_colon_password) {
    std::string out(6 + 4 * ((user_colon_password.size() + 2) / 3) + 1, '\0');
    out.replace(0, 6, "Basic ");
    const int n =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + 6),
                        reinterpret_cast<const unsigned char*>(user_colon_password.data()),
                        static_cast<int>(user_colon_password.size()));
    out.resize(6 + static_cast<std::size_t>(n));
    wipe(user_colon_password);
    return Secret::adopt(out);
}

} // namespace credd
