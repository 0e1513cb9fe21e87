// FormEncoding: application/x-www-form-urlencoded bodies and HTTP Basic client authentication.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "secret.hh"

namespace credd {

// Percent-encodes everything but the unreserved set (RFC 3986 §2.3); a space becomes %20,
// which every form parser accepts.
std::string form_urlencode(std::string_view s);
// Appends `key=value` (both encoded), with '&' when `out` is not empty. `out` may hold
// secrets: the caller wipes it.
void append_form_field(std::string& out, std::string_view key, std::string_view value);
// Decodes a form body ('+' is a space); empty when it is not one (a '%' not followed by
// two hex digits, or a pair without '=').
std::optional<std::map<std::string, std::string>> form_decode(std::string_view body);

// The Authorization header value for client_secret_basic. RFC 6749 §2.3.1 says the id
// and secret are form-urlencoded *before* they are joined by ':' and base64-encoded, so
// a secret with ':' or non-ASCII bytes survives.
Secret basic_authorization(std::string_view client_id, std::string_view client_secret);

// "Basic " + base64(`user_colon_password`), for an Authorization or Proxy-Authorization
// header (RFC 7617); `user_colon_password` is wiped.
Secret basic_header_value(std::string& user_colon_password);

} // namespace credd
