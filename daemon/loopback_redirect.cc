// LoopbackRedirect: an Asio acceptor and a minimal HTTP/1.1 request-line reader.
#include "loopback_redirect.hh"

#include <chrono>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace credd {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t max_head_bytes = 8 * 1024;
constexpr std::chrono::seconds read_timeout{10};
// A browser opens one or two connections; any local process can open more, and each
// would hold an fd of the daemon for read_timeout. Beyond this many, new ones are closed.
constexpr std::size_t max_connections = 8;

std::string status_text(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    default:
        return "Error";
    }
}

} // namespace

struct LoopbackRedirect::Impl : std::enable_shared_from_this<LoopbackRedirect::Impl> {
    explicit Impl(asio::io_context& io, Handler h) : io(io), acceptor(io), handler(std::move(h)) {}

    struct Connection {
        explicit Connection(asio::io_context& io) : socket(io), timer(io), buffer(max_head_bytes) {}
        tcp::socket socket;
        asio::steady_timer timer;
        asio::streambuf buffer;
        std::string reply;
        bool writing = false; // a page on its way out is not cut off by close()
    };

    void accept() {
        if (closed) {
            return;
        }
        auto c = std::make_shared<Connection>(io);
        acceptor.async_accept(c->socket,
                              [self = shared_from_this(), c](const boost::system::error_code& ec) {
                                  if (self->closed) {
                                      return;
                                  }
                                  if (!ec && self->connections.size() < max_connections) {
                                      self->serve(c);
                                  } else if (!ec) {
                                      boost::system::error_code ignored;
                                      c->socket.close(ignored);
                                  }
                                  self->accept();
                              });
    }

    void serve(const std::shared_ptr<Connection>& c) {
        connections.push_back(c);
        c->timer.expires_after(read_timeout);
        c->timer.async_wait([c](const boost::system::error_code& ec) {
            if (!ec) {
                boost::system::error_code ignored;
                c->socket.close(ignored);
            }
        });
        asio::async_read_until(
            c->socket, c->buffer, "\r\n\r\n",
            [self = shared_from_this(), c](const boost::system::error_code& ec, std::size_t) {
                if (ec || self->closed) {
                    return self->drop(c);
                }
                std::string head(asio::buffers_begin(c->buffer.data()),
                                 asio::buffers_end(c->buffer.data()));
                self->answer(c, head);
            });
    }

    void answer(const std::shared_ptr<Connection>& c, const std::string& head) {
        // "GET /callback?code=…&state=… HTTP/1.1"
        const auto line_end = head.find("\r\n");
        const std::string line = head.substr(0, line_end);
        const auto sp1 = line.find(' ');
        const auto sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
        RedirectAnswer a{400, "<!DOCTYPE html><title>Bad request</title><p>Bad request.</p>",
                         false};
        if (sp2 != std::string::npos && line.compare(0, sp1, "GET") == 0 &&
            line.compare(sp2 + 1, 7, "HTTP/1.") == 0) {
            const Handler h = handler; // close() may run inside it
            if (h) {
                a = h(line.substr(sp1 + 1, sp2 - sp1 - 1));
            }
        }
        c->reply = "HTTP/1.1 " + std::to_string(a.status) + " " + status_text(a.status) +
                   "\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: " +
                   std::to_string(a.html.size()) +
                   "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n" + a.html;
        if (a.done) {
            closed = true;
            boost::system::error_code ignored;
            acceptor.close(ignored);
        }
        c->writing = true;
        asio::async_write(c->socket, asio::buffer(c->reply),
                          [self = shared_from_this(), c](const boost::system::error_code&,
                                                         std::size_t) { self->drop(c); });
    }

    void drop(const std::shared_ptr<Connection>& c) {
        boost::system::error_code ignored;
        c->timer.cancel();
        c->socket.shutdown(tcp::socket::shutdown_both, ignored);
        c->socket.close(ignored);
        std::erase(connections, c);
    }

    void close() {
        closed = true;
        handler = nullptr;
        boost::system::error_code ignored;
        acceptor.close(ignored);
        for (auto& c : connections) {
            if (!c->writing) {
                c->timer.cancel();
                c->socket.close(ignored);
            }
        }
    }

    asio::io_context& io;
    tcp::acceptor acceptor;
    Handler handler;
    bool closed = false;
    std::vector<std::shared_ptr<Connection>> connections;
};

Result<std::shared_ptr<LoopbackRedirect>> LoopbackRedirect::open(asio::io_context& io,
                                                                 Handler handler) {
    auto impl = std::make_shared<Impl>(io, std::move(handler));
    boost::system::error_code ec;
    const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), 0);
    impl->acceptor.open(at.protocol(), ec);
    if (!ec) {
        impl->acceptor.bind(at, ec);
    }
    if (!ec) {
        impl->acceptor.listen(4, ec);
    }
    if (ec) {
        return make_error(Errc::io_error,
                          "login: cannot listen on 127.0.0.1 for the redirect: " + ec.message(),
                          "log in without the listener: cred login NAME --no-browser");
    }
    impl->accept();
    return std::shared_ptr<LoopbackRedirect>(new LoopbackRedirect(std::move(impl)));
}

LoopbackRedirect::~LoopbackRedirect() {
    m_impl->close();
}

std::uint16_t LoopbackRedirect::port() const {
    boost::system::error_code ec;
    const auto at = m_impl->acceptor.local_endpoint(ec);
    return ec ? 0 : at.port();
}

void LoopbackRedirect::close() {
    m_impl->close();
}

std::uint16_t pick_loopback_port(asio::io_context& io) {
    tcp::acceptor a(io);
    boost::system::error_code ec;
    const tcp::endpoint at(asio::ip::make_address_v4("127.0.0.1"), 0);
    a.open(at.protocol(), ec);
    if (!ec) {
        a.bind(at, ec);
    }
    if (ec) {
        return 0;
    }
    const auto bound = a.local_endpoint(ec);
    return ec ? 0 : bound.port();
}

} // namespace credd
