// Command-line parsing for cred: arguments in, a typed Invocation out, and no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "error.hh"
#include "time_text.hh"

namespace credd::cli {

enum class CommandKind {
    help,
    version,
    token,
    add,
    update,
    remove,
    list,
    status,
    kube,
    exec,
    keystore,
    rotate,
    login,
    whoami
};

// "token", "add", …; the word a user types.
std::string_view command_name(CommandKind kind);

struct Label {
    std::string key;
    std::string value;

    friend bool operator==(const Label&, const Label&) = default;
};

// A field `cred update` leaves alone, sets, or clears (`--no-username`).
template <class T>
struct FieldChange {
    enum class Action { keep, set, clear };
    Action action = Action::keep;
    T value{};
};

struct HelpCommand {
    std::optional<CommandKind> topic; // none: the overview
};

struct VersionCommand {};

// Exactly one of `name` and `url`; `username` only with `url`.
struct TokenCommand {
    std::optional<std::string> name;
    std::optional<std::string> url;
    std::optional<std::string> username;
    std::optional<std::int64_t> min_valid_s;
    bool json = false;
};

// The secret itself is never part of this: it is read from stdin or the tty later.
struct AddCommand {
    std::string name;
    std::string url;
    std::optional<std::string> username;
    std::optional<UnixMs> expires_at;
    std::vector<Label> labels;
    // Refreshable kinds (oauth2-refresh-token, oauth2-client-credentials, exec): the kind
    // parameters as the daemon names them (token_url, client_id, …), and for exec the
    // command after `--`.
    std::string kind{"static"};
    std::vector<Label> params;
    bool allow_insecure_http = false;
    std::optional<std::int64_t> default_lifetime_s;
    std::optional<std::int64_t> timeout_s;
    std::vector<std::string> argv;
    // device and auth-code: read an optional client secret from stdin (or a prompt);
    // without it the client is public and nothing is read.
    bool client_secret_stdin = false;
};

struct UpdateCommand {
    std::string name;
    std::optional<std::string> url;
    FieldChange<std::string> username;
    FieldChange<UnixMs> expires_at;
    std::optional<std::vector<Label>> labels; // replaces all labels; empty clears them
};

struct RemoveCommand {
    std::string name;
};

struct RotateCommand {
    std::string name;
    bool json = false;
};

struct ListCommand {
    bool json = false;
};

struct StatusCommand {
    std::optional<std::string> name;
    bool json = false;
};

// `cred kube NAME`: the token as a Kubernetes ExecCredential.
struct KubeCommand {
    std::string name;
};

// `cred exec NAME [--env VAR] -- CMD ARGS…`: CMD runs (no shell) with the token in VAR.
struct ExecCommand {
    std::string name;
    std::string env_var = "CRED_TOKEN";
    std::vector<std::string> argv; // CMD and its arguments, never the token
};

// `cred keystore [--json]`, or `cred keystore migrate --to keyring|file`.
struct KeystoreCommand {
    bool migrate = false;
    std::optional<std::string> to;
    bool json = false;
};

// `cred login NAME`: runs a device or auth-code credential's interactive login.
struct LoginCommand {
    std::string name;
    bool no_browser = false; // auth-code: print the URL and read the redirect from stdin
    bool no_qr = false;      // device: no QR code even on a terminal
    std::optional<std::int64_t> timeout_s; // give up (and cancel) after this long
};

// `cred whoami NAME [--json]`: the identity in the stored ID token.
struct WhoamiCommand {
    std::string name;
    bool json = false;
};

using Command = std::variant<HelpCommand, VersionCommand, TokenCommand, AddCommand, UpdateCommand,
                             RemoveCommand, ListCommand, StatusCommand, KubeCommand, ExecCommand,
                             KeystoreCommand, RotateCommand, LoginCommand, WhoamiCommand>;

// One run of cred: global options, then the command.
struct Invocation {
    std::optional<std::string> socket; // --socket, when given
    Command command;
};

// What parsing needs from the outside world, passed in so parsing stays pure.
struct ParseEnv {
    UnixMs now = 0; // for relative times such as --expires-at +30d
};

// Parses argv without argv[0]. Every failure is Errc::invalid_params (exit code 2).
Result<Invocation> parse_command_line(std::span<const std::string_view> args, const ParseEnv& env);

} // namespace credd::cli
