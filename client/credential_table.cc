// Turning credential records into table rows: only non-secret members are read.
#include "credential_table.hh"

#include <boost/json/serialize.hpp>

#include "time_text.hh"
#include "url.hh"

namespace credd {

namespace json = boost::json;

namespace {

std::string text(const json::object& credential, std::string_view key) {
    const auto* v = credential.if_contains(key);
    if (v && v->is_string() && !v->get_string().empty()) {
        return std::string(v->get_string());
    }
    return "-";
}

// last_error is a string today; an object with a message is read too, so a richer
// error record from a later daemon still shows something useful.
std::string error_text(const json::object& credential) {
    const auto* v = credential.if_contains("last_error");
    if (v && v->is_object()) {
        return text(v->get_object(), "message");
    }
    return text(credential, "last_error");
}

} // namespace

std::string match_text(const json::object& credential, bool with_username) {
    const std::string url = text(credential, "url");
    const std::string username = text(credential, "username");
    if (!with_username || username == "-") {
        return url;
    }
    auto parsed = parse_url(url);
    if (!parsed) {
        return username + " @ " + url;
    }
    parsed->username = username;
    return parsed->to_string();
}

std::string labels_text(const json::object& credential) {
    const auto* v = credential.if_contains("labels");
    if (!v || !v->is_object() || v->get_object().empty()) {
        return "-";
    }
    std::string out;
    for (const auto& [key, value] : v->get_object()) {
        if (!out.empty()) {
            out += ',';
        }
        out.append(key.data(), key.size());
        out += '=';
        out += value.is_string() ? std::string(value.get_string()) : json::serialize(value);
    }
    return out;
}

std::string time_text(const json::object& credential, std::string_view key) {
    const auto* v = credential.if_contains(key);
    if (v && v->is_int64()) {
        return format_rfc3339(v->get_int64());
    }
    if (v && v->is_uint64()) {
        return format_rfc3339(static_cast<UnixMs>(v->get_uint64()));
    }
    return "-";
}

Table make_list_table(const json::array& credentials) {
    Table table({"NAME", "KIND", "MATCH", "USERNAME", "STATUS", "EXPIRES_AT", "LABELS"});
    for (const auto& entry : credentials) {
        if (!entry.is_object()) {
            continue;
        }
        const auto& c = entry.get_object();
        table.add_row({text(c, "name"), text(c, "kind"), match_text(c, false), text(c, "username"),
                       text(c, "status"), time_text(c, "expires_at"), labels_text(c)});
    }
    return table;
}

Table make_status_table(const json::array& credentials) {
    Table table({"NAME", "KIND", "MATCH", "STATUS", "EXPIRES_AT", "NEXT_REFRESH", "LAST_REFRESH",
                 "LAST_ERROR"});
    for (const auto& entry : credentials) {
        if (!entry.is_object()) {
            continue;
        }
        const auto& c = entry.get_object();
        table.add_row({text(c, "name"), text(c, "kind"), match_text(c, true), text(c, "status"),
                       time_text(c, "expires_at"), time_text(c, "next_refresh"),
                       time_text(c, "last_refresh"), error_text(c)});
    }
    return table;
}

} // namespace credd
