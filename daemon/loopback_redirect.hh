// LoopbackRedirect: the one-shot HTTP listener on 127.0.0.1 that catches an authorization
// code login's redirect (RFC 8252 §7.3).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "error.hh"

namespace boost::asio {
class io_context;
}

namespace credd {

// What the handler answers the browser: a page, and whether the listener is done (the
// redirect came) or keeps waiting (a stray request: a favicon, a wrong path).
struct RedirectAnswer {
    int status = 200;
    std::string html;
    bool done = true;
};

// Owned by a login; lives on the I/O thread. Listens on 127.0.0.1 with a port the
// kernel picks, reads one request head per connection (at most 8 KiB, 10 s), hands the
// request-target of a GET to the handler and writes its page with Connection: close.
// Once the handler says done, or close() is called, it accepts nothing more.
class LoopbackRedirect {
public:
    using Handler = std::function<RedirectAnswer(const std::string& target)>;

    static Result<std::shared_ptr<LoopbackRedirect>> open(boost::asio::io_context& io,
                                                          Handler handler);
    ~LoopbackRedirect();
    LoopbackRedirect(const LoopbackRedirect&) = delete;
    LoopbackRedirect& operator=(const LoopbackRedirect&) = delete;

    std::uint16_t port() const;
    // Stops accepting and drops connections in progress; the handler is not called again.
    void close();

    struct Impl;

private:
    explicit LoopbackRedirect(std::shared_ptr<Impl> impl) : m_impl(std::move(impl)) {}
    std::shared_ptr<Impl> m_impl;
};

// A free 127.0.0.1 port, for a redirect URI nothing will listen on (login.complete with
// a pasted URL); 0 when none could be had.
std::uint16_t pick_loopback_port(boost::asio::io_context& io);

} // namespace credd
