// Fuzz target: any bytes through git's credential parser and answer formatter, and
// through docker's server-name and store parsers, checking what they promise.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "docker_credential.hh"
#include "git_credential.hh"

namespace {

using namespace credd;

void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "helper_input_fuzz: invariant broken: %s\n", what);
        std::abort();
    }
}

bool clean(std::string_view v) {
    return v.find_first_of(std::string_view("\0\r\n", 3)) == std::string_view::npos;
}

void check_git(std::string_view input) {
    auto request = git::parse_request(input);
    if (!request) {
        return;
    }
    const auto& r = *request;
    require(clean(r.protocol) && clean(r.host) && clean(r.path) && clean(r.password.expose()),
            "a parsed value holds NUL, CR or LF");
    require(!r.password_expiry_utc || *r.password_expiry_utc <= INT64_MAX / 1000,
            "an expiry that overflows milliseconds");
    if (auto url = git::credd_url(r)) {
        require(!r.protocol.empty() && !r.host.empty(), "a URL without protocol or host");
    }
    const git::Answer answer{r.username, r.password.expose(), r.password_expiry_utc,
                             r.oauth_refresh_token.expose(), r.has_capability("authtype")};
    auto text = git::format_answer(answer, r);
    if (!text) {
        return;
    }
    require(!text->empty() && text->back() == '\n', "an answer not ending in a newline");
    for (std::size_t at = 0; at < text->size();) {
        const auto nl = text->find('\n', at);
        const std::string_view line(text->data() + at, nl - at);
        require(line.find('=') != std::string_view::npos, "an answer line without '='");
        require(!line.starts_with("url="), "an answer with url=");
        at = nl + 1;
    }
}

void check_docker(std::string_view input) {
    if (auto url = docker::match_url(input)) {
        require(url->find("://") != std::string::npos, "a match URL without a scheme");
        require(url->find('@') == std::string::npos, "a match URL with userinfo");
    }
    auto store = docker::parse_store(input);
    if (!store) {
        return;
    }
    const std::string out =
        docker::format_get(store->server_url, store->username, store->secret.expose());
    require(out.find('\n') == out.size() - 1, "a get answer of more than one line");
    require(out.find('<') == std::string::npos && out.find('>') == std::string::npos,
            "< or > not escaped as Go escapes them");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    check_git(input);
    check_docker(input);
    return 0;
}
