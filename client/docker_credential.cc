// docker's credential-helper protocol: server names, the store request, the answers.
#include "docker_credential.hh"

#include <algorithm>
#include <memory>
#include <new>

#include <boost/json/parse.hpp>
#include <boost/json/static_resource.hpp>

#include "json_text.hh"
#include "url.hh"

namespace credd::docker {

namespace json = boost::json;

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_docker_hub(std::string_view host) {
    return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io" ||
           host == "registry.hub.docker.com";
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
    // docker writes a bare registry ("ghcr.io", "reg:5000") as often as a URL.
    const std::string text = server.find("://") == std::string_view::npos
                                 ? "https://" + std::string(server)
                                 : std::string(server);
    const auto url = parse_url(text);
    if (!url) {
        return std::nullopt;
    }
    if (!url->port && is_docker_hub(url->host)) {
        return std::string(docker_hub_url);
    }
    return url->origin();
}

Result<StoreRequest> parse_store(std::string_view input) {
    // Parsed into an arena that is wiped afterwards: the JSON holds the secret.
    const std::size_t size = input.size() * 2 + 4096;
    auto arena = std::make_unique<unsigned char[]>(size);
    Result<StoreRequest> out = make_error(Errc::parse_error, "");
    try {
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
    } catch (const std::bad_alloc&) {
        // Input crafted to need more than the arena ([0,0,0,…], many tiny members): the
        // static resource throws. Refused like any other bad JSON, and wiped all the same.
        out = make_error(Errc::parse_error, "invalid character in the credentials JSON");
    }
    wipe(arena.get(), size);
    return out;
}

std::string format_get(std::string_view server_url, std::string_view username,
                       std::string_view secret) {
    std::string out;
    // Sized once: a reallocation would leave a copy of the secret behind, unwiped.
    out.reserve(64 + json_string_bound(server_url) + json_string_bound(username) +
                json_string_bound(secret));
    out += R"({"ServerURL":)";
    append_json_string(out, server_url, HtmlEscape::yes);
    out += R"(,"Username":)";
    append_json_string(out, username, HtmlEscape::yes);
    out += R"(,"Secret":)";
    append_json_string(out, secret, HtmlEscape::yes);
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
        append_json_string(out, server, HtmlEscape::yes);
        out += ':';
        append_json_string(out, username, HtmlEscape::yes);
        previous = server;
        first = false;
    }
    out += "}\n";
    return out;
}

} // namespace credd::docker
