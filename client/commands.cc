// The commands of cred: build a request, call the daemon, print the answer.
#include "commands.hh"

#include <chrono>
#include <cstdlib>

#include <boost/json/serialize.hpp>

#include "credential_table.hh"
#include "daemon_client.hh"
#include "help.hh"
#include "output.hh"
#include "paths.hh"
#include "protocol.hh"
#include "secret.hh"
#include "secret_input.hh"
#include "secret_request.hh"
#include "time_text.hh"

namespace credd {

namespace json = boost::json;
namespace method = protocol::method;

namespace {

using namespace std::chrono_literals;

constexpr auto call_timeout = 5000ms;
// Later kinds refresh inside token.get, waiting on an identity provider.
constexpr auto token_timeout = 30000ms;

Error malformed_answer(std::string_view what) {
    return make_error(Errc::parse_error, "daemon answer has no " + std::string(what));
}

// Prints JSON that may carry a token, and wipes the text afterwards.
Result<void> print_json(const json::value& value) {
    std::string text = json::serialize(value);
    text += '\n';
    auto printed = print_stdout(text);
    wipe(text);
    return printed;
}

Result<void> print_token(const json::value& result) {
    const auto* token = result.is_object() ? result.get_object().if_contains("token") : nullptr;
    if (!token || !token->is_string()) {
        return malformed_answer("token");
    }
    std::string line;
    line.reserve(token->get_string().size() + 1);
    line.append(token->get_string().data(), token->get_string().size());
    line += '\n';
    auto printed = print_stdout(line);
    wipe(line);
    return printed;
}

Result<const json::array*> credentials_of(const json::value& result) {
    const auto* list =
        result.is_object() ? result.get_object().if_contains("credentials") : nullptr;
    if (!list || !list->is_array()) {
        return malformed_answer("credentials");
    }
    return &list->get_array();
}

json::object labels_object(const std::vector<cli::Label>& labels, json::storage_ptr storage = {}) {
    json::object object(std::move(storage));
    for (const auto& label : labels) {
        object[label.key] = label.value;
    }
    return object;
}

std::size_t content_size(const cli::AddCommand& c, const Secret& secret) {
    std::size_t n = c.name.size() + c.url.size() + c.username.value_or("").size() + secret.size();
    for (const auto& label : c.labels) {
        n += label.key.size() + label.value.size();
    }
    for (const auto& param : c.params) {
        n += param.key.size() + param.value.size() + 8;
    }
    for (const auto& arg : c.argv) {
        n += arg.size() + 4;
    }
    return n + 128;
}

// The kind parameters of a refreshable credential, as credential.add takes them.
json::object kind_params(const cli::AddCommand& c, json::storage_ptr storage) {
    json::object params(std::move(storage));
    for (const auto& p : c.params) {
        params[p.key] = p.value;
    }
    if (c.allow_insecure_http) {
        params["allow_insecure_http"] = true;
    }
    if (c.default_lifetime_s) {
        params["default_lifetime"] = *c.default_lifetime_s;
    }
    if (c.timeout_s) {
        params["timeout"] = *c.timeout_s;
    }
    if (!c.argv.empty()) {
        json::array argv(params.storage());
        for (const auto& a : c.argv) {
            argv.emplace_back(a);
        }
        params["argv"] = std::move(argv);
    }
    return params;
}

// What stdin holds, by kind: the token (static); the refresh token, then optionally a
// client secret on a second line (oauth2-refresh-token); the client secret
// (oauth2-client-credentials). Views into `secret`.
void put_secrets(json::object& out, const cli::AddCommand& c, const Secret& secret) {
    const std::string_view s = secret.expose();
    if (c.kind == "static") {
        out["token"] = json::string_view(s.data(), s.size());
    } else if (c.kind == "oauth2-client-credentials") {
        out["client_secret"] = json::string_view(s.data(), s.size());
    } else if (c.kind == "oauth2-refresh-token") {
        const auto nl = s.find('\n');
        std::string_view refresh = s.substr(0, nl);
        if (!refresh.empty() && refresh.back() == '\r') {
            refresh.remove_suffix(1);
        }
        out["refresh_token"] = json::string_view(refresh.data(), refresh.size());
        if (nl != std::string_view::npos && nl + 1 < s.size()) {
            std::string_view client_secret = s.substr(nl + 1);
            if (!client_secret.empty() && client_secret.back() == '\r') {
                client_secret.remove_suffix(1);
            }
            out["client_secret"] = json::string_view(client_secret.data(), client_secret.size());
        }
    }
}

// ---- one overload per command ---------------------------------------------------------

Result<void> run_one(const cli::TokenCommand& c, DaemonClient& daemon) {
    json::object params;
    if (c.name) {
        params["name"] = *c.name;
    } else {
        params["url"] = *c.url;
        if (c.username) {
            params["username"] = *c.username;
        }
    }
    if (c.min_valid_s) {
        params["min_valid"] = *c.min_valid_s;
    }
    auto result = daemon.call(method::token_get, params, token_timeout);
    if (!result) {
        return result.error();
    }
    return c.json ? print_json(*result) : print_token(*result);
}

// Builds and sends credential.add with every copy of the secret in wipeable memory.
Result<json::value> send_add(const cli::AddCommand& c, const Secret& secret, DaemonClient& daemon) {
    if (!SecretRequest::fits_in_line(content_size(c, secret))) {
        return make_error(Errc::invalid_params, "add: the request would exceed 65536 bytes");
    }
    SecretRequest request(content_size(c, secret));
    json::object params(request.storage());
    params.reserve(7);
    params["name"] = c.name;
    if (!c.url.empty()) {
        params["url"] = c.url;
    }
    params["kind"] = c.kind;
    if (c.kind != "static") {
        params["params"] = kind_params(c, request.storage());
    }
    if (c.username) {
        params["username"] = *c.username;
    }
    if (c.expires_at) {
        params["expires_at"] = *c.expires_at;
    }
    if (!c.labels.empty()) {
        params["labels"] = labels_object(c.labels, request.storage());
    }
    if (c.kind != "exec") {
        json::object secret_object(request.storage());
        put_secrets(secret_object, c, secret);
        params["secret"] = std::move(secret_object);
    }
    std::string line;
    if (auto written = SecretRequest::write_line(line, 1, method::credential_add, params);
        !written) {
        return written.error();
    }
    return daemon.call_line(line, call_timeout);
}

Result<void> run_one(const cli::AddCommand& c, DaemonClient& daemon) {
    // The secret is read before connecting: a prompt may wait for minutes, longer
    // than the daemon keeps an idle connection. An exec credential has none.
    auto secret = c.kind == "exec" ? Result<Secret>(Secret()) : read_secret(c.name);
    if (!secret) {
        return secret.error();
    }
    auto result = send_add(c, *secret, daemon);
    if (!result) {
        return result.error();
    }
    const auto* created =
        result->is_object() ? result->get_object().if_contains("created") : nullptr;
    const bool replaced = created && created->is_bool() && !created->get_bool();
    return print_stdout((replaced ? "replaced " : "added ") + c.name + '\n');
}

template <class T>
void put_change(json::object& params, std::string_view key, const cli::FieldChange<T>& change) {
    using Action = typename cli::FieldChange<T>::Action;
    if (change.action == Action::set) {
        params[key] = change.value;
    } else if (change.action == Action::clear) {
        params[key] = nullptr;
    }
}

Result<void> run_one(const cli::UpdateCommand& c, DaemonClient& daemon) {
    json::object params{{"name", c.name}};
    if (c.url) {
        params["url"] = *c.url;
    }
    put_change(params, "username", c.username);
    put_change(params, "expires_at", c.expires_at);
    if (c.labels) {
        params["labels"] = labels_object(*c.labels);
    }
    auto result = daemon.call(method::credential_update, params, call_timeout);
    if (!result) {
        return result.error();
    }
    return print_stdout("updated " + c.name + '\n');
}

Result<void> run_one(const cli::RemoveCommand& c, DaemonClient& daemon) {
    auto result = daemon.call(method::credential_remove, {{"name", c.name}}, call_timeout);
    if (!result) {
        return result.error();
    }
    return print_stdout("removed " + c.name + '\n');
}

// Prints a credential.list or credential.status answer as JSON, or as the table that
// `make_table` builds from its credentials.
template <class MakeTable>
Result<void> print_credentials(const Result<json::value>& result, bool as_json,
                               MakeTable make_table) {
    if (!result) {
        return result.error();
    }
    if (as_json) {
        return print_json(*result);
    }
    auto credentials = credentials_of(*result);
    if (!credentials) {
        return credentials.error();
    }
    return print_stdout(make_table(**credentials).render());
}

Result<void> run_one(const cli::ListCommand& c, DaemonClient& daemon) {
    return print_credentials(daemon.call(method::credential_list, {}, call_timeout), c.json,
                             [](const json::array& a) { return make_list_table(a); });
}

Result<void> run_one(const cli::StatusCommand& c, DaemonClient& daemon) {
    json::object params;
    if (c.name) {
        params["name"] = *c.name;
    }
    return print_credentials(daemon.call(method::credential_status, params, call_timeout), c.json,
                             [](const json::array& a) { return make_status_table(a); });
}

Result<void> run_one(const cli::RotateCommand& c, DaemonClient& daemon) {
    auto result = daemon.call(method::credential_rotate, {{"name", c.name}}, token_timeout);
    if (!result) {
        return result.error();
    }
    if (c.json) {
        return print_json(*result);
    }
    const auto* o = result->if_object();
    std::string expiry = "-";
    if (const auto* at = o ? o->if_contains("expires_at") : nullptr; at && at->is_int64()) {
        expiry = format_rfc3339(at->get_int64());
    }
    return print_stdout("rotated " + c.name + "; expires at " + expiry + '\n');
}

Result<void> run_one(const cli::HelpCommand& c, DaemonClient&) {
    return print_stdout(help_text(c.topic));
}

Result<void> run_one(const cli::VersionCommand&, DaemonClient&) {
    return print_stdout(version_text());
}

// --socket, else $CREDD_SOCKET, else the XDG default.
DaemonClientOptions client_options(const cli::Invocation& invocation) {
    DaemonClientOptions options;
    const char* from_env = std::getenv("CREDD_SOCKET");
    if (invocation.socket) {
        options.socket_path = *invocation.socket;
    } else if (from_env && *from_env) {
        options.socket_path = from_env;
    } else {
        options.socket_path = paths::default_socket();
    }
    options.socket_is_default = options.socket_path == paths::default_socket();
    const char* no_autostart = std::getenv("CREDD_NO_AUTOSTART");
    options.autostart = !(no_autostart && std::string_view(no_autostart) == "1");
    return options;
}

} // namespace

ExitCode run_command(const cli::Invocation& invocation) {
    DaemonClient daemon(client_options(invocation));
    auto done = std::visit([&](const auto& command) { return run_one(command, daemon); },
                           invocation.command);
    if (done) {
        return ExitCode::ok;
    }
    report_error(done.error());
    return exit_code_for(done.error().code);
}

} // namespace credd
