// TokenResponse: JSON or form bodies, error objects at any status, and what each failure means.
#include "token_response.hh"

#include <charconv>
#include <cmath>
#include <ctime>
#include <map>

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include "form_encoding.hh"
#include "wiping_arena.hh"

namespace credd {

namespace {

namespace json = boost::json;

constexpr std::size_t max_description_bytes = 200;
// A lifetime past this is a provider bug (or a unit mix-up); ten years.
constexpr std::int64_t max_expires_in_s = 10LL * 365 * 86400;

// The provider's words, made safe to log: printable ASCII only, truncated. Anything that
// looks like a long opaque run (a token echoed back) is cut out.
std::string sanitise(std::string_view text) {
    std::string out;
    std::size_t run = 0;
    for (const char c : text) {
        if (out.size() >= max_description_bytes) {
            out += "…";
            break;
        }
        const bool printable = c >= 0x20 && c < 0x7f;
        out.push_back(printable ? c : '?');
        run = (c == ' ' || !printable) ? 0 : run + 1;
        if (run == 40) {
            out.resize(out.size() - 40);
            out += "[redacted]";
        } else if (run > 40) {
            out.pop_back();
        }
    }
    return out;
}

RefreshFailure failure(ErrorClass c, std::string message,
                       std::optional<std::int64_t> retry_after = std::nullopt) {
    return RefreshFailure{c, std::move(message), retry_after};
}

// The fields of a body, whichever of the two encodings it came in. Values that are not
// strings keep their JSON text (expires_in: 3600).
struct Fields {
    std::map<std::string, std::string> values;
    Fields() = default;
    explicit Fields(std::map<std::string, std::string> v) : values(std::move(v)) {}
    Fields(Fields&&) = default;
    Fields& operator=(Fields&&) = default;
    // The values are the token, the refresh token…: wiped, not just freed.
    ~Fields() {
        for (auto& kv : values) {
            wipe(kv.second);
        }
    }
    std::string get(const std::string& key) const {
        const auto it = values.find(key);
        return it == values.end() ? std::string{} : it->second;
    }
    bool has(const std::string& key) const { return values.contains(key); }
};

std::optional<Fields> json_fields(std::string_view body) {
    // The parser's scratch space and the parsed value live in a wiping arena (and a
    // stack buffer wiped below), so the tokens it copies leave no plaintext behind.
    WipingArena arena(4096);
    boost::system::error_code ec;
    const json::value v = parse_wiping(arena, body, ec);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    Fields f;
    for (const auto& kv : v.get_object()) {
        const json::value& val = kv.value();
        if (val.is_string()) {
            f.values.emplace(kv.key(), val.get_string());
        } else if (val.is_int64()) {
            f.values.emplace(kv.key(), std::to_string(val.get_int64()));
        } else if (val.is_uint64()) {
            f.values.emplace(kv.key(), std::to_string(val.get_uint64()));
        } else if (val.is_double()) {
            // Rounded only within a range llround can hold; anything else keeps a text
            // that no field reader accepts, so it is reported, not wrapped around.
            const double d = val.get_double();
            f.values.emplace(kv.key(), std::isfinite(d) && std::fabs(d) < 1e15
                                           ? std::to_string(std::llround(d))
                                           : std::string("out-of-range"));
        }
    }
    return f;
}

bool looks_like_html(const HttpResponse& r) {
    if (r.content_type == "text/html" || r.content_type == "application/xhtml+xml") {
        return true;
    }
    const auto start = r.body.find_first_not_of(" \t\r\n");
    return start != std::string::npos && r.body[start] == '<';
}

// JSON when it parses as an object; else a form body when it is declared as one or reads
// as one (GitHub's default answer is form-encoded).
std::optional<Fields> body_fields(const HttpResponse& r) {
    if (auto f = json_fields(r.body)) {
        return f;
    }
    if (r.body.find('{') != std::string::npos &&
        r.content_type != "application/x-www-form-urlencoded") {
        return std::nullopt;
    }
    if (auto form = form_decode(r.body); form && !form->empty()) {
        return Fields(std::move(*form));
    }
    return std::nullopt;
}

std::optional<std::int64_t> parse_expires_in(const std::string& text) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size() || n <= 0 || n > max_expires_in_s) {
        return std::nullopt;
    }
    return n;
}

RefreshFailure error_object_failure(const Fields& f, int status,
                                    std::optional<std::int64_t> retry_after) {
    const std::string code = sanitise(f.get("error"));
    std::string message = "token endpoint refused: " + code;
    if (const auto d = f.get("error_description"); !d.empty()) {
        message += " (" + sanitise(d) + ")";
    }
    message += ", HTTP " + std::to_string(status);
    return failure(classify_oauth_error(code, status), std::move(message), retry_after);
}

TokenResult grant_from(const Fields& f) {
    std::string access = f.get("access_token");
    if (access.empty()) {
        wipe(access);
        return failure(ErrorClass::transient,
                       "token endpoint answered without an access_token or an error");
    }
    TokenGrant g;
    g.access_token = Secret::adopt(access);
    std::string refresh = f.get("refresh_token");
    g.refresh_token = Secret::adopt(refresh);
    std::string id_token = f.get("id_token");
    g.id_token = Secret::adopt(id_token);
    if (f.has("expires_in")) {
        g.expires_in_s = parse_expires_in(f.get("expires_in"));
        if (!g.expires_in_s) {
            return failure(ErrorClass::transient,
                           "token endpoint answered an unreadable expires_in \"" +
                               sanitise(f.get("expires_in")) + '"');
        }
    }
    return g;
}

} // namespace

TokenResult parse_token_response(const HttpResponse& r, UnixMs now) {
    const std::optional<std::int64_t> retry_after =
        r.retry_after ? parse_retry_after(*r.retry_after, now) : std::nullopt;
    const bool ok_status = r.status >= 200 && r.status < 300;
    if (!ok_status && r.status >= 300 && r.status < 400) {
        return failure(ErrorClass::fix_configuration,
                       "token endpoint redirected (HTTP " + std::to_string(r.status) +
                           "); redirects are not followed: set the final token URL");
    }
    if (looks_like_html(r)) {
        // A 2xx page is a login or portal page: the token URL is wrong. An error page
        // is classed by its status like any other.
        const ErrorClass c =
            ok_status ? ErrorClass::fix_configuration : classify_http_status(r.status);
        return failure(c,
                       "token endpoint answered HTTP " + std::to_string(r.status) +
                           " with an HTML page" +
                           (ok_status ? "; is the token URL the token endpoint?" : ""),
                       retry_after);
    }
    auto fields = body_fields(r);
    if (fields && fields->has("error")) {
        return error_object_failure(*fields, r.status, retry_after);
    }
    if (!ok_status) {
        return failure(classify_http_status(r.status),
                       "token endpoint answered HTTP " + std::to_string(r.status), retry_after);
    }
    if (!fields) {
        return failure(ErrorClass::transient, "token endpoint answered HTTP " +
                                                  std::to_string(r.status) +
                                                  " with a body that is neither JSON nor a form");
    }
    return grant_from(*fields);
}

std::optional<std::int64_t> parse_retry_after(std::string_view value, UnixMs now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc{} && end == value.data() + value.size()) {
        if (seconds < 0) {
            return std::nullopt;
        }
        return std::min<std::int64_t>(seconds, 86400 * 365) * 1000;
    }
    // IMF-fixdate, the form RFC 9110 requires senders to use.
    std::tm tm{};
    const std::string text(value);
    const char* parsed = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (parsed == nullptr || *parsed != '\0') {
        return std::nullopt;
    }
    const UnixMs at = static_cast<UnixMs>(::timegm(&tm)) * 1000;
    return std::max<std::int64_t>(0, at - now);
}

} // namespace credd
