// HttpClient: HTTPS POSTs to token endpoints on the daemon's io_context (Beast + OpenSSL).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/system/result.hpp>

#include "error.hh"
#include "http_response.hh"
#include "refresh_failure.hh"
#include "secret.hh"

namespace boost::asio {
class io_context;
}

namespace credd {

struct HttpClientOptions {
    // A PEM bundle to trust instead of the system store (--ca-file). Without it the
    // system store is used, and OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR are honoured.
    std::optional<std::string> ca_file;
    std::chrono::milliseconds connect_timeout{5'000};
    // Everything — resolve, connect, proxy, TLS, request and response — within this.
    std::chrono::milliseconds request_timeout{15'000};
    std::size_t max_response_bytes = 1 << 20;
    // "http://host:port" of an HTTPS proxy (HTTPS_PROXY) and the hosts that bypass it
    // (NO_PROXY: comma-separated names, ".suffix" or "*").
    std::optional<std::string> https_proxy;
    std::string no_proxy;
};

// The proxy settings from the environment (HTTPS_PROXY/https_proxy, NO_PROXY/no_proxy).
void read_proxy_environment(HttpClientOptions& options);

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
// network errors, timeouts and oversized answers are transient; a refused certificate or
// a refused http:// URL are configuration errors.
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
