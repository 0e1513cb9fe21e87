// HttpClient: the one file that includes Beast — resolve, connect, proxy, TLS, POST, read.
#include "http_client.hh"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <unistd.h>

namespace credd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t max_header_bytes = 64 * 1024;

// Where a request goes: the host without brackets for connecting and TLS, the authority
// as written for the Host header, and the path with its query (verbatim: a token URL's
// trailing slash or query matters to the server).
struct Target {
    bool https = true;
    std::string host;
    std::string port;
    std::string authority;
    std::string path;
};

using TargetResult = boost::system::result<Target, RefreshFailure>;

RefreshFailure transient(std::string message) {
    return RefreshFailure{ErrorClass::transient, std::move(message), std::nullopt};
}

RefreshFailure configuration(std::string message) {
    return RefreshFailure{ErrorClass::fix_configuration, std::move(message), std::nullopt};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

TargetResult parse_target(std::string_view url) {
    Target t;
    const auto sep = url.find("://");
    const std::string scheme = lower(url.substr(0, sep == std::string_view::npos ? 0 : sep));
    if (scheme != "https" && scheme != "http") {
        return configuration("token URL must start with https://");
    }
    t.https = scheme == "https";
    std::string_view rest = url.substr(sep + 3);
    const auto end = rest.find_first_of("/?#");
    t.authority = std::string(rest.substr(0, end));
    std::string_view path = end == std::string_view::npos ? "" : rest.substr(end);
    path = path.substr(0, path.find('#'));
    t.path = path.empty() || path.front() != '/' ? "/" + std::string(path) : std::string(path);
    if (t.authority.empty() || t.authority.find('@') != std::string::npos) {
        return configuration("token URL needs a host and no user name");
    }
    std::string_view port;
    if (t.authority.front() == '[') {
        const auto close = t.authority.find(']');
        if (close == std::string::npos) {
            return configuration("token URL has an unterminated IPv6 address");
        }
        t.host = t.authority.substr(1, close - 1);
        std::string_view after = std::string_view(t.authority).substr(close + 1);
        if (!after.empty() && after.front() == ':') {
            port = after.substr(1);
        }
    } else {
        const auto colon = t.authority.rfind(':');
        t.host = t.authority.substr(0, colon);
        if (colon != std::string::npos) {
            port = std::string_view(t.authority).substr(colon + 1);
        }
    }
    t.host = lower(t.host);
    t.port = port.empty() ? (t.https ? "443" : "80") : std::string(port);
    if (t.host.empty() || !std::all_of(t.port.begin(), t.port.end(), ::isdigit)) {
        return configuration("token URL has an invalid host or port");
    }
    return t;
}

// An address literal in 127/8 or ::1, or "localhost". Parsed, not prefix-matched:
// "127.evil.example" is a name anyone can point anywhere.
bool is_loopback(std::string_view host) {
    if (host == "localhost") {
        return true;
    }
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(std::string(host), ec);
    return !ec && address.is_loopback();
}

bool bypasses_proxy(const std::string& host, std::string_view no_proxy) {
    while (!no_proxy.empty()) {
        const auto comma = no_proxy.find(',');
        std::string entry = lower(no_proxy.substr(0, comma));
        no_proxy = comma == std::string_view::npos ? "" : no_proxy.substr(comma + 1);
        entry.erase(std::remove_if(entry.begin(), entry.end(), ::isspace), entry.end());
        if (entry.empty()) {
            continue;
        }
        if (entry == "*") {
            return true;
        }
        if (entry.front() == '.') {
            entry.erase(0, 1);
        }
        if (host == entry || (host.size() > entry.size() && host.ends_with("." + entry))) {
            return true;
        }
    }
    return false;
}

std::string describe(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
        return "timed out";
    }
    return ec.message();
}

std::string media_type(std::string_view value) {
    std::string out = lower(value.substr(0, value.find(';')));
    out.erase(std::remove_if(out.begin(), out.end(), ::isspace), out.end());
    return out;
}

} // namespace

void read_proxy_environment(HttpClientOptions& o) {
    for (const char* name : {"HTTPS_PROXY", "https_proxy"}) {
        if (const char* v = std::getenv(name); v != nullptr && *v != '\0' && !o.https_proxy) {
            o.https_proxy = v;
        }
    }
    for (const char* name : {"NO_PROXY", "no_proxy"}) {
        if (const char* v = std::getenv(name); v != nullptr && *v != '\0' && o.no_proxy.empty()) {
            o.no_proxy = v;
        }
    }
}

struct HttpClient::Impl {
    Impl(asio::io_context& i, HttpClientOptions o) : io(i), options(std::move(o)) {}
    asio::io_context& io;
    HttpClientOptions options;
    // Made on the first https request: loading OpenSSL's state and the system trust store
    // costs ~3 MiB that a daemon with no https credential should not pay.
    std::optional<ssl::context> tls;

    boost::system::result<ssl::context*, RefreshFailure> tls_context();
    asio::awaitable<HttpResult> exchange(HttpRequest request);
    asio::awaitable<boost::system::result<tcp::resolver::results_type, RefreshFailure>>
    resolve(const std::string& host, const std::string& port, Clock::time_point deadline);
    asio::awaitable<std::optional<RefreshFailure>> tunnel(beast::tcp_stream& stream,
                                                          const Target& t);
    template <class Stream>
    asio::awaitable<HttpResult> send(Stream& stream, const HttpRequest& request, const Target& t);
};

HttpClient::HttpClient(asio::io_context& io, HttpClientOptions options)
    : m_impl(std::make_unique<Impl>(io, std::move(options))) {}

HttpClient::~HttpClient() = default;

Result<void> HttpClient::init() {
    // The trust store itself is loaded on first use; a --ca-file that cannot be read is a
    // start-up error, so a typo does not wait for the first refresh to show.
    if (const auto& ca = m_impl->options.ca_file; ca && ::access(ca->c_str(), R_OK) != 0) {
        return make_error(Errc::io_error,
                          "--ca-file " + *ca + ": cannot read: " + std::strerror(errno),
                          "give a readable PEM file of CA certificates");
    }
    return {};
}

boost::system::result<ssl::context*, RefreshFailure> HttpClient::Impl::tls_context() {
    if (tls) {
        return &*tls;
    }
    ssl::context context{ssl::context::tls_client};
    boost::system::error_code ec;
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (options.ca_file) {
        context.load_verify_file(*options.ca_file, ec);
        if (ec) {
            return configuration("--ca-file " + *options.ca_file +
                                 ": cannot load: " + ec.message());
        }
    } else {
        context.set_default_verify_paths(ec);
        if (ec) {
            return configuration("TLS: cannot load the system trust store: " + ec.message() +
                                 " (install ca-certificates, or give credd --ca-file FILE)");
        }
    }
    context.set_verify_mode(ssl::verify_peer);
    tls.emplace(std::move(context));
    return &*tls;
}

void HttpClient::post(HttpRequest request, std::function<void(HttpResult)> done) {
    asio::co_spawn(m_impl->io, m_impl->exchange(std::move(request)),
                   [done = std::move(done)](std::exception_ptr e, HttpResult result) {
                       if (e) {
                           done(transient("HTTP client: internal error"));
                       } else {
                           done(std::move(result));
                       }
                   });
}

asio::awaitable<boost::system::result<tcp::resolver::results_type, RefreshFailure>>
HttpClient::Impl::resolve(const std::string& host, const std::string& port,
                          Clock::time_point deadline) {
    tcp::resolver resolver(io);
    // The resolver has no deadline of its own; the timer cancels it.
    asio::steady_timer timer(io, deadline);
    timer.async_wait([&resolver](const boost::system::error_code& ec) {
        if (!ec) {
            resolver.cancel();
        }
    });
    auto [ec, results] = co_await resolver.async_resolve(host, port, use_tuple);
    timer.cancel();
    if (ec) {
        co_return transient("cannot resolve " + host + ": " + describe(ec));
    }
    co_return results;
}

asio::awaitable<std::optional<RefreshFailure>> HttpClient::Impl::tunnel(beast::tcp_stream& stream,
                                                                        const Target& t) {
    const std::string where = t.host.find(':') != std::string::npos ? "[" + t.host + "]:" + t.port
                                                                    : t.host + ":" + t.port;
    http::request<http::empty_body> connect{http::verb::connect, where, 11};
    connect.set(http::field::host, where);
    auto [wec, written] = co_await http::async_write(stream, connect, use_tuple);
    if (wec) {
        co_return transient("proxy: cannot send CONNECT: " + describe(wec));
    }
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.skip(true); // a CONNECT answer has no body, whatever its headers say
    auto [rec, read] = co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (rec) {
        co_return transient("proxy: no answer to CONNECT: " + describe(rec));
    }
    if (parser.get().result_int() != 200) {
        co_return transient("proxy refused CONNECT " + where + ": HTTP " +
                            std::to_string(parser.get().result_int()));
    }
    co_return std::nullopt;
}

template <class Stream>
asio::awaitable<HttpResult> HttpClient::Impl::send(Stream& stream, const HttpRequest& request,
                                                   const Target& t) {
    http::request<http::string_body> msg{request.get ? http::verb::get : http::verb::post, t.path,
                                         11};
    msg.set(http::field::host, t.authority);
    msg.set(http::field::user_agent, "credd/" CREDD_VERSION);
    msg.set(http::field::accept, "application/json");
    if (!request.get) {
        msg.set(http::field::content_type, "application/x-www-form-urlencoded");
    }
    if (!request.authorization.empty()) {
        msg.set(http::field::authorization, request.authorization.expose());
    }
    msg.keep_alive(false);
    msg.body() = request.body;
    msg.prepare_payload();
    auto [wec, written] = co_await http::async_write(stream, msg, use_tuple);
    wipe(msg.body());
    if (wec) {
        co_return transient("token endpoint " + t.authority + ": cannot send: " + describe(wec));
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(max_header_bytes);
    auto [rec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec == http::error::body_limit || rec == http::error::header_limit) {
        wipe(parser.get().body());
        co_return transient("token endpoint " + t.authority + ": answer larger than " +
                            std::to_string(options.max_response_bytes / 1024) + " KiB");
    }
    if (rec) {
        wipe(parser.get().body());
        co_return transient("token endpoint " + t.authority + ": no answer: " + describe(rec));
    }
    auto& res = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = media_type(res[http::field::content_type]);
    if (const auto it = res.find(http::field::retry_after); it != res.end()) {
        out.retry_after = std::string(it->value());
    }
    out.body = std::move(res.body());
    co_return out;
}

asio::awaitable<HttpResult> HttpClient::Impl::exchange(HttpRequest request) {
    auto target = parse_target(request.url);
    if (!target) {
        co_return target.error();
    }
    const Target& t = *target;
    if (!t.https && !is_loopback(t.host) && !request.allow_insecure_http) {
        co_return configuration("refusing http:// to " + t.host +
                                ": tokens would cross the network in clear text; use https, "
                                "or add the credential with --allow-insecure-http");
    }
    const auto deadline = Clock::now() + options.request_timeout;
    const bool via_proxy = t.https && options.https_proxy && !is_loopback(t.host) &&
                           !bypasses_proxy(t.host, options.no_proxy);
    Target hop = t;
    if (via_proxy) {
        auto proxy = parse_target(*options.https_proxy);
        if (!proxy) {
            co_return configuration("HTTPS_PROXY: " + proxy.error().message);
        }
        hop = *proxy;
    }
    auto endpoints = co_await resolve(hop.host, hop.port, deadline);
    if (!endpoints) {
        co_return endpoints.error();
    }
    beast::tcp_stream stream(io);
    stream.expires_at(std::min(deadline, Clock::now() + options.connect_timeout));
    auto [cec, endpoint] = co_await stream.async_connect(*endpoints, use_tuple);
    if (cec) {
        co_return transient("cannot connect to " + hop.host + ":" + hop.port + ": " +
                            describe(cec));
    }
    stream.expires_at(deadline);
    if (via_proxy) {
        if (auto failed = co_await tunnel(stream, t)) {
            co_return *failed;
        }
    }
    if (!t.https) {
        co_return co_await send(stream, request, t);
    }
    auto context = tls_context();
    if (!context) {
        co_return context.error();
    }
    beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(stream), **context);
    // SNI for names; both names and addresses are checked against the certificate.
    boost::system::error_code not_an_address;
    asio::ip::make_address(t.host, not_an_address);
    if (not_an_address) {
        SSL_set_tlsext_host_name(tls_stream.native_handle(), t.host.c_str());
    }
    tls_stream.set_verify_callback(ssl::host_name_verification(t.host));
    auto [hec] = co_await tls_stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
        const long verify = SSL_get_verify_result(tls_stream.native_handle());
        if (verify != X509_V_OK) {
            co_return configuration(
                "token endpoint " + t.authority +
                ": certificate not trusted: " + X509_verify_cert_error_string(verify) +
                "; for a private CA start credd with --ca-file FILE");
        }
        co_return transient("token endpoint " + t.authority +
                            ": TLS handshake failed: " + describe(hec));
    }
    co_return co_await send(tls_stream, request, t);
}

} // namespace credd
