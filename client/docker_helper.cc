// docker-credential-credd: the verbs, each one daemon call.
#include "docker_helper.hh"

#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "commands.hh"
#include "daemon_client.hh"
#include "docker_credential.hh"
#include "exit_code.hh"
#include "output.hh"
#include "protocol.hh"
#include "secret.hh"
#include "secret_request.hh"
#include "stdin_reader.hh"
#include "terminal_text.hh"

namespace credd {

namespace json = boost::json;

namespace {

constexpr std::size_t max_input_bytes = 64 * 1024;

constexpr std::string_view usage =
    "Usage: docker-credential-credd <store|get|erase|list|version>\n";

// docker reads a helper's failure from its stdout: one line, never a secret.
int fail(std::string_view message) {
    (void)print_stdout(printable(message) + '\n');
    return helper_exit_failed;
}

int fail(const Error& e) {
    return fail(e.code == Errc::not_found ? docker::not_found_message
                                          : std::string_view(e.message));
}

Result<std::string> read_server(std::string& input) {
    auto url = docker::match_url(input);
    if (!url) {
        return make_error(Errc::invalid_params, std::string(docker::missing_server_message));
    }
    return *url;
}

int get(DaemonClient& daemon, std::string& input) {
    auto url = read_server(input);
    if (!url) {
        return fail(url.error());
    }
    auto result = daemon.call(protocol::method::token_get, {{"url", *url}}, key_call_timeout);
    if (!result) {
        return fail(result.error());
    }
    const auto* o = result->if_object();
    const auto* token = o ? o->if_contains("token") : nullptr;
    const auto* username = o ? o->if_contains("username") : nullptr;
    if (!token || !token->is_string()) {
        return fail("daemon answer has no token");
    }
    std::string text = docker::format_get(
        docker::trim(input),
        username && username->is_string() ? std::string_view(username->get_string()) : "",
        std::string_view(token->get_string()));
    auto printed = print_stdout(text);
    wipe(text);
    return printed ? helper_exit_ok : helper_exit_failed;
}

int store(DaemonClient& daemon, std::string& input) {
    auto request = docker::parse_store(input);
    if (!request) {
        return fail(request.error().message);
    }
    auto url = docker::match_url(request->server_url);
    const std::size_t content =
        request->server_url.size() * 2 + request->username.size() + request->secret.size() + 64;
    if (!url || request->secret.empty()) {
        return fail(!url ? "no credentials server URL" : "credentials secret is empty");
    }
    auto result = call_with_secret(
        daemon, protocol::method::credential_store, content,
        [&](json::object& params, const json::storage_ptr& sp) {
            params["source"] = "docker";
            params["url"] = *url;
            params["username"] = request->username;
            // docker lists its servers under the name it stored them with.
            params["labels"] = json::object({{"docker.server", request->server_url}}, sp);
            json::object secret(sp);
            secret["token"] =
                json::string_view(request->secret.expose().data(), request->secret.size());
            params["secret"] = std::move(secret);
        },
        key_call_timeout);
    return result ? helper_exit_ok : fail(result.error());
}

int erase(DaemonClient& daemon, std::string& input) {
    auto url = read_server(input);
    if (!url) {
        return fail(url.error());
    }
    // Only what docker stored: a credential the user added is not docker's to log out of.
    auto result = daemon.call(protocol::method::credential_erase,
                              {{"source", "docker"}, {"url", *url}}, key_call_timeout);
    if (!result) {
        return fail(result.error());
    }
    const auto* o = result->if_object();
    const auto* removed = o ? o->if_contains("removed") : nullptr;
    if (!removed || !removed->is_array() || removed->get_array().empty()) {
        return fail(docker::not_found_message);
    }
    return helper_exit_ok;
}

std::string label_or(const json::object& credential, std::string_view label,
                     std::string_view fallback_key) {
    const auto* labels = credential.if_contains("labels");
    const auto* l =
        labels && labels->is_object() ? labels->get_object().if_contains(label) : nullptr;
    const auto* v = l && l->is_string() ? l : credential.if_contains(fallback_key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int list(DaemonClient& daemon) {
    auto result = daemon.call(protocol::method::credential_list, {}, key_call_timeout);
    if (!result) {
        return fail(result.error());
    }
    const auto* o = result->if_object();
    const auto* credentials = o ? o->if_contains("credentials") : nullptr;
    if (!credentials || !credentials->is_array()) {
        return fail("daemon answer has no credentials");
    }
    std::vector<std::pair<std::string, std::string>> entries;
    // docker's list is of its own logins: only credentials docker stored.
    for (const auto& c : credentials->get_array()) {
        const auto* obj = c.if_object();
        if (obj && label_or(*obj, "source", "") == "docker") {
            const auto* user = obj->if_contains("username");
            entries.emplace_back(label_or(*obj, "docker.server", "url"),
                                 user && user->is_string() ? std::string(user->get_string())
                                                           : std::string());
        }
    }
    return print_stdout(docker::format_list(std::move(entries))) ? helper_exit_ok
                                                                 : helper_exit_failed;
}

} // namespace

int run_docker_helper(std::span<const std::string_view> args) {
    if (args.size() != 1) {
        (void)print_stdout(usage);
        return helper_exit_failed;
    }
    const std::string_view verb = args[0];
    if (verb == "version" || verb == "--version" || verb == "-v") {
        return print_stdout("docker-credential-credd (credd) " CREDD_VERSION "\n")
                   ? helper_exit_ok
                   : helper_exit_failed;
    }
    if (verb == "--help" || verb == "-h") {
        return print_stdout(usage) ? helper_exit_ok : helper_exit_failed;
    }
    if (verb != "get" && verb != "store" && verb != "erase" && verb != "list") {
        return fail("Unknown credential action `" + printable(verb.substr(0, 100)) + '`');
    }
    DaemonClient daemon(daemon_client_options(std::nullopt));
    if (verb == "list") {
        return list(daemon);
    }
    auto input = read_all_stdin(max_input_bytes);
    if (!input) {
        return fail(input.error());
    }
    const int status = verb == "get"     ? get(daemon, *input)
                       : verb == "store" ? store(daemon, *input)
                                         : erase(daemon, *input);
    wipe(*input);
    return status;
}

} // namespace credd
