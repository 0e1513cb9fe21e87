// HttpClient: HTTPS POSTs to token endpoints on the daemon's io_context (Beast + OpenSSL).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/system/result.hpp>

#include "error.hh"
#include "http_response.hh"
#include "proxy_settings.hh"
#include "refresh_failure.hh"
#include "secret.hh"

namespace boost::asio {
class io_context;
}

namespace credd {

// A host name's addresses as text ("192.0.2.1", "2001:db8::1"), or why there are none.
// Blocking (getaddrinfo); the client runs it on a thread of its own.
using NameLookup = std::function<Result<std::vector<std::string>>(const std::string& host)>;
Result<std::vector<std::string>> system_name_lookup(const std::string& host);

struct HttpClientOptions {
    // A PEM bundle to trust instead of the system store (--ca-file). Without it the
    // system store is used, and OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR are honoured.
    std::optional<std::string> ca_file;
    std::chrono::milliseconds connect_timeout{5'000};
    // Everything — resolve, connect, proxy, TLS, request and response — within this.
    std::chrono::milliseconds request_timeout{15'000};
    std::size_t max_response_bytes = 1 << 20;
    // The proxy for https:// token URLs (HTTPS_PROXY, NO_PROXY), parsed at start-up.
    std::optional<ProxySettings> proxy;
    // How names are resolved (a test replaces it with one that hangs).
    NameLookup lookup = system_name_lookup;
};

// One POST of a form body (or a GET, for discovery). Secrets (body, Authorization) are wiped on
// destruction.
struct HttpRequest {
    std::string url;
    std::string body; // application/x-www-form-urlencoded
    Secret authorization;
    // http:// is refused except to loopback unless the credential allows it.
    bool allow_insecure_http = false;
    // A GET without a body (OIDC discovery) instead of the POST.
    bool get = false;

    HttpRequest() = default;
    HttpRequest(HttpRequest&&) = default;
    HttpRequest& operator=(HttpRequest&&) = default;
    ~HttpRequest() { wipe(body); }
};

using HttpResult = boost::system::result<HttpResponse, RefreshFailure>;

// Owned by the Daemon; lives on the I/O thread. Each post runs as its own coroutine, so
// any number of requests proceed at once and none blocks the loop. Redirects are not
// followed (a 3xx is handed back as it is). Transport failures come back classed:
// network errors, timeouts, oversized answers, a trust store that cannot be loaded and a
// certificate that is not accepted are transient (each can be fixed outside the
// credential); a refused http:// URL or a --ca-file that does not exist are
// configuration errors. A name lookup runs on a thread of its own that the request does
// not wait for past its deadline: a late answer is dropped.
class HttpClient {
public:
    HttpClient(boost::asio::io_context& io, HttpClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Loads the trust store; Errc::io_error when --ca-file cannot be read.
    Result<void> init();

    // `done` runs on the I/O thread, exactly once.
    void post(HttpRequest request, std::function<void(HttpResult)> done);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace credd
