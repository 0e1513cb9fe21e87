// IdToken: the claims of an OpenID Connect ID token, decoded for display only.
#pragma once

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

namespace credd {

// The payload of a JWS compact serialisation (header.payload.signature), base64url
// decoded and parsed as a JSON object. NOT verified: what it says is shown to the user
// (cred whoami, the identity after a login) and never trusted for anything.
std::optional<boost::json::object> id_token_claims(std::string_view jwt);

// What login.progress `succeeded` reports: sub, email, preferred_username and name, as
// strings when present (absent ones are null).
boost::json::object identity_of(const boost::json::object& claims);

} // namespace credd
