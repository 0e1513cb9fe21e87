// Command-line parsing: one table entry per command, one per option.
#include "cli.hh"

#include <algorithm>
#include <array>
#include <type_traits>
#include <utility>

#include "argument_values.hh"
#include "command_parser.hh"

namespace credd::cli {

namespace {

bool is_help_flag(std::string_view arg) {
    return arg == "--help" || arg == "-h";
}

template <class C>
constexpr CommandKind kind_of() {
    if constexpr (std::is_same_v<C, TokenCommand>) {
        return CommandKind::token;
    } else if constexpr (std::is_same_v<C, AddCommand>) {
        return CommandKind::add;
    } else if constexpr (std::is_same_v<C, UpdateCommand>) {
        return CommandKind::update;
    } else if constexpr (std::is_same_v<C, RemoveCommand>) {
        return CommandKind::remove;
    } else if constexpr (std::is_same_v<C, ListCommand>) {
        return CommandKind::list;
    } else if constexpr (std::is_same_v<C, KubeCommand>) {
        return CommandKind::kube;
    } else if constexpr (std::is_same_v<C, KeystoreCommand>) {
        return CommandKind::keystore;
    } else if constexpr (std::is_same_v<C, RotateCommand>) {
        return CommandKind::rotate;
    } else if constexpr (std::is_same_v<C, LoginCommand>) {
        return CommandKind::login;
    } else if constexpr (std::is_same_v<C, WhoamiCommand>) {
        return CommandKind::whoami;
    } else {
        return CommandKind::status;
    }
}

// A stray argument is not quoted back: after `cred add NAME` it is most likely a token
// typed in the wrong place, and echoing it would put it in the terminal's scrollback.
template <class C>
Result<void> take_nothing(C&, std::string_view, std::size_t) {
    if constexpr (std::is_same_v<C, AddCommand>) {
        return usage_error("add: unexpected extra argument; the token is read from stdin",
                           "printf %s \"$TOKEN\" | cred add NAME --url URL");
    }
    return command_usage_error(kind_of<C>(), "unexpected extra argument");
}

template <class C>
Result<void> take_name(C& command, std::string_view value, std::size_t index) {
    if (index > 0) {
        return take_nothing(command, value, index);
    }
    return assign(command.name, checked_name(value));
}

Result<void> no_checks(auto&) {
    return {};
}

Result<void> set_json(auto& command, std::string_view, const ParseEnv&) {
    command.json = true;
    return {};
}

Result<void> set_expiry(std::optional<UnixMs>& field, std::string_view text, const ParseEnv& env) {
    return assign(field, parse_when(text, env.now));
}

Result<void> add_label(std::vector<Label>& labels, std::string_view text) {
    auto label = parse_label(text);
    if (!label) {
        return label.error();
    }
    for (const auto& existing : labels) {
        if (existing.key == label->key) {
            return usage_error("--label " + label->key + " given twice");
        }
    }
    labels.push_back(std::move(*label));
    return {};
}

} // namespace

// ---- the commands -------------------------------------------------------------------

namespace {

constexpr std::array<OptionSpec<TokenCommand>, 4> token_options{{
    {"--url", true, false,
     [](TokenCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.url, checked_url(v));
     }},
    {"--username", true, false,
     [](TokenCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.username, checked_username(v));
     }},
    {"--min-valid", true, false,
     [](TokenCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.min_valid_s, parse_seconds(v));
     }},
    {"--json", false, false, set_json<TokenCommand>},
}};

Result<void> finish_token(TokenCommand& c) {
    if (c.name.has_value() == c.url.has_value()) {
        return command_usage_error(CommandKind::token, "give either NAME or --url URL");
    }
    if (c.username && !c.url) {
        return command_usage_error(CommandKind::token, "--username goes with --url");
    }
    return {};
}

// A kind parameter given as an option, stored under the daemon's name for it.
Result<void> add_param(AddCommand& c, std::string_view key, std::string_view value) {
    if (value.empty() || value.size() > 2048) {
        return usage_error("add: --" + std::string(key) + " needs a value of 1 to 2048 bytes");
    }
    c.params.push_back(Label{std::string(key), std::string(value)});
    return {};
}

#define CRED_PARAM_OPTION(flag, key)                                                               \
    {                                                                                              \
        flag, true, false, [](AddCommand& c, std::string_view v, const ParseEnv&) {                \
            return add_param(c, key, v);                                                           \
        }                                                                                          \
    }

// The kinds whose refresh token comes from `cred login`.
bool is_login_kind(std::string_view kind) {
    return kind == "device" || kind == "auth-code";
}

constexpr std::array<OptionSpec<AddCommand>, 20> add_options{{
    {"--url", true, false,
     [](AddCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.url, checked_url(v));
     }},
    {"--username", true, false,
     [](AddCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.username, checked_username(v));
     }},
    {"--expires-at", true, false,
     [](AddCommand& c, std::string_view v, const ParseEnv& env) {
         return set_expiry(c.expires_at, v, env);
     }},
    {"--label", true, true,
     [](AddCommand& c, std::string_view v, const ParseEnv&) { return add_label(c.labels, v); }},
    {"--kind", true, false,
     [](AddCommand& c, std::string_view v, const ParseEnv&) -> Result<void> {
         if (v != "static" && v != "oauth2-refresh-token" && v != "oauth2-client-credentials" &&
             v != "exec" && !is_login_kind(v)) {
             return usage_error("add: --kind must be static, oauth2-refresh-token, "
                                "oauth2-client-credentials, exec, device or auth-code");
         }
         c.kind = std::string(v);
         return {};
     }},
    CRED_PARAM_OPTION("--token-url", "token_url"),
    CRED_PARAM_OPTION("--client-id", "client_id"),
    CRED_PARAM_OPTION("--client-auth", "client_auth"),
    CRED_PARAM_OPTION("--scope", "scope"),
    CRED_PARAM_OPTION("--audience", "audience"),
    CRED_PARAM_OPTION("--resource", "resource"),
    CRED_PARAM_OPTION("--issuer", "issuer"),
    CRED_PARAM_OPTION("--device-url", "device_authorization_url"),
    CRED_PARAM_OPTION("--auth-url", "authorization_url"),
    CRED_PARAM_OPTION("--preset", "preset"),
    CRED_PARAM_OPTION("--tenant", "tenant"),
    {"--client-secret-stdin", false, false,
     [](AddCommand& c, std::string_view, const ParseEnv&) -> Result<void> {
         c.client_secret_stdin = true;
         return {};
     }},
    {"--allow-insecure-http", false, false,
     [](AddCommand& c, std::string_view, const ParseEnv&) -> Result<void> {
         c.allow_insecure_http = true;
         return {};
     }},
    {"--default-lifetime", true, false,
     [](AddCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.default_lifetime_s, parse_seconds(v));
     }},
    {"--timeout", true, false,
     [](AddCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.timeout_s, parse_seconds(v));
     }},
}};

#undef CRED_PARAM_OPTION

Result<void> take_argv(AddCommand& c, Args args) {
    for (const auto a : args) {
        c.argv.emplace_back(a);
    }
    return {};
}

bool has_param(const AddCommand& c, std::string_view key) {
    return std::any_of(c.params.begin(), c.params.end(),
                       [key](const Label& p) { return p.key == key; });
}

// device and auth-code: a client id, and options that only they take.
Result<void> finish_login_kind(const AddCommand& c) {
    if (!is_login_kind(c.kind)) {
        for (const char* key :
             {"issuer", "device_authorization_url", "authorization_url", "preset", "tenant"}) {
            if (has_param(c, key)) {
                return command_usage_error(CommandKind::add,
                                           "--issuer, --device-url, --auth-url, --preset and "
                                           "--tenant go with --kind device or auth-code");
            }
        }
        if (c.client_secret_stdin) {
            return command_usage_error(
                CommandKind::add, "--client-secret-stdin goes with --kind device or auth-code");
        }
        return {};
    }
    if (!has_param(c, "client_id")) {
        return command_usage_error(CommandKind::add, "--kind " + c.kind + " needs --client-id ID");
    }
    if (c.timeout_s) {
        return command_usage_error(CommandKind::add, "--timeout is for --kind exec");
    }
    return {};
}

Result<void> finish_add(AddCommand& c) {
    if (c.name.empty()) {
        return command_usage_error(CommandKind::add, "missing NAME");
    }
    if (c.url.empty() && c.kind == "static") {
        return command_usage_error(CommandKind::add, "missing --url URL");
    }
    if ((c.kind == "exec") != !c.argv.empty()) {
        return command_usage_error(CommandKind::add,
                                   c.argv.empty() ? "--kind exec needs a command after --"
                                                  : "a command after -- goes with --kind exec");
    }
    if (c.kind != "static" && c.expires_at) {
        return command_usage_error(CommandKind::add,
                                   "--expires-at is for static tokens; credd learns a refreshed "
                                   "token's expiry from the provider");
    }
    if (c.kind == "static" && (!c.params.empty() || c.allow_insecure_http || c.default_lifetime_s ||
                               c.timeout_s || c.client_secret_stdin)) {
        return command_usage_error(CommandKind::add, "these options need --kind");
    }
    return finish_login_kind(c);
}

Result<void> conflict(std::string_view a, std::string_view b) {
    return command_usage_error(CommandKind::update, std::string(a) + " and " + std::string(b) +
                                                        " contradict each other");
}

// `options`: the setting and the clearing option, for the message when both are given.
template <class T>
Result<void> set_field(FieldChange<T>& field, Result<T> value,
                       std::pair<std::string_view, std::string_view> options) {
    if (field.action == FieldChange<T>::Action::clear) {
        return conflict(options.first, options.second);
    }
    field.action = FieldChange<T>::Action::set;
    return assign(field.value, std::move(value));
}

template <class T>
Result<void> clear_field(FieldChange<T>& field,
                         std::pair<std::string_view, std::string_view> options) {
    if (field.action == FieldChange<T>::Action::set) {
        return conflict(options.first, options.second);
    }
    field.action = FieldChange<T>::Action::clear;
    return {};
}

Result<void> update_label(UpdateCommand& c, std::string_view text) {
    if (c.labels && c.labels->empty()) {
        return conflict("--no-labels", "--label");
    }
    if (!c.labels) {
        c.labels.emplace();
    }
    return add_label(*c.labels, text);
}

constexpr std::pair<std::string_view, std::string_view> username_options{"--username",
                                                                         "--no-username"};
constexpr std::pair<std::string_view, std::string_view> expiry_options{"--expires-at",
                                                                       "--no-expiry"};

constexpr std::array<OptionSpec<UpdateCommand>, 7> update_options{{
    {"--url", true, false,
     [](UpdateCommand& c, std::string_view v, const ParseEnv&) {
         return assign(c.url, checked_url(v));
     }},
    {"--username", true, false,
     [](UpdateCommand& c, std::string_view v, const ParseEnv&) {
         return set_field(c.username, checked_username(v), username_options);
     }},
    {"--no-username", false, false,
     [](UpdateCommand& c, std::string_view, const ParseEnv&) {
         return clear_field(c.username, username_options);
     }},
    {"--expires-at", true, false,
     [](UpdateCommand& c, std::string_view v, const ParseEnv& env) {
         return set_field(c.expires_at, parse_when(v, env.now), expiry_options);
     }},
    {"--no-expiry", false, false,
     [](UpdateCommand& c, std::string_view, const ParseEnv&) {
         return clear_field(c.expires_at, expiry_options);
     }},
    {"--label", true, true,
     [](UpdateCommand& c, std::string_view v, const ParseEnv&) { return update_label(c, v); }},
    {"--no-labels", false, false,
     [](UpdateCommand& c, std::string_view, const ParseEnv&) -> Result<void> {
         if (c.labels) {
             return conflict("--no-labels", "--label");
         }
         c.labels.emplace();
         return {};
     }},
}};

Result<void> finish_update(UpdateCommand& c) {
    using Action = FieldChange<std::string>::Action;
    if (c.name.empty()) {
        return command_usage_error(CommandKind::update, "missing NAME");
    }
    if (!c.url && c.username.action == Action::keep &&
        c.expires_at.action == FieldChange<UnixMs>::Action::keep && !c.labels) {
        return command_usage_error(CommandKind::update, "nothing to change");
    }
    return {};
}

Result<void> finish_remove(RemoveCommand& c) {
    if (c.name.empty()) {
        return command_usage_error(CommandKind::remove, "missing NAME");
    }
    return {};
}

constexpr std::array<OptionSpec<ListCommand>, 1> list_options{{
    {"--json", false, false, set_json<ListCommand>},
}};

constexpr std::array<OptionSpec<StatusCommand>, 1> status_options{{
    {"--json", false, false, set_json<StatusCommand>},
}};

constexpr std::array<OptionSpec<KeystoreCommand>, 2> keystore_options{{
    {"--to", true, false,
     [](KeystoreCommand& c, std::string_view v, const ParseEnv&) -> Result<void> {
         if (v != "keyring" && v != "file") {
             return command_usage_error(CommandKind::keystore, "--to takes keyring or file");
         }
         c.to = std::string(v);
         return {};
     }},
    {"--json", false, false, set_json<KeystoreCommand>},
}};

Result<void> take_keystore_action(KeystoreCommand& c, std::string_view v, std::size_t i) {
    if (i > 0 || v != "migrate") {
        return command_usage_error(CommandKind::keystore, "the only action is migrate");
    }
    c.migrate = true;
    return {};
}

Result<void> finish_keystore(KeystoreCommand& c) {
    if (c.migrate != c.to.has_value()) {
        return command_usage_error(CommandKind::keystore, c.migrate
                                                              ? "migrate needs --to keyring|file"
                                                              : "--to goes with migrate");
    }
    return {};
}

constexpr CommandSpec<TokenCommand> token_spec{
    CommandKind::token, token_options,
    [](TokenCommand& c, std::string_view v, std::size_t i) -> Result<void> {
        return i > 0 ? take_nothing(c, v, i) : assign(c.name, checked_name(v));
    },
    finish_token};
constexpr CommandSpec<AddCommand> add_spec{CommandKind::add, add_options, take_name<AddCommand>,
                                           finish_add, take_argv};
constexpr std::array<OptionSpec<RotateCommand>, 1> rotate_options{{
    {"--json", false, false, set_json<RotateCommand>},
}};
constexpr CommandSpec<RotateCommand> rotate_spec{
    CommandKind::rotate, rotate_options, take_name<RotateCommand>,
    [](RotateCommand& c) -> Result<void> {
        if (c.name.empty()) {
            return command_usage_error(CommandKind::rotate, "missing NAME");
        }
        return {};
    }};
constexpr CommandSpec<UpdateCommand> update_spec{CommandKind::update, update_options,
                                                 take_name<UpdateCommand>, finish_update};
constexpr CommandSpec<RemoveCommand> remove_spec{
    CommandKind::remove, {}, take_name<RemoveCommand>, finish_remove};
constexpr CommandSpec<ListCommand> list_spec{CommandKind::list, list_options,
                                             take_nothing<ListCommand>, no_checks<ListCommand>};
constexpr CommandSpec<StatusCommand> status_spec{
    CommandKind::status, status_options,
    [](StatusCommand& c, std::string_view v, std::size_t i) -> Result<void> {
        return i > 0 ? take_nothing(c, v, i) : assign(c.name, checked_name(v));
    },
    no_checks<StatusCommand>};

Result<void> finish_kube(KubeCommand& c) {
    if (c.name.empty()) {
        return command_usage_error(CommandKind::kube, "missing NAME");
    }
    return {};
}

constexpr CommandSpec<KubeCommand> kube_spec{
    CommandKind::kube, {}, take_name<KubeCommand>, finish_kube};

// An environment variable name a shell would accept: [A-Za-z_][A-Za-z0-9_]*.
bool is_env_name(std::string_view name) {
    const auto word = [](char c, bool first) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               (!first && c >= '0' && c <= '9');
    };
    if (name.empty() || name.size() > 128) {
        return false;
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        if (!word(name[i], i == 0)) {
            return false;
        }
    }
    return true;
}

// NAME [--env VAR] -- CMD ARGS…: everything after "--" is the command, untouched.
Result<Command> parse_exec(Args args, const ParseEnv&) {
    ExecCommand c;
    std::size_t i = 0;
    for (; i < args.size() && args[i] != "--"; ++i) {
        std::string_view arg = args[i];
        std::optional<std::string_view> var;
        if (arg.starts_with("--env=")) {
            var = arg.substr(6);
        } else if (arg == "--env" && i + 1 < args.size() && args[i + 1] != "--") {
            var = args[++i];
        } else if (is_option(arg)) {
            return command_usage_error(CommandKind::exec,
                                       arg == "--env"
                                           ? "--env needs a variable name"
                                           : "unknown option " + std::string(arg.substr(0, 100)));
        } else if (c.name.empty()) {
            if (auto name = assign(c.name, checked_name(arg)); !name) {
                return name.error();
            }
            continue;
        } else {
            return command_usage_error(CommandKind::exec, "the command goes after --");
        }
        if (!is_env_name(*var)) {
            return command_usage_error(CommandKind::exec,
                                       "--env: not a variable name (use [A-Za-z_][A-Za-z0-9_]*)");
        }
        c.env_var = std::string(*var);
    }
    if (c.name.empty()) {
        return command_usage_error(CommandKind::exec, "missing NAME");
    }
    if (i + 1 >= args.size()) {
        return command_usage_error(CommandKind::exec, "missing -- CMD [ARGS...]");
    }
    for (++i; i < args.size(); ++i) {
        c.argv.emplace_back(args[i]);
    }
    return Command{std::move(c)};
}

constexpr std::array<OptionSpec<LoginCommand>, 3> login_options{{
    {"--no-browser", false, false,
     [](LoginCommand& c, std::string_view, const ParseEnv&) -> Result<void> {
         c.no_browser = true;
         return {};
     }},
    {"--no-qr", false, false,
     [](LoginCommand& c, std::string_view, const ParseEnv&) -> Result<void> {
         c.no_qr = true;
         return {};
     }},
    {"--timeout", true, false,
     [](LoginCommand& c, std::string_view v, const ParseEnv&) -> Result<void> {
         auto seconds = parse_seconds(v);
         if (seconds && *seconds == 0) {
             return command_usage_error(CommandKind::login, "--timeout must be at least 1s");
         }
         return assign(c.timeout_s, std::move(seconds));
     }},
}};

constexpr CommandSpec<LoginCommand> login_spec{
    CommandKind::login, login_options, take_name<LoginCommand>,
    [](LoginCommand& c) -> Result<void> {
        if (c.name.empty()) {
            return command_usage_error(CommandKind::login, "missing NAME");
        }
        return {};
    }};

constexpr std::array<OptionSpec<WhoamiCommand>, 1> whoami_options{{
    {"--json", false, false, set_json<WhoamiCommand>},
}};

constexpr CommandSpec<WhoamiCommand> whoami_spec{
    CommandKind::whoami, whoami_options, take_name<WhoamiCommand>,
    [](WhoamiCommand& c) -> Result<void> {
        if (c.name.empty()) {
            return command_usage_error(CommandKind::whoami, "missing NAME");
        }
        return {};
    }};

constexpr CommandSpec<KeystoreCommand> keystore_spec{CommandKind::keystore, keystore_options,
                                                     take_keystore_action, finish_keystore};

template <class C>
Result<Command> parse_with(const CommandSpec<C>& spec, Args args, const ParseEnv& env) {
    return CommandParser<C>(spec, args, env).run();
}

Result<Command> parse_help(Args args, const ParseEnv&);
Result<Command> parse_version(Args args, const ParseEnv&);

struct CommandEntry {
    std::string_view name;
    CommandKind kind;
    Result<Command> (*parse)(Args args, const ParseEnv& env);
};

// One entry per command: the word, its kind, its parser.
constexpr std::array<CommandEntry, 14> command_table{{
    {"help", CommandKind::help, parse_help},
    {"version", CommandKind::version, parse_version},
    {"token", CommandKind::token,
     [](Args a, const ParseEnv& e) { return parse_with(token_spec, a, e); }},
    {"add", CommandKind::add, [](Args a, const ParseEnv& e) { return parse_with(add_spec, a, e); }},
    {"update", CommandKind::update,
     [](Args a, const ParseEnv& e) { return parse_with(update_spec, a, e); }},
    {"remove", CommandKind::remove,
     [](Args a, const ParseEnv& e) { return parse_with(remove_spec, a, e); }},
    {"list", CommandKind::list,
     [](Args a, const ParseEnv& e) { return parse_with(list_spec, a, e); }},
    {"status", CommandKind::status,
     [](Args a, const ParseEnv& e) { return parse_with(status_spec, a, e); }},
    {"kube", CommandKind::kube,
     [](Args a, const ParseEnv& e) { return parse_with(kube_spec, a, e); }},
    {"exec", CommandKind::exec, parse_exec},
    {"keystore", CommandKind::keystore,
     [](Args a, const ParseEnv& e) { return parse_with(keystore_spec, a, e); }},
    {"rotate", CommandKind::rotate,
     [](Args a, const ParseEnv& e) { return parse_with(rotate_spec, a, e); }},
    {"login", CommandKind::login,
     [](Args a, const ParseEnv& e) { return parse_with(login_spec, a, e); }},
    {"whoami", CommandKind::whoami,
     [](Args a, const ParseEnv& e) { return parse_with(whoami_spec, a, e); }},
}};

const CommandEntry* find_command(std::string_view name) {
    for (const auto& entry : command_table) {
        if (entry.name == name) {
            return &entry;
        }
    }
    return nullptr;
}

Result<Command> parse_help(Args args, const ParseEnv&) {
    if (args.empty()) {
        return Command{HelpCommand{}};
    }
    const auto* topic = find_command(args[0]);
    if (!topic || args.size() > 1) {
        return usage_error("help: no command \"" + std::string(args[0].substr(0, 100)) + '"');
    }
    return Command{HelpCommand{topic->kind}};
}

Result<Command> parse_version(Args args, const ParseEnv&) {
    if (!args.empty()) {
        return usage_error("version: takes no arguments");
    }
    return Command{VersionCommand{}};
}

} // namespace

// ---- the whole command line ---------------------------------------------------------

std::string_view command_name(CommandKind kind) {
    for (const auto& entry : command_table) {
        if (entry.kind == kind) {
            return entry.name;
        }
    }
    return "cred";
}

namespace {

// The options before the command word. Returns the index of the command word, or
// args.size() when a global --help or --version already decided the command.
Result<std::size_t> parse_global_options(Args args, Invocation& out) {
    std::size_t i = 0;
    for (; i < args.size() && is_option(args[i]); ++i) {
        const std::string_view arg = args[i];
        if (is_help_flag(arg) || arg == "--version") {
            out.command = is_help_flag(arg) ? Command{HelpCommand{}} : Command{VersionCommand{}};
            return args.size();
        }
        std::string_view value;
        if (arg.starts_with("--socket=")) {
            value = arg.substr(9);
        } else if (arg == "--socket" && i + 1 < args.size()) {
            value = args[++i];
        } else {
            return usage_error(arg == "--socket"
                                   ? "--socket needs a path"
                                   : "unknown option " + std::string(arg.substr(0, 100)));
        }
        if (value.empty()) {
            return usage_error("--socket needs a path");
        }
        out.socket = std::string(value);
    }
    if (i == args.size()) {
        return usage_error("no command given (token, add, update, remove, list, status, kube, "
                           "exec, keystore, rotate, login, whoami)");
    }
    return i;
}

} // namespace

Result<Invocation> parse_command_line(Args args, const ParseEnv& env) {
    // Checked before anything else, wherever it sits: by the time we run, the secret is
    // already in ps output and shell history, and the user needs to hear it at once.
    for (std::string_view arg : args) {
        if (arg == "--") {
            break; // what follows is `cred exec`'s command, with options of its own
        }
        if (is_secret_option(arg)) {
            return usage_error("secrets are not accepted on the command line (they would show "
                               "in ps and shell history)",
                               "printf %s \"$TOKEN\" | cred add NAME --url URL");
        }
    }
    Invocation invocation{{}, HelpCommand{}};
    auto at = parse_global_options(args, invocation);
    if (!at) {
        return at.error();
    }
    if (*at == args.size()) {
        return invocation;
    }
    const auto* entry = find_command(args[*at]);
    if (!entry) {
        return usage_error("unknown command \"" + std::string(args[*at].substr(0, 100)) + '"');
    }
    const Args rest = args.subspan(*at + 1);
    // A --help after `--` belongs to the command an exec credential runs.
    const auto options_end = std::find(rest.begin(), rest.end(), std::string_view("--"));
    if (std::any_of(rest.begin(), options_end, is_help_flag)) {
        invocation.command = HelpCommand{entry->kind};
        return invocation;
    }
    auto command = entry->parse(rest, env);
    if (!command) {
        return command.error();
    }
    invocation.command = std::move(*command);
    return invocation;
}

} // namespace credd::cli
