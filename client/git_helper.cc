// git-credential-credd: read git's request, ask credd, answer in git's format.
#include "git_helper.hh"

#include <chrono>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "commands.hh"
#include "daemon_client.hh"
#include "full_write.hh"
#include "git_credential.hh"
#include "output.hh"
#include "protocol.hh"
#include "secret.hh"
#include "secret_request.hh"
#include "stdin_reader.hh"
#include "terminal_text.hh"
#include "url.hh"

namespace credd {

namespace json = boost::json;

namespace {

using namespace std::chrono_literals;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

// git shows a helper's stderr to the user as it is: one line, no secrets.
void say(const Error& e) {
    std::string line = "git-credential-credd: " + printable(e.message);
    if (!e.hint.empty()) {
        line += " (" + printable(e.hint) + ')';
    }
    line += '\n';
    (void)write_all(STDERR_FILENO, line);
}

std::optional<std::int64_t> int_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_int64() ? std::optional<std::int64_t>(v->get_int64()) : std::nullopt;
}

bool is_bearer(const git::Request& r) {
    return lower(r.authtype) == "bearer";
}

std::string_view string_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

// token.get, asking for a refresh token git stored; a daemon older than that parameter
// refuses it (unknown parameters are refused), and is asked again without it.
Result<json::value> call_token_get(const git::Request& request, const std::string& url,
                                   DaemonClient& daemon) {
    json::object params{{"url", url}, {"with_refresh_token", true}};
    if (request.username && !request.username->empty()) {
        params["username"] = *request.username;
    }
    auto result = daemon.call(protocol::method::token_get, params, key_call_timeout);
    if (!result && result.error().code == Errc::invalid_params) {
        params.erase("with_refresh_token");
        result = daemon.call(protocol::method::token_get, params, key_call_timeout);
    }
    return result;
}

// Every get failure exits 0 (at most one line on stderr), so git goes on to the next
// helper or asks the user.
int get(const git::Request& request, const std::string& url, DaemonClient& daemon) {
    auto result = call_token_get(request, url, daemon);
    if (!result) {
        // Nothing found: say nothing, so git asks the next helper or the user.
        if (result.error().code != Errc::not_found) {
            say(result.error());
        }
        return exit_ok;
    }
    const auto* o = result->if_object();
    if (!o) {
        say(make_error(Errc::parse_error, "daemon answer is not an object"));
        return exit_ok;
    }
    git::Answer answer;
    if (const auto username = string_member(*o, "username"); !username.empty()) {
        answer.username = username;
    }
    answer.token = string_member(*o, "token");
    if (const auto expires = int_member(*o, "expires_at")) {
        answer.expiry_utc = *expires / 1000;
    }
    answer.refresh_token = string_member(*o, "refresh_token");
    answer.bearer = string_member(*o, "auth_scheme") == "bearer";
    auto text = git::format_answer(answer, request);
    if (!text) {
        say(text.error());
        return exit_ok;
    }
    auto printed = print_stdout(*text);
    wipe(*text);
    return printed ? exit_ok : exit_failed;
}

// What git used to authenticate: the password, or with authtype=Bearer (git ≥ 2.46,
// e.g. after credd answered a bearer token) the `credential`, which then has no password.
const Secret& used_token(const git::Request& r) {
    return r.password.empty() && is_bearer(r) ? r.credential : r.password;
}

int store(const git::Request& r, const std::string& url, DaemonClient& daemon) {
    // git asks every helper to store a credential that worked; one marked ephemeral
    // (git ≥ 2.46, e.g. a one-time bearer token) must not be kept.
    const Secret& token = used_token(r);
    const bool bearer = r.password.empty() && is_bearer(r);
    const bool has_username = r.username && !r.username->empty();
    if (r.ephemeral || token.empty() || (!bearer && !has_username)) {
        return exit_ok;
    }
    const std::size_t content = url.size() + r.username.value_or("").size() + token.size() +
                                r.oauth_refresh_token.size() + 64;
    auto result = call_with_secret(
        daemon, protocol::method::credential_store, content,
        [&](json::object& params, const json::storage_ptr& sp) {
            params["source"] = "git";
            params["url"] = url;
            if (has_username) {
                params["username"] = *r.username;
            }
            if (r.password_expiry_utc) {
                params["expires_at"] = *r.password_expiry_utc * 1000;
            }
            if (bearer) {
                params["labels"] = json::object({{"auth", "bearer"}}, sp);
            }
            json::object secret(sp);
            secret["token"] = json::string_view(token.expose().data(), token.size());
            if (!r.oauth_refresh_token.empty()) {
                secret["refresh_token"] = json::string_view(r.oauth_refresh_token.expose().data(),
                                                            r.oauth_refresh_token.size());
            }
            params["secret"] = std::move(secret);
        },
        key_call_timeout);
    if (!result) {
        say(result.error());
        return exit_failed;
    }
    return exit_ok;
}

// Without a token (git forgets a host) the daemon removes only what git stored.
int erase(const git::Request& r, const std::string& url, DaemonClient& daemon) {
    const Secret& token = used_token(r);
    const std::size_t content = url.size() + r.username.value_or("").size() + token.size() + 64;
    auto result = call_with_secret(
        daemon, protocol::method::credential_erase, content,
        [&](json::object& params, const json::storage_ptr& sp) {
            params["source"] = "git";
            params["url"] = url;
            if (r.username && !r.username->empty()) {
                params["username"] = *r.username;
            }
            if (!token.empty()) {
                json::object secret(sp);
                secret["token"] = json::string_view(token.expose().data(), token.size());
                params["secret"] = std::move(secret);
            }
        },
        key_call_timeout);
    if (!result) {
        say(result.error());
        return exit_failed;
    }
    return exit_ok;
}

// --socket PATH / --socket=PATH before the operation; nothing else is ours to take.
Result<std::optional<std::string>> socket_option(std::span<const std::string_view> options) {
    std::optional<std::string> socket;
    for (std::size_t i = 0; i < options.size(); ++i) {
        if (options[i].starts_with("--socket=")) {
            socket = std::string(options[i].substr(9));
        } else if (options[i] == "--socket" && i + 1 < options.size()) {
            socket = std::string(options[++i]);
        } else {
            return make_error(Errc::invalid_params,
                              "unknown option " + std::string(options[i].substr(0, 100)),
                              "the only option is --socket PATH");
        }
    }
    return socket;
}

} // namespace

int run_git_helper(std::span<const std::string_view> args) {
    const auto operation = git::operation_of(args);
    if (operation == git::Operation::unknown) {
        return exit_ok; // git may add operations; helpers must ignore them
    }
    auto socket = socket_option(args.first(args.size() - 1));
    if (!socket) {
        say(socket.error());
        return exit_usage;
    }
    auto input = read_all_stdin(git::max_input_bytes);
    if (!input) {
        say(input.error());
        return exit_failed;
    }
    auto request = git::parse_request(*input);
    wipe(*input);
    if (!request) {
        say(request.error());
        return exit_failed;
    }
    const auto url = git::credd_url(*request);
    if (!url) {
        return exit_ok; // no protocol or host: nothing credd could match
    }
    DaemonClient daemon(daemon_client_options(*socket));
    switch (operation) {
    case git::Operation::get:
        return get(*request, *url, daemon);
    case git::Operation::store:
        return store(*request, *url, daemon);
    case git::Operation::erase:
        return erase(*request, *url, daemon);
    case git::Operation::unknown:
        break;
    }
    return exit_ok;
}

} // namespace credd
