// OAuth2Strategy: the refresh-token (RFC 6749 §6) and client-credentials (§4.4) grants.
#pragma once

#include <boost/json/object.hpp>

#include "strategy.hh"

namespace credd {

class HttpClient;
struct HttpRequest;
class Secret;

// Client authentication on a token request, by `params.client_auth`: `none` (client_id
// in the body), `client_secret_basic` or `client_secret_post`; unset, basic when there is
// a client secret and none otherwise. Shared by the refresh and every login request, so
// a confidential client authenticates the same way on each.
void add_client_auth(HttpRequest& r, const boost::json::object& params,
                     const Secret& client_secret);

// Serves both oauth2 kinds, told apart by RefreshInput::kind. Client authentication is
// `none` (client_id in the body, public clients), `client_secret_basic` (the default
// with a secret) or `client_secret_post`; `scope`, `audience` and `resource` are sent
// when set. Owned by the Daemon; uses its HttpClient.
class OAuth2Strategy final : public Strategy {
public:
    explicit OAuth2Strategy(HttpClient& http) : m_http(http) {}
    void refresh(RefreshInput input, std::function<void(RefreshOutcome)> done) override;

private:
    HttpClient& m_http;
};

} // namespace credd
