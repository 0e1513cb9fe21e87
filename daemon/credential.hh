// Credential: what credd knows about one credential, split into what may be shown and
// what is sealed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "credential_name.hh"
#include "error.hh"
#include "secret.hh"
#include "time_text.hh"
#include "url.hh"

namespace credd {

inline constexpr std::string_view kind_static = "static";
inline constexpr std::string_view kind_oauth2_refresh_token = "oauth2-refresh-token";
inline constexpr std::string_view kind_oauth2_client_credentials = "oauth2-client-credentials";
inline constexpr std::string_view kind_exec = "exec";
// Interactive login (cred login): RFC 8628 device authorization, and authorization code +
// PKCE on a loopback redirect (RFC 8252). Refreshed like oauth2-refresh-token afterwards.
inline constexpr std::string_view kind_device = "device";
inline constexpr std::string_view kind_auth_code = "auth-code";

// Whether a user logs in interactively to get this kind's refresh token.
bool is_login_kind(std::string_view kind);

// Whether credd obtains this kind's tokens itself (and so refreshes them).
bool is_refreshable_kind(std::string_view kind);

// What the refresher knows about a refreshable credential, persisted with its record so
// `cred status` after a restart still shows the last error and the start-up scheduler
// knows when to refresh. `error_class` is an ErrorClass name ("transient",
// "reauthorize", "fix_configuration") while the last attempt failed, else empty.
struct RefreshState {
    std::optional<UnixMs> last_refresh; // last successful refresh
    std::optional<UnixMs> next_refresh; // when the next attempt is due; none: no retry
    std::optional<std::string> last_error;
    std::string error_class;
    std::uint32_t failures = 0;    // consecutive
    bool default_lifetime = false; // the provider said no expires_in; ours was assumed
};

// The non-secret part of a credential. Stored as JSON in LMDB, returned to clients,
// logged by name. Nothing in it may ever be secret material.
struct CredentialRecord {
    std::string name;
    std::string kind{kind_static};
    Url match;                        // what URLs it answers for (match.username optional)
    std::optional<UnixMs> expires_at; // of the current token; none = does not expire
    std::map<std::string, std::string> labels;
    boost::json::object params;   // kind parameters (token_url, client_id…), non-secret
    std::uint64_t generation = 0; // bumped on every change of the secret material
    UnixMs created_at = 0;
    UnixMs updated_at = 0;
    RefreshState refresh;
};

// The sealed part. Empty members are absent.
struct SecretMaterial {
    Secret token; // static token, password or current access token
    Secret refresh_token;
    Secret client_secret;
    Secret id_token; // from a login or refresh answer; shown decoded, never served
};

// A copy of every member: code that copies secret material member by member forgets the
// ones added later (the ID token was lost that way).
SecretMaterial clone_secrets(const SecretMaterial& m);

boost::json::object record_to_json(const CredentialRecord& r);
Result<CredentialRecord> record_from_json(const boost::json::value& v);

// A compact, versioned binary encoding of SecretMaterial; the output is a Secret so
// the plaintext is wiped as soon as it has been sealed.
Secret encode_secrets(const SecretMaterial& m);
Result<SecretMaterial> decode_secrets(std::string_view bytes);

} // namespace credd
