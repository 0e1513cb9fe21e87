// docker's credential-helper protocol: server names, the store request, the answers.
#include "docker_credential.hh"

#include <algorithm>
#include <memory>

#include <boost/json/parse.hpp>
#include <boost/json/static_resource.hpp>

namespace credd::docker {

namespace json = boost::json;

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    return out;
}

bool is_docker_hub(std::string_view host) {
    return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" ||
           host == "registry.hub.docker.com";
}

// A JSON string as Go's encoding/json writes it, straight into `out`.
void append_go_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    out += '"';
}

std::size_t go_string_bound(std::string_view s) {
    return s.size() * 6 + 2;
}

} // namespace

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::optional<std::string> match_url(std::string_view server) {
    server = trim(server);
    if (server.empty()) {
        return std::nullopt;
    }
    std::string scheme = "https";
    if (const auto sep = server.find("://"); sep != std::string_view::npos) {
        scheme = lower(server.substr(0, sep));
        server.remove_prefix(sep + 3);
    }
    std::string_view authority = server.substr(0, server.find('/'));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);
    }
    std::string host = lower(authority);
    if (is_docker_hub(host)) {
        return std::string(docker_hub_url);
    }
    return scheme + "://" + host;
}

Result<StoreRequest> parse_store(std::string_view input) {
    // Parsed into an arena that is wiped afterwards: the JSON holds the secret.
    const std::size_t size = input.size() * 2 + 4096;
    auto arena = std::make_unique<unsigned char[]>(size);
    Result<StoreRequest> out = make_error(Errc::parse_error, "");
    {
        json::static_resource resource(arena.get(), size);
        boost::system::error_code ec;
        const json::value v = json::parse(input, ec, json::storage_ptr(&resource));
        const auto* o = ec ? nullptr : v.if_object();
        const auto field = [&](std::string_view key) -> std::string_view {
            const auto* f = o ? o->if_contains(key) : nullptr;
            return f && f->is_string() ? std::string_view(f->get_string()) : std::string_view{};
        };
        if (!o) {
            out = make_error(Errc::parse_error, "invalid character in the credentials JSON");
        } else if (field("ServerURL").empty()) {
            out = make_error(Errc::invalid_params, std::string(missing_server_message));
        } else if (field("Username").empty()) {
            out = make_error(Errc::invalid_params, std::string(missing_username_message));
        } else {
            out = StoreRequest{std::string(field("ServerURL")), std::string(field("Username")),
                               Secret(field("Secret"))};
        }
    }
    wipe(arena.get(), size);
    return out;
}

std::string format_get(std::string_view server_url, std::string_view username,
                       std::string_view secret) {
    std::string out;
    // Sized once: a reallocation would leave a copy of the secret behind, unwiped.
    out.reserve(64 + go_string_bound(server_url) + go_string_bound(username) +
                go_string_bound(secret));
    out += R"({"ServerURL":)";
    append_go_string(out, server_url);
    out += R"(,"Username":)";
    append_go_string(out, username);
    out += R"(,"Secret":)";
    append_go_string(out, secret);
    out += "}\n";
    return out;
}

std::string format_list(std::vector<std::pair<std::string, std::string>> entries) {
    std::sort(entries.begin(), entries.end());
    std::string out = "{";
    std::string_view previous;
    bool first = true;
    for (const auto& [server, username] : entries) {
        if (!first && server == previous) {
            continue; // a map has one value per key; the first (smallest) username wins
        }
        if (!first) {
            out += ',';
        }
        append_go_string(out, server);
        out += ':';
        append_go_string(out, username);
        previous = server;
        first = false;
    }
    out += "}\n";
    return out;
}

} // namespace credd::docker
