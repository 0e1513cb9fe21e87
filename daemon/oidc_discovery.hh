// OidcDiscovery: an issuer's endpoints from its metadata (OpenID Connect Discovery 1.0,
// then RFC 8414 OAuth 2.0 Authorization Server Metadata).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "error.hh"
#include "time_text.hh"

namespace credd {

class HttpClient;

// Metadata older than this is fetched again at login time.
inline constexpr std::int64_t discovery_max_age_ms = 24LL * 3600 * 1000;

// The metadata URLs tried, in order: `<issuer>/.well-known/openid-configuration` (OIDC:
// appended to the issuer, path and all), then RFC 8414's, which inserts the well-known
// segment between host and path (`https://h/.well-known/oauth-authorization-server/p`);
// for an issuer without a path both RFC 8414 forms are the same URL, given once.
std::vector<std::string> discovery_urls(std::string_view issuer);

// The `discovered` object kept in params: the endpoints a login and refresh use, as the
// metadata names them, plus `issuer` and `fetched_at` (unix ms). Errc::discovery_failed
// when the metadata's issuer is not `issuer` (mix-up defence, RFC 8414 §3.3) or it has
// no token_endpoint.
Result<boost::json::object>
discovered_from_metadata(std::string_view issuer, const boost::json::object& metadata, UnixMs now);

// Fetches the metadata (first URL that answers 200 with a JSON object), through the
// daemon's HttpClient (https, or http to loopback / with allow_insecure_http).
// `done` on the I/O thread, exactly once; Errc::discovery_failed names every URL tried
// and why each failed.
void discover(HttpClient& http, std::string issuer, bool allow_insecure_http,
              std::function<void(Result<boost::json::object>)> done);

// Whether `discovered` (params.discovered) is for `issuer` and younger than the max age.
bool discovery_is_fresh(const boost::json::object& discovered, std::string_view issuer, UnixMs now);

} // namespace credd
