// Credential: name rules, the JSON form of a record and the binary form of its secrets.
#include "credential.hh"

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

namespace credd {

namespace {

// The JSON written to the store. Every member is always written, so a missing one on
// read means the record was damaged, not that it came from an older credd.
namespace field {
constexpr std::string_view name = "name";
constexpr std::string_view kind = "kind";
constexpr std::string_view url = "url";
constexpr std::string_view username = "username";
constexpr std::string_view expires_at = "expires_at";
constexpr std::string_view labels = "labels";
constexpr std::string_view params = "params";
constexpr std::string_view generation = "generation";
constexpr std::string_view created_at = "created_at";
constexpr std::string_view updated_at = "updated_at";
// Optional, unlike the rest: records written before the refresh engine have none.
constexpr std::string_view refresh = "refresh";
} // namespace field

// Reads what is on disk, so every failure is damage: Errc::corrupt, with the field.
Error corrupt_record(std::string_view what, std::string_view why) {
    return make_error(Errc::corrupt,
                      "stored record: " + std::string(what) + ": " + std::string(why),
                      "replace the credential: cred remove NAME, then cred add NAME");
}

Result<const boost::json::value*> member(const boost::json::object& o, std::string_view key) {
    const boost::json::value* v = o.if_contains(key);
    if (v == nullptr) {
        return corrupt_record(key, "missing");
    }
    return v;
}

Result<std::string> string_member(const boost::json::object& o, std::string_view key) {
    auto v = member(o, key);
    if (!v) {
        return v.error();
    }
    const boost::json::string* s = (*v)->if_string();
    if (s == nullptr) {
        return corrupt_record(key, "not a string");
    }
    return std::string(*s);
}

Result<std::int64_t> int64_of(const boost::json::value& v, std::string_view key) {
    if (const auto* i = v.if_int64()) {
        return *i;
    }
    if (const auto* u = v.if_uint64();
        u != nullptr &&
        *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return static_cast<std::int64_t>(*u);
    }
    return corrupt_record(key, "not an integer");
}

Result<std::int64_t> int64_member(const boost::json::object& o, std::string_view key) {
    auto v = member(o, key);
    if (!v) {
        return v.error();
    }
    return int64_of(**v, key);
}

Result<std::uint64_t> uint64_member(const boost::json::object& o, std::string_view key) {
    auto v = member(o, key);
    if (!v) {
        return v.error();
    }
    if (const auto* u = (*v)->if_uint64()) {
        return *u;
    }
    if (const auto* i = (*v)->if_int64(); i != nullptr && *i >= 0) {
        return static_cast<std::uint64_t>(*i);
    }
    return corrupt_record(key, "not a non-negative integer");
}

Result<const boost::json::object*> object_member(const boost::json::object& o,
                                                 std::string_view key) {
    auto v = member(o, key);
    if (!v) {
        return v.error();
    }
    const boost::json::object* obj = (*v)->if_object();
    if (obj == nullptr) {
        return corrupt_record(key, "not an object");
    }
    return obj;
}

// The URL is stored without its username (which has a member of its own), so a stored
// URL that carries one was not written by us.
Result<void> read_match(const boost::json::object& o, Url& match) {
    auto url_text = string_member(o, field::url);
    if (!url_text) {
        return url_text.error();
    }
    auto url = parse_url(*url_text);
    if (!url) {
        return corrupt_record(field::url, "not a valid url");
    }
    if (url->username) {
        return corrupt_record(field::url, "carries a username");
    }
    auto username = member(o, field::username);
    if (!username) {
        return username.error();
    }
    if (const auto* s = (*username)->if_string()) {
        if (s->empty()) {
            return corrupt_record(field::username, "empty");
        }
        url->username = std::string(*s);
    } else if (!(*username)->is_null()) {
        return corrupt_record(field::username, "not a string or null");
    }
    match = std::move(*url);
    return {};
}

Result<void> read_expiry(const boost::json::object& o, std::optional<UnixMs>& expires_at) {
    auto v = member(o, field::expires_at);
    if (!v) {
        return v.error();
    }
    if ((*v)->is_null()) {
        expires_at.reset();
        return {};
    }
    auto t = int64_of(**v, field::expires_at);
    if (!t) {
        return t.error();
    }
    expires_at = *t;
    return {};
}

Result<void> read_labels(const boost::json::object& o, std::map<std::string, std::string>& out) {
    auto labels = object_member(o, field::labels);
    if (!labels) {
        return labels.error();
    }
    for (const auto& [key, value] : **labels) {
        const boost::json::string* s = value.if_string();
        if (s == nullptr) {
            return corrupt_record(field::labels, "a value is not a string");
        }
        out.emplace(std::string(key), std::string(*s));
    }
    return {};
}

Result<void> read_identity(const boost::json::object& o, CredentialRecord& r) {
    auto name = string_member(o, field::name);
    if (!name) {
        return name.error();
    }
    if (!is_valid_name(*name)) {
        return corrupt_record(field::name, "not a valid credential name");
    }
    auto kind = string_member(o, field::kind);
    if (!kind) {
        return kind.error();
    }
    if (kind->empty()) {
        return corrupt_record(field::kind, "empty");
    }
    r.name = std::move(*name);
    r.kind = std::move(*kind);
    return {};
}

Result<void> read_counters(const boost::json::object& o, CredentialRecord& r) {
    auto generation = uint64_member(o, field::generation);
    if (!generation) {
        return generation.error();
    }
    auto created = int64_member(o, field::created_at);
    if (!created) {
        return created.error();
    }
    auto updated = int64_member(o, field::updated_at);
    if (!updated) {
        return updated.error();
    }
    r.generation = *generation;
    r.created_at = *created;
    r.updated_at = *updated;
    return {};
}

boost::json::value optional_int(const std::optional<std::int64_t>& v) {
    return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

boost::json::object refresh_to_json(const RefreshState& s) {
    return boost::json::object{
        {"last_refresh", optional_int(s.last_refresh)},
        {"next_refresh", optional_int(s.next_refresh)},
        {"last_error", s.last_error ? boost::json::value(*s.last_error) : nullptr},
        {"error_class", s.error_class},
        {"failures", s.failures},
        {"default_lifetime", s.default_lifetime},
    };
}

std::optional<std::int64_t> read_optional_int(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return std::nullopt;
    }
    auto n = int64_of(*v, key);
    return n ? std::optional<std::int64_t>(*n) : std::nullopt;
}

// Lenient: the refresh state is the daemon's own bookkeeping and is rewritten on the next
// attempt, so a damaged member is dropped rather than making the credential unusable.
RefreshState refresh_from_json(const boost::json::object& o) {
    RefreshState s;
    const auto* r = o.if_contains(field::refresh);
    if (r == nullptr || !r->is_object()) {
        return s;
    }
    const auto& obj = r->get_object();
    s.last_refresh = read_optional_int(obj, "last_refresh");
    s.next_refresh = read_optional_int(obj, "next_refresh");
    if (const auto* e = obj.if_contains("last_error"); e != nullptr && e->is_string()) {
        s.last_error = std::string(e->get_string());
    }
    if (const auto* c = obj.if_contains("error_class"); c != nullptr && c->is_string()) {
        s.error_class = std::string(c->get_string());
    }
    s.failures = static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(read_optional_int(obj, "failures").value_or(0), 0, 1'000'000));
    if (const auto* d = obj.if_contains("default_lifetime"); d != nullptr && d->is_bool()) {
        s.default_lifetime = d->get_bool();
    }
    return s;
}

// Secret encoding: version byte, then per present field tag (1 byte), length (4 bytes,
// little endian), bytes. A new field gets a new tag; a new layout a new version.
// Version 2 added the id_token tag; version 1 records (without it) still decode.
constexpr unsigned char secrets_version = 2;
constexpr unsigned char secrets_version_1 = 1;
constexpr std::size_t secret_header_bytes = 5;

enum class SecretTag : unsigned char {
    token = 1,
    refresh_token = 2,
    client_secret = 3,
    id_token = 4
};

struct TaggedSecret {
    SecretTag tag;
    Secret SecretMaterial::*member;
};

constexpr std::array<TaggedSecret, 4> secret_fields{{
    {SecretTag::token, &SecretMaterial::token},
    {SecretTag::refresh_token, &SecretMaterial::refresh_token},
    {SecretTag::client_secret, &SecretMaterial::client_secret},
    {SecretTag::id_token, &SecretMaterial::id_token},
}};

Error corrupt_secrets(std::string_view why) {
    return make_error(Errc::corrupt, "sealed secrets: " + std::string(why),
                      "replace the credential: cred remove NAME, then cred add NAME");
}

void append_le32(std::string& out, std::uint32_t n) {
    for (int shift = 0; shift < 32; shift += 8) {
        out.push_back(static_cast<char>((n >> shift) & 0xff));
    }
}

std::uint32_t read_le32(std::string_view bytes) {
    std::uint32_t n = 0;
    for (int i = 3; i >= 0; --i) {
        n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
    }
    return n;
}

} // namespace

bool is_refreshable_kind(std::string_view kind) {
    return kind == kind_oauth2_refresh_token || kind == kind_oauth2_client_credentials ||
           kind == kind_exec || is_login_kind(kind);
}

bool is_login_kind(std::string_view kind) {
    return kind == kind_device || kind == kind_auth_code;
}

boost::json::object record_to_json(const CredentialRecord& r) {
    Url bare = r.match;
    bare.username.reset();
    boost::json::object labels;
    for (const auto& [key, value] : r.labels) {
        labels[key] = value;
    }
    boost::json::object o;
    o[field::name] = r.name;
    o[field::kind] = r.kind;
    o[field::url] = bare.to_string();
    o[field::username] = r.match.username ? boost::json::value(*r.match.username) : nullptr;
    o[field::expires_at] = r.expires_at ? boost::json::value(*r.expires_at) : nullptr;
    o[field::labels] = std::move(labels);
    o[field::params] = r.params;
    o[field::generation] = r.generation;
    o[field::created_at] = r.created_at;
    o[field::updated_at] = r.updated_at;
    if (is_refreshable_kind(r.kind)) {
        o[field::refresh] = refresh_to_json(r.refresh);
    }
    return o;
}

Result<CredentialRecord> record_from_json(const boost::json::value& v) {
    const boost::json::object* o = v.if_object();
    if (o == nullptr) {
        return corrupt_record("record", "not a JSON object");
    }
    CredentialRecord r;
    if (auto ok = read_identity(*o, r); !ok) {
        return ok.error();
    }
    if (auto ok = read_match(*o, r.match); !ok) {
        return ok.error();
    }
    if (auto ok = read_expiry(*o, r.expires_at); !ok) {
        return ok.error();
    }
    if (auto ok = read_labels(*o, r.labels); !ok) {
        return ok.error();
    }
    auto params = object_member(*o, field::params);
    if (!params) {
        return params.error();
    }
    r.params = **params;
    if (auto ok = read_counters(*o, r); !ok) {
        return ok.error();
    }
    r.refresh = refresh_from_json(*o);
    return r;
}

Secret encode_secrets(const SecretMaterial& m) {
    std::size_t total = 1;
    for (const auto& f : secret_fields) {
        const Secret& s = m.*f.member;
        if (!s.empty()) {
            total += secret_header_bytes + s.size();
        }
    }
    // Sized up front so the plaintext is written once and never left behind in a buffer
    // freed by a reallocation; adopt() then wipes this staging copy.
    std::string out;
    out.reserve(total);
    out.push_back(static_cast<char>(secrets_version));
    for (const auto& f : secret_fields) {
        const Secret& s = m.*f.member;
        if (s.empty()) {
            continue;
        }
        out.push_back(static_cast<char>(f.tag));
        append_le32(out, static_cast<std::uint32_t>(s.size()));
        out.append(s.expose());
    }
    return Secret::adopt(out);
}

Result<SecretMaterial> decode_secrets(std::string_view bytes) {
    if (bytes.empty()) {
        return corrupt_secrets("empty");
    }
    const auto version = static_cast<unsigned char>(bytes.front());
    if (version != secrets_version && version != secrets_version_1) {
        return corrupt_secrets("unknown encoding version");
    }
    bytes.remove_prefix(1);
    SecretMaterial m;
    while (!bytes.empty()) {
        if (bytes.size() < secret_header_bytes) {
            return corrupt_secrets("truncated field header");
        }
        const auto tag = static_cast<unsigned char>(bytes.front());
        const std::uint32_t length = read_le32(bytes.substr(1, 4));
        bytes.remove_prefix(secret_header_bytes);
        if (length > bytes.size()) {
            return corrupt_secrets("truncated field");
        }
        Secret* target = nullptr;
        for (const auto& f : secret_fields) {
            if (static_cast<unsigned char>(f.tag) == tag &&
                (version != secrets_version_1 || f.tag != SecretTag::id_token)) {
                target = &(m.*f.member);
            }
        }
        if (target == nullptr) {
            return corrupt_secrets("unknown field");
        }
        // An empty field is never written, so a repeated or empty one is damage.
        if (!target->empty() || length == 0) {
            return corrupt_secrets("repeated or empty field");
        }
        *target = Secret(bytes.substr(0, length));
        bytes.remove_prefix(length);
    }
    return m;
}

SecretMaterial clone_secrets(const SecretMaterial& m) {
    SecretMaterial out;
    out.token = m.token.clone();
    out.refresh_token = m.refresh_token.clone();
    out.client_secret = m.client_secret.clone();
    out.id_token = m.id_token.clone();
    return out;
}

} // namespace credd
