// HttpClient: the one file that includes Beast — resolve, connect, proxy, TLS, POST, read.
#include "http_client.hh"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

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

#include <netdb.h>
#include <unistd.h>

#include "wiping_allocator.hh"

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
// Name lookups running at once; past this a request fails (transient) rather than start
// another thread while a resolver hangs.
constexpr std::size_t max_lookups = 64;

// Containers that hold token bytes (the read buffer, header fields, the body) wipe every
// block they give back.
using WipingFields = http::basic_fields<WipingAllocator<char>>;
using WipingBuffer = beast::basic_flat_buffer<WipingAllocator<char>>;
using WipingStringBody =
    http::basic_string_body<char, std::char_traits<char>, WipingAllocator<char>>;

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
    if (t.host.empty() || t.port.size() > 5 ||
        !std::all_of(t.port.begin(), t.port.end(), ::isdigit) || std::stoi(t.port) < 1 ||
        std::stoi(t.port) > 65535) {
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

Result<std::vector<std::string>> system_name_lookup(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    if (rc != 0) {
        return make_error(Errc::io_error,
                          rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc));
    }
    std::vector<std::string> out;
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        char text[NI_MAXHOST];
        if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0,
                          NI_NUMERICHOST) == 0) {
            out.emplace_back(text);
        }
    }
    ::freeaddrinfo(found);
    return out;
}

// Lookups still running when the client goes: their threads must not post to an
// io_context that may be gone, so they check here first (under the mutex).
struct LookupGate {
    std::mutex mutex;
    asio::io_context* io = nullptr;
    std::size_t running = 0;
};

// One lookup's meeting point on the I/O thread: the request waits on `wake` until its
// deadline; the answer, posted by the lookup thread, fills `answer` and cancels `wake`.
// The lookup thread holds it only weakly, so a request that gave up frees it and a late
// answer finds nothing to write to.
struct PendingLookup {
    explicit PendingLookup(asio::io_context& io) : wake(io) {}
    asio::steady_timer wake;
    std::optional<Result<std::vector<std::string>>> answer;
};

struct HttpClient::Impl {
    Impl(asio::io_context& i, HttpClientOptions o)
        : io(i), options(std::move(o)), lookups(std::make_shared<LookupGate>()) {
        lookups->io = &io;
    }
    ~Impl() {
        std::lock_guard lock(lookups->mutex);
        lookups->io = nullptr;
    }
    asio::io_context& io;
    HttpClientOptions options;
    std::shared_ptr<LookupGate> lookups;
    // Made on the first https request: loading OpenSSL's state and the system trust store
    // costs ~3 MiB that a daemon with no https credential should not pay.
    std::optional<ssl::context> tls;

    boost::system::result<ssl::context*, RefreshFailure> tls_context();
    asio::awaitable<HttpResult> exchange(HttpRequest request);
    asio::awaitable<boost::system::result<std::vector<tcp::endpoint>, RefreshFailure>>
    resolve(const std::string& host, const std::string& port, Clock::time_point deadline);
    bool start_lookup(const std::string& host, const std::shared_ptr<PendingLookup>& pending);
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
    // Decrypted records are wiped from OpenSSL's buffers once read: they hold tokens.
    SSL_CTX_set_options(context.native_handle(), SSL_OP_CLEANSE_PLAINTEXT);
    // A trust store that cannot be loaded is transient (not kept: the next request tries
    // again), since it may appear or be fixed; only a --ca-file that is not there at all
    // is a configuration error.
    if (options.ca_file) {
        if (::access(options.ca_file->c_str(), F_OK) != 0 && errno == ENOENT) {
            return configuration("--ca-file " + *options.ca_file +
                                 ": no such file; restore it, or start credd with another "
                                 "--ca-file");
        }
        context.load_verify_file(*options.ca_file, ec);
        if (ec) {
            return transient("--ca-file " + *options.ca_file + ": cannot load: " + ec.message() +
                             "; it must be a readable PEM file of CA certificates");
        }
    } else {
        context.set_default_verify_paths(ec);
        if (ec) {
            return transient("TLS: cannot load the system trust store: " + ec.message() +
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

// getaddrinfo cannot be cancelled, so it runs on a detached thread of its own and the
// request waits for it only until its deadline.
bool HttpClient::Impl::start_lookup(const std::string& host,
                                    const std::shared_ptr<PendingLookup>& pending) {
    {
        std::lock_guard lock(lookups->mutex);
        if (lookups->running >= max_lookups) {
            return false;
        }
        ++lookups->running;
    }
    try {
        std::thread([gate = lookups, lookup = options.lookup, host,
                     waiting = std::weak_ptr<PendingLookup>(pending)] {
            auto answer = lookup(host);
            std::lock_guard lock(gate->mutex);
            --gate->running;
            // The client first: while it lives so does its io_context. The strong
            // reference goes straight into the handler, so this thread never drops the
            // last one (and with it a timer) after the io_context is gone.
            if (gate->io == nullptr) {
                return;
            }
            auto still_waiting = waiting.lock();
            if (!still_waiting) {
                return; // the request gave up at its deadline
            }
            asio::post(*gate->io, [p = std::move(still_waiting), a = std::move(answer)]() mutable {
                p->answer = std::move(a);
                p->wake.cancel();
            });
        }).detach();
    } catch (const std::system_error&) {
        std::lock_guard lock(lookups->mutex);
        --lookups->running;
        return false;
    }
    return true;
}

asio::awaitable<boost::system::result<std::vector<tcp::endpoint>, RefreshFailure>>
HttpClient::Impl::resolve(const std::string& host, const std::string& port,
                          Clock::time_point deadline) {
    const auto port_number = static_cast<unsigned short>(std::stoi(port));
    // An address literal needs no lookup.
    boost::system::error_code not_an_address;
    const auto literal = asio::ip::make_address(host, not_an_address);
    if (!not_an_address) {
        co_return std::vector<tcp::endpoint>{{literal, port_number}};
    }
    auto pending = std::make_shared<PendingLookup>(io);
    pending->wake.expires_at(deadline);
    if (!start_lookup(host, pending)) {
        co_return transient("cannot resolve " + host + ": too many name lookups in flight");
    }
    co_await pending->wake.async_wait(use_tuple);
    if (!pending->answer) {
        co_return transient("cannot resolve " + host + ": timed out");
    }
    if (!*pending->answer) {
        co_return transient("cannot resolve " + host + ": " + pending->answer->error().message);
    }
    std::vector<tcp::endpoint> endpoints;
    for (const auto& text : **pending->answer) {
        boost::system::error_code ec;
        const auto address = asio::ip::make_address(text, ec);
        if (!ec) {
            endpoints.emplace_back(address, port_number);
        }
    }
    if (endpoints.empty()) {
        co_return transient("cannot resolve " + host + ": no address");
    }
    co_return endpoints;
}

asio::awaitable<std::optional<RefreshFailure>> HttpClient::Impl::tunnel(beast::tcp_stream& stream,
                                                                        const Target& t) {
    const std::string where = t.host.find(':') != std::string::npos ? "[" + t.host + "]:" + t.port
                                                                    : t.host + ":" + t.port;
    http::request<http::empty_body, WipingFields> connect{http::verb::connect, where, 11};
    connect.set(http::field::host, where);
    if (!options.proxy->authorization.empty()) {
        connect.set(http::field::proxy_authorization, options.proxy->authorization.expose());
    }
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
        co_return transient("proxy " + options.proxy->display + " refused CONNECT " + where +
                            ": HTTP " + std::to_string(parser.get().result_int()));
    }
    co_return std::nullopt;
}

template <class Stream>
asio::awaitable<HttpResult> HttpClient::Impl::send(Stream& stream, const HttpRequest& request,
                                                   const Target& t) {
    http::request<http::string_body, WipingFields> msg{
        request.get ? http::verb::get : http::verb::post, t.path, 11};
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
    WipingBuffer buffer;
    http::response_parser<WipingStringBody, WipingAllocator<char>> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(max_header_bytes);
    auto [rec, read] = co_await http::async_read(stream, buffer, parser, use_tuple);
    if (rec == http::error::body_limit || rec == http::error::header_limit) {
        co_return transient("token endpoint " + t.authority + ": answer larger than " +
                            std::to_string(options.max_response_bytes / 1024) + " KiB");
    }
    if (rec) {
        co_return transient("token endpoint " + t.authority + ": no answer: " + describe(rec));
    }
    auto& res = parser.get();
    HttpResponse out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = media_type(res[http::field::content_type]);
    if (const auto it = res.find(http::field::retry_after); it != res.end()) {
        out.retry_after = std::string(it->value());
    }
    // Copied out of the wiping string, which wipes its block when the parser goes.
    out.body.assign(res.body().data(), res.body().size());
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
    // Only https:// goes through HTTPS_PROXY; plain http is loopback (or allowed by the
    // credential) and goes direct.
    const bool via_proxy = t.https && options.proxy && !options.proxy->bypasses(t.host, t.port);
    Target hop = t;
    if (via_proxy) {
        hop.host = options.proxy->host;
        hop.port = options.proxy->port;
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
    // SNI for names; both names and addresses are checked against the certificate by
    // OpenSSL itself, so a mismatch reads "hostname mismatch" in the verify result.
    SSL* native = tls_stream.native_handle();
    boost::system::error_code not_an_address;
    asio::ip::make_address(t.host, not_an_address);
    if (not_an_address) {
        SSL_set_tlsext_host_name(native, t.host.c_str());
        SSL_set1_host(native, t.host.c_str());
    } else {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), t.host.c_str());
    }
    auto [hec] = co_await tls_stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (hec) {
        const long verify = SSL_get_verify_result(native);
        if (verify != X509_V_OK) {
            // Transient: the fix (a CA added to the trust store, the server's chain or
            // name corrected) happens outside the credential, and a retry finds it.
            co_return transient("token endpoint " + t.authority + ": certificate not accepted: " +
                                X509_verify_cert_error_string(verify) +
                                "; for a private CA start credd with --ca-file FILE");
        }
        co_return transient("token endpoint " + t.authority +
                            ": TLS handshake failed: " + describe(hec));
    }
    co_return co_await send(tls_stream, request, t);
}

} // namespace credd
