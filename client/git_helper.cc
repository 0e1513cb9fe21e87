// git-credential-credd: read git's request, ask credd, answer in git's format.
#include "git_helper.hh"

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "commands.hh"
#include "daemon_client.hh"
#include "exit_code.hh"
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
        return helper_exit_ok;
    }
    const auto* o = result->if_object();
    if (!o) {
        say(make_error(Errc::parse_error, "daemon answer is not an object"));
        return helper_exit_ok;
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
        return helper_exit_ok;
    }
    auto printed = print_stdout(*text);
    wipe(*text);
    return printed ? helper_exit_ok : helper_exit_failed;
}

// What git used to authenticate: the password, or with authtype=Bearer (git ≥ 2.46,
// e.g. after credd answered a bearer token) the `credential`, which then has no password.
const Secret& used_token(const git::Request& r) {
    return r.password.empty() && is_bearer(r) ? r.credential : r.password;
}

// store's and erase's request: source, url and username as git gave them, and what
// `more` adds. A failure is one stderr line and exit 1.
int send_change(std::string_view method, const git::Request& r, const std::string& url,
                std::size_t secret_bytes, DaemonClient& daemon, const SecretParamsFill& more) {
    const std::size_t content = url.size() + r.username.value_or("").size() + secret_bytes + 64;
    auto result = call_with_secret(
        daemon, method, content,
        [&](json::object& params, const json::storage_ptr& sp) {
            params["source"] = "git";
            params["url"] = url;
            if (r.username && !r.username->empty()) {
                params["username"] = *r.username;
            }
            more(params, sp);
        },
        key_call_timeout);
    if (!result) {
        say(result.error());
        return helper_exit_failed;
    }
    return helper_exit_ok;
}

json::string_view view(const Secret& s) {
    return json::string_view(s.expose().data(), s.size());
}

int store(const git::Request& r, const std::string& url, DaemonClient& daemon) {
    // git asks every helper to store a credential that worked; one marked ephemeral
    // (git ≥ 2.46, e.g. a one-time bearer token) must not be kept.
    const Secret& token = used_token(r);
    const bool bearer = r.password.empty() && is_bearer(r);
    if (r.ephemeral || token.empty() || (!bearer && (!r.username || r.username->empty()))) {
        return helper_exit_ok;
    }
    return send_change(protocol::method::credential_store, r, url,
                       token.size() + r.oauth_refresh_token.size(), daemon,
                       [&](json::object& params, const json::storage_ptr& sp) {
                           if (r.password_expiry_utc) {
                               params["expires_at"] = *r.password_expiry_utc * 1000;
                           }
                           if (bearer) {
                               params["labels"] = json::object({{"auth", "bearer"}}, sp);
                           }
                           json::object secret(sp);
                           secret["token"] = view(token);
                           if (!r.oauth_refresh_token.empty()) {
                               secret["refresh_token"] = view(r.oauth_refresh_token);
                           }
                           params["secret"] = std::move(secret);
                       });
}

// Without a token (git forgets a host) the daemon removes only what git stored.
int erase(const git::Request& r, const std::string& url, DaemonClient& daemon) {
    const Secret& token = used_token(r);
    return send_change(protocol::method::credential_erase, r, url, token.size(), daemon,
                       [&](json::object& params, const json::storage_ptr& sp) {
                           if (!token.empty()) {
                               params["secret"] = json::object({{"token", view(token)}}, sp);
                           }
                       });
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
        return helper_exit_ok; // git may add operations; helpers must ignore them
    }
    auto socket = socket_option(args.first(args.size() - 1));
    if (!socket) {
        say(socket.error());
        return exit_usage;
    }
    auto input = read_all_stdin(git::max_input_bytes);
    if (!input) {
        say(input.error());
        return helper_exit_failed;
    }
    auto request = git::parse_request(*input);
    wipe(*input);
    if (!request) {
        say(request.error());
        return helper_exit_failed;
    }
    const auto url = git::credd_url(*request);
    if (!url) {
        return helper_exit_ok; // no protocol or host: nothing credd could match
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
    return helper_exit_ok;
}

} // namespace credd
