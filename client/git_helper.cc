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

std::string_view string_member(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

int get(const git::Request& request, const std::string& url, DaemonClient& daemon) {
    json::object params{{"url", url}, {"with_refresh_token", true}};
    if (request.username && !request.username->empty()) {
        params["username"] = *request.username;
    }
    auto result = daemon.call(protocol::method::token_get, params, 30s);
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
        return exit_failed;
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
        return exit_failed;
    }
    auto printed = print_stdout(*text);
    wipe(*text);
    return printed ? exit_ok : exit_failed;
}

// A request whose params carry secrets, sent with every copy in wiped memory.
template <class Fill>
Result<json::value> call_with_secrets(DaemonClient& daemon, std::string_view method,
                                      std::size_t content, Fill fill) {
    if (!SecretRequest::fits_in_line(content)) {
        return make_error(Errc::invalid_params, "the credential is too large for credd");
    }
    SecretRequest request(content);
    std::string line;
    {
        json::object params(request.storage());
        fill(params, request.storage());
        if (auto written = SecretRequest::write_line(line, 1, method, params); !written) {
            return written.error();
        }
    }
    return daemon.call_line(line, 5000ms);
}

int store(const git::Request& r, const std::string& url, DaemonClient& daemon) {
    // git asks every helper to store a credential that worked; one marked ephemeral
    // (git ≥ 2.46, e.g. a one-time bearer token) must not be kept.
    if (r.ephemeral || !r.username || r.username->empty() || r.password.empty()) {
        return exit_ok;
    }
    const std::size_t content =
        url.size() + r.username->size() + r.password.size() + r.oauth_refresh_token.size() + 64;
    auto result = call_with_secrets(
        daemon, protocol::method::credential_store, content,
        [&](json::object& params, const json::storage_ptr& sp) {
            params["source"] = "git";
            params["url"] = url;
            params["username"] = *r.username;
            if (r.password_expiry_utc) {
                params["expires_at"] = *r.password_expiry_utc * 1000;
            }
            json::object secret(sp);
            secret["token"] = json::string_view(r.password.expose().data(), r.password.size());
            if (!r.oauth_refresh_token.empty()) {
                secret["refresh_token"] = json::string_view(r.oauth_refresh_token.expose().data(),
                                                            r.oauth_refresh_token.size());
            }
            params["secret"] = std::move(secret);
        });
    if (!result) {
        say(result.error());
        return exit_failed;
    }
    return exit_ok;
}

int erase(const git::Request& r, const std::string& url, DaemonClient& daemon) {
    const std::size_t content = url.size() + r.username.value_or("").size() + r.password.size();
    auto result = call_with_secrets(daemon, protocol::method::credential_erase, content,
                                    [&](json::object& params, const json::storage_ptr& sp) {
                                        params["url"] = url;
                                        if (r.username && !r.username->empty()) {
                                            params["username"] = *r.username;
                                        }
                                        if (!r.password.empty()) {
                                            json::object secret(sp);
                                            secret["token"] = json::string_view(
                                                r.password.expose().data(), r.password.size());
                                            params["secret"] = std::move(secret);
                                        }
                                    });
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
