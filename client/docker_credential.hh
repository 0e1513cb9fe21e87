// DockerCredential: the docker-credential-helpers protocol, parsed and formatted with no
// I/O, byte for byte as docker's own helpers (github.com/docker/docker-credential-helpers).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error.hh"
#include "secret.hh"

namespace credd::docker {

// The messages docker's helpers print on stdout (docker compares the first one).
inline constexpr std::string_view not_found_message = "credentials not found in native keychain";
inline constexpr std::string_view missing_server_message = "no credentials server URL";
inline constexpr std::string_view missing_username_message = "no credentials username";
// The username docker stores with an identity token (`docker login` with a token).
inline constexpr std::string_view identity_token_username = "<token>";

// Docker Hub's names, all folded to the one credd matches on.
inline constexpr std::string_view docker_hub_url = "https://index.docker.io";

// The URL credd matches a docker server name on: a scheme (https when none is given),
// the host and the port; a path (docker's "/v1/") and surrounding white space are
// dropped, and Docker Hub's aliases (docker.io, index.docker.io, registry-1.docker.io,
// registry.hub.docker.com) become https://index.docker.io. nullopt for an empty name.
std::optional<std::string> match_url(std::string_view server);

// Docker trims the server name it reads on stdin (get, erase) of white space.
std::string_view trim(std::string_view text);

// What `store` reads: {"ServerURL":…,"Username":…,"Secret":…}.
struct StoreRequest {
    std::string server_url;
    std::string username;
    Secret secret;
};

// Parses the JSON docker writes for `store`; errors carry docker's messages.
Result<StoreRequest> parse_store(std::string_view input);

// `{"ServerURL":…,"Username":…,"Secret":…}\n` escaped as Go's encoding/json does
// (<, > and & as \u003c, \u003e, \u0026). The caller wipes it.
std::string format_get(std::string_view server_url, std::string_view username,
                       std::string_view secret);

// `{"<server>":"<username>",…}\n`, keys sorted as Go sorts a map's.
std::string format_list(std::vector<std::pair<std::string, std::string>> entries);

} // namespace credd::docker
