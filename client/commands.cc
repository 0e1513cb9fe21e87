// The commands of cred: build a request, call the daemon, print the answer.
#include "commands.hh"

#include <chrono>
#include <cstdlib>
#include <optional>

#include <boost/json/serialize.hpp>

#include "credential_table.hh"
#include "daemon_client.hh"
#include "exec_command.hh"
#include "help.hh"
#include "kube_command.hh"
#include "login_command.hh"
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
constexpr auto token_timeout = key_call_timeout;

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
    } else if (c.kind == "oauth2-client-credentials" || c.client_secret_stdin) {
        // device and auth-code: the optional client secret, only with --client-secret-stdin
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

std::string member_text(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string("-");
}

// The key's error as daemon.info reports it, or nothing when the key is loaded.
std::optional<Error> key_error_of(const json::object& info) {
    const auto* e = info.if_contains("key_error");
    if (!e || !e->is_object()) {
        return std::nullopt;
    }
    const auto& o = e->get_object();
    return make_error(errc_from_name(member_text(o, "code")), member_text(o, "message"),
                      member_text(o, "hint"));
}

// What protects the stored secrets, under the status table: one line, plus why the
// key is not loaded when it is not.
Result<void> print_protection(DaemonClient& daemon) {
    auto info = daemon.call(method::daemon_info, {}, call_timeout);
    if (!info || !info->is_object()) {
        return {}; // the table is what was asked for; this line is a courtesy
    }
    const auto& o = info->get_object();
    std::string line = "key protection: " + member_text(o, "key_protection");
    if (const auto location = member_text(o, "key_location");
        location != "-" && !location.empty()) {
        line += " (" + location + ")";
    }
    if (const auto error = key_error_of(o)) {
        line += "; key not loaded: " + error->message + "\nhint: " + error->hint;
    }
    return print_stdout(line + '\n');
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

// Whether `cred add` reads a secret: not for exec, and for the login kinds (device,
// auth-code: their refresh token comes from cred login) only a client secret on request.
bool reads_secret(const cli::AddCommand& c) {
    if (c.kind == "device" || c.kind == "auth-code") {
        return c.client_secret_stdin;
    }
    return c.kind != "exec";
}

// Builds and sends credential.add with every copy of the secret in wipeable memory.
Result<json::value> send_add(const cli::AddCommand& c, const Secret& secret, DaemonClient& daemon) {
    auto fill = [&](json::object& params, const json::storage_ptr& sp) {
        params.reserve(8);
        params["name"] = c.name;
        if (!c.url.empty()) {
            params["url"] = c.url;
        }
        params["kind"] = c.kind;
        if (c.kind != "static") {
            params["params"] = kind_params(c, sp);
        }
        if (c.username) {
            params["username"] = *c.username;
        }
        if (c.expires_at) {
            params["expires_at"] = *c.expires_at;
        }
        if (!c.labels.empty()) {
            params["labels"] = labels_object(c.labels, sp);
        }
        if (reads_secret(c)) {
            json::object secret_object(sp);
            put_secrets(secret_object, c, secret);
            params["secret"] = std::move(secret_object);
        }
    };
    // As long as token.get's: the daemon may first have to fetch the data key from a
    // keyring, which it bounds with its own deadline.
    return call_with_secret(daemon, method::credential_add, content_size(c, secret), fill,
                            token_timeout);
}

Result<void> run_one(const cli::AddCommand& c, DaemonClient& daemon) {
    // The secret is read before connecting: a prompt may wait for minutes, longer
    // than the daemon keeps an idle connection. An exec credential has none.
    auto secret = reads_secret(c) ? read_secret(c.name) : Result<Secret>(Secret());
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
    std::string done = (replaced ? "replaced " : "added ") + c.name;
    if (c.kind == "device" || c.kind == "auth-code") {
        done += "; log in with: cred login " + c.name; // no token until then
    }
    return print_stdout(done + '\n');
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
    auto printed =
        print_credentials(daemon.call(method::credential_status, params, call_timeout), c.json,
                          [](const json::array& a) { return make_status_table(a); });
    if (!printed || c.json) {
        return printed;
    }
    return print_protection(daemon);
}

// cred keystore migrate: moves the key and says where it is now.
Result<void> migrate_keystore(const cli::KeystoreCommand& c, DaemonClient& daemon) {
    auto result =
        daemon.call(method::keystore_migrate, {{"to", *c.to}}, keystore_migrate_timeout());
    if (!result || c.json) {
        return result ? print_json(*result) : Result<void>(result.error());
    }
    const auto& o = result->get_object();
    const auto* moved = o.if_contains("moved");
    const auto* removed = o.if_contains("removed_copy");
    std::string text = (moved && moved->is_bool() && moved->get_bool())
                           ? "moved the data key to "
                           : "the data key is already in ";
    text += member_text(o, "key_protection") + ": " + member_text(o, "key_location") + '\n';
    if (removed && removed->is_bool() && removed->get_bool()) {
        text += "removed the copy an interrupted migration had left\n";
    }
    return print_stdout(text);
}

// The key-related members of a daemon.info answer, as JSON or as text.
Result<void> print_keystore(const json::object& o, bool as_json) {
    if (as_json) {
        json::object out;
        for (const char* key :
             {"store", "key_store", "key_protection", "key_location", "key_state", "key_error"}) {
            if (const auto* v = o.if_contains(key)) {
                out[key] = *v;
            }
        }
        return print_json(out);
    }
    return print_stdout("store:      " + member_text(o, "store") +
                        "\nkey store:  " + member_text(o, "key_store") +
                        "\nprotection: " + member_text(o, "key_protection") +
                        "\nlocation:   " + member_text(o, "key_location") +
                        "\nstate:      " + member_text(o, "key_state") + '\n');
}

Result<void> run_one(const cli::KeystoreCommand& c, DaemonClient& daemon) {
    if (c.migrate) {
        return migrate_keystore(c, daemon);
    }
    auto info = daemon.call(method::daemon_info, {}, call_timeout);
    if (!info) {
        return info.error();
    }
    if (!info->is_object()) {
        return malformed_answer("object");
    }
    const auto& o = info->get_object();
    if (auto printed = print_keystore(o, c.json); !printed) {
        return printed;
    }
    // Not loaded: say why and what to do on stderr, and exit non-zero.
    if (auto error = key_error_of(o)) {
        return *error;
    }
    return {};
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

Result<void> run_one(const cli::KubeCommand& c, DaemonClient& daemon) {
    return run_kube(c, daemon);
}

Result<void> run_one(const cli::ExecCommand& c, DaemonClient& daemon) {
    return run_exec(c, daemon);
}

Result<void> run_one(const cli::WhoamiCommand& c, DaemonClient& daemon) {
    return run_whoami(c, daemon);
}

// run_command runs cred login itself: its exit statuses include 130 (interrupted).
Result<void> run_one(const cli::LoginCommand&, DaemonClient&) {
    return make_error(Errc::internal, "login: not run through run_one");
}

} // namespace

std::chrono::milliseconds keystore_migrate_timeout() {
    // credd's default deadlines (--keyring-timeout 10; an unlock prompt on a desktop, 120).
    constexpr std::chrono::milliseconds call = 10'000ms;
    constexpr std::chrono::milliseconds prompt = 120'000ms;
    // The longest chain of keyring steps one migrate makes, each within its deadline:
    // loading the key first if it is not loaded (a call, then a prompt), reading it again
    // (call + prompt), storing the copy (a prompt), reading it back (call + prompt), and
    // deleting the old copy (a call); plus a margin for the store's own work.
    constexpr std::chrono::milliseconds margin = 30'000ms;
    return 3 * (call + prompt) + prompt + call + margin;
}

// --socket, else $CREDD_SOCKET, else the XDG default.
DaemonClientOptions daemon_client_options(const std::optional<std::string>& socket) {
    DaemonClientOptions options;
    const char* from_env = std::getenv("CREDD_SOCKET");
    if (socket) {
        options.socket_path = *socket;
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

ExitCode run_command(const cli::Invocation& invocation) {
    DaemonClient daemon(daemon_client_options(invocation.socket));
    if (const auto* login = std::get_if<cli::LoginCommand>(&invocation.command)) {
        return run_login(*login, daemon);
    }
    auto done = std::visit([&](const auto& command) { return run_one(command, daemon); },
                           invocation.command);
    if (done) {
        return ExitCode::ok;
    }
    report_error(done.error());
    return exit_code_for(done.error().code);
}

} // namespace credd
