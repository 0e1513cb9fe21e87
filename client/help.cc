// Help texts: the overview with the exit statuses, and one text per command.
#include "help.hh"

#include "protocol.hh"

namespace credd {

namespace {

constexpr std::string_view overview = R"(usage: cred [--socket PATH] COMMAND [ARGS]

cred hands out tokens kept by credd, the per-user credential daemon, and manages them.

commands:
  token NAME | --url URL [--username U] [--min-valid S] [--json]
                     print a credential's token and nothing else
  add NAME --url URL [--username U] [--expires-at WHEN] [--label K=V]...
                     store a credential; its token is read from stdin or a prompt
  update NAME [--url URL] [--username U | --no-username]
              [--expires-at WHEN | --no-expiry] [--label K=V]... [--no-labels]
                     change what a credential matches, its expiry or its labels
  remove NAME        delete a credential
  list [--json]      the credentials and what they match (never their secrets)
  status [NAME] [--json]
                     expiry and refresh state, and what protects the secrets
  kube NAME          the token as a kubectl exec-plugin ExecCredential
  exec NAME [--env VAR] -- CMD [ARGS]...
                     run CMD (no shell) with the token in $VAR (default CRED_TOKEN)
  keystore [--json]  where the data key lives (keyring or file) and whether it
                     is loaded
  keystore migrate --to keyring|file
                     move the data key; safe to interrupt and to run again
  rotate NAME [--json]
                     refresh a credential's token now
  login NAME [--no-browser] [--no-qr] [--timeout S]
                     log in interactively (device code or browser) to a device
                     or auth-code credential
  whoami NAME [--json]
                     who the stored ID token of credential NAME names
  help [COMMAND]     this text, or one command's
  version            cred's version

global options:
  --socket PATH      the daemon's socket; default $CREDD_SOCKET, else
                     $XDG_RUNTIME_DIR/credd/socket, else /tmp/credd-$UID/socket
  -h, --help         this text
  --version          cred's version

exit status:
  0  success
  1  error
  2  usage: a bad command, option or value, or a secret on the command line
  3  not found: no credential of that name, or none matches the URL
  4  expired, less valid time left than --min-valid, or a login is needed
     (cred login: the login was denied, expired or had a wrong state)
  5  the daemon is unreachable and could not be started
  130  cred login interrupted (Ctrl-C or SIGTERM); the login was cancelled
  cred exec exits with its command's status (127: not found, 126: cannot run)

environment:
  CREDD_SOCKET        the socket, when --socket is not given
  CREDD_NO_AUTOSTART  1: do not start credd when no daemon answers
  CREDD_DAEMON        the credd binary to start (default: beside cred, else on PATH)

Secrets go in on stdin or at a prompt, never as arguments:
  printf %s "$TOKEN" | cred add github-work --url https://github.com

The same binary answers as git's and docker's credential helper when called by
those names (meson install makes the links):
  git-credential-credd get|store|erase    git config --global credential.helper credd
  docker-credential-credd get|store|erase|list|version
                                          ~/.docker/config.json: {"credsStore": "credd"}
)";

constexpr std::string_view token_help = R"(usage: cred token NAME [--min-valid S] [--json]
       cred token --url URL [--username U] [--min-valid S] [--json]

Prints the token of credential NAME, or of the credential that best matches URL
(longest path prefix, then a matching username), followed by a newline, and
nothing else. An expired token is never printed.

  --url URL        pick the credential by URL, e.g. https://github.com/org/repo.git
  --username U     with --url: the account to use when several match
  --min-valid S    the token must stay valid at least S seconds (or 5m, 2h, 1d)
  --json           print the daemon's whole answer as JSON (it includes the token)

exit status: 0 ok, 3 not found, 4 expired or too little validity left,
5 daemon unreachable; see cred --help.
)";

constexpr std::string_view add_help =
    R"(usage: printf %s "$TOKEN" | cred add NAME --url URL [OPTIONS]
       cred add NAME --url URL [OPTIONS]        (prompts for the token)

Stores a static token as credential NAME, replacing one of the same name. The
token is read from stdin when stdin is not a terminal (one trailing newline is
dropped), else at a prompt that does not echo. Terminals cut a typed line at 4095
bytes: pipe longer tokens in. Tokens are never accepted as arguments.

  --url URL          what the credential is for: scheme://host[:port][/path]
  --username U       the account it belongs to
  --expires-at WHEN  when the token stops being served: 2026-12-31T00:00:00Z,
                     unix seconds (1798675200), or from now: +30d, +12h, +15m, +45s
  --label K=V        a label to show in lists; repeat for several. auth=bearer
                     marks the token as an OAuth bearer token (git then gets it
                     as authtype=Bearer when it can take that)

Refreshed kinds (credd obtains and renews the token itself; --url is optional,
without it the credential is reached by name only):
  --kind oauth2-refresh-token       stdin: the refresh token, and optionally the
                                    client secret on a second line
  --kind oauth2-client-credentials  stdin: the client secret
  --kind exec -- COMMAND [ARG]...   runs COMMAND (no shell, stdin closed, minimal
                                    environment); it prints the token, or JSON with
                                    token/access_token and expires_at/expires_in
  --token-url URL        the provider's token endpoint (https://; http:// only
                         to loopback unless --allow-insecure-http)
  --client-id ID         the OAuth2 client id
  --client-auth M        none, client_secret_basic (default with a secret) or
                         client_secret_post
  --scope S, --audience A, --resource R
                         sent with every token request
  --default-lifetime S   assumed lifetime when the provider or command gives none
                         (default 1h); status shows that it was assumed
  --timeout S            exec: kill the command after S (default 30s)

Interactive login kinds (no secret on stdin; run cred login NAME afterwards):
  --kind device          RFC 8628 device authorization: a code to enter on any
                         device's browser
  --kind auth-code       authorization code + PKCE, redirected to credd on
                         127.0.0.1 (RFC 8252)
  --issuer URL           the OpenID Connect/OAuth issuer: endpoints are discovered
  --device-url URL       the device authorization endpoint (overrides discovery)
  --auth-url URL         the authorization endpoint (overrides discovery)
  --preset P             github, gitlab, google, microsoft, bitbucket or gitea
                         (also Forgejo and Codeberg; --issuer is the instance URL):
                         fills the endpoints, a default scope and the URL match
                         (google and bitbucket want --client-secret-stdin);
                         options given explicitly win
  --tenant T             microsoft: common, organizations (default), consumers,
                         or a tenant's GUID or domain
  --client-secret-stdin  a confidential client: read its secret from stdin (or
                         a prompt); public clients need none
  e.g. cred add gh --kind device --preset github --client-id Iv1.0123456789abcdef
)";

constexpr std::string_view update_help = R"(usage: cred update NAME [OPTIONS]

Changes a credential's non-secret attributes; to change the token, add it again.

  --url URL            what the credential is for
  --username U         the account it belongs to
  --no-username        forget the username
  --expires-at WHEN    new expiry (see cred add --help for WHEN)
  --no-expiry          the token does not expire
  --label K=V          replaces all labels with the ones given; repeat for several
  --no-labels          removes all labels
)";

constexpr std::string_view remove_help = R"(usage: cred remove NAME

Deletes credential NAME and its secret. Exit status 3 if there is none.
)";

constexpr std::string_view list_help = R"(usage: cred list [--json]

Lists the credentials: NAME KIND MATCH USERNAME STATUS EXPIRES_AT LABELS.
Secrets are never shown.

  --json   print the daemon's answer as JSON
)";

constexpr std::string_view status_help = R"(usage: cred status [NAME] [--json]

Shows expiry and refresh state: NAME KIND MATCH STATUS EXPIRES_AT NEXT_REFRESH
LAST_REFRESH LAST_ERROR, for one credential or all. Times are RFC 3339 (UTC).
A last line says what protects the secrets (keyring or file; see cred keystore).

  --json   print the daemon's answer as JSON
)";

constexpr std::string_view kube_help = R"(usage: cred kube NAME

Prints credential NAME's token as a Kubernetes ExecCredential, for kubectl's exec
credential plugins (users[].user.exec in a kubeconfig):

  exec:
    apiVersion: client.authentication.k8s.io/v1
    command: cred
    args: [kube, my-cluster]
    interactiveMode: Never

apiVersion echoes the one in $KUBERNETES_EXEC_INFO (client.authentication.k8s.io/v1
or /v1beta1), else v1. status.expirationTimestamp (RFC 3339, UTC) is there when the
token expires. Exit status as for cred token.
)";

constexpr std::string_view exec_help =
    R"(usage: cred exec NAME [--env VAR] -- CMD [ARGS]...

Runs CMD with ARGS, without a shell, with credential NAME's token in the
environment variable VAR (default CRED_TOKEN), never on its command line:

  cred exec github-work --env GH_TOKEN -- gh api /user

cred becomes CMD, so its exit status is CMD's. Before CMD runs, cred's own exit
statuses apply (3 not found, 4 expired, 5 daemon unreachable; see cred --help);
127 when CMD is not found, 126 when it cannot be run.

  --env VAR   the variable that carries the token: [A-Za-z_][A-Za-z0-9_]*
)";

constexpr std::string_view keystore_help = R"(usage: cred keystore [--json]
       cred keystore migrate --to keyring|file [--json]

Shows where the data key that seals every stored secret lives: in the keyring (a
Secret Service item such as GNOME Keyring's) or in a 0600 key file, and whether
the daemon has it. Exits non-zero, saying why and what to run, when it has not
(no keyring on the session bus, a locked keyring, a deleted key).

migrate moves the key: it writes the new copy, reads it back, checks it opens
the store, and only then deletes the old one. Interrupted at any point, one or
both copies of the same key remain and nothing is lost; run it again to finish.

  --to STORE   keyring or file
  --json       print the daemon's answer as JSON
)";

constexpr std::string_view rotate_help = R"(usage: cred rotate NAME [--json]

Refreshes credential NAME now, whatever its schedule or last error, and waits
for the outcome: the new token is stored before this returns. Exit status 4 if
the provider refused the refresh token (log in again as the message says).

  --json   print the credential's status after the refresh as JSON
)";

constexpr std::string_view login_help =
    R"(usage: cred login NAME [--no-browser] [--no-qr] [--timeout S]

Logs in to credential NAME (--kind device or auth-code) and stores the refresh
token it yields; credd then refreshes the access token in the background. The
daemon runs the flow; cred shows what to do and waits.

device: prints the URL and the code to enter there (and a QR code of the URL
when stdout is a terminal), then waits while you approve on any device.
auth-code: opens your browser (xdg-open, when DISPLAY or WAYLAND_DISPLAY is
set) and credd catches the redirect on 127.0.0.1. Without a display, or with
--no-browser, it prints the URL and reads from stdin the URL the browser was
redirected to (it fails to load on another machine: copy it from the address
bar), or just its code.

Ctrl-C cancels the login in the daemon too.

  --no-browser   auth-code: do not open a browser; paste the redirect URL
  --no-qr        device: no QR code
  --timeout S    cancel if there is no outcome within S seconds (or 5m, …)

exit status: 0 logged in; 4 denied, the code expired, or a redirect with the
wrong state (log in again); 130 interrupted; others see cred --help.
)";

constexpr std::string_view whoami_help = R"(usage: cred whoami NAME [--json]

Shows who the ID token kept from credential NAME's last login names: name,
username, email, subject, issuer and the ID token's expiry. The claims are
decoded, not verified: shown, never trusted for anything. No ID token (the
provider sent none, or no login yet): exit 1, with the hint cred login NAME.

  --json   print the daemon's answer as JSON
)";

constexpr std::string_view help_help = R"(usage: cred help [COMMAND]

Prints the overview, or the help of COMMAND (same as cred COMMAND --help).
)";

constexpr std::string_view version_help = R"(usage: cred version

Prints cred's version and the protocol version it speaks.
)";

} // namespace

std::string_view help_text(std::optional<cli::CommandKind> topic) {
    if (!topic) {
        return overview;
    }
    switch (*topic) {
    case cli::CommandKind::help:
        return help_help;
    case cli::CommandKind::version:
        return version_help;
    case cli::CommandKind::token:
        return token_help;
    case cli::CommandKind::add:
        return add_help;
    case cli::CommandKind::update:
        return update_help;
    case cli::CommandKind::remove:
        return remove_help;
    case cli::CommandKind::list:
        return list_help;
    case cli::CommandKind::status:
        return status_help;
    case cli::CommandKind::kube:
        return kube_help;
    case cli::CommandKind::exec:
        return exec_help;
    case cli::CommandKind::keystore:
        return keystore_help;
    case cli::CommandKind::rotate:
        return rotate_help;
    case cli::CommandKind::login:
        return login_help;
    case cli::CommandKind::whoami:
        return whoami_help;
    }
    return overview;
}

std::string version_text() {
    return "cred " CREDD_VERSION " (protocol " + std::to_string(protocol::version) + ")\n";
}

} // namespace credd
