// Listener: socket hygiene, peer checks and the accept loop.
#include "listener.hh"

#include <cerrno>
#include <cstring>
#include <utility>

#include <boost/asio/socket_base.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "paths.hh"
#include "private_dir.hh"
#include "protocol.hh"
#include "session.hh"

namespace credd {

namespace asio = boost::asio;
using asio::local::stream_protocol;

namespace {

constexpr std::chrono::milliseconds first_backoff{50};
constexpr std::chrono::milliseconds max_backoff{1000};
constexpr std::chrono::milliseconds write_timeout{10'000};
// Bounds the work one wakeup of the listener does, so a connection flood cannot
// starve the sessions already open.
constexpr int max_accepts_per_wakeup = 64;

std::string errno_text(int err) {
    return std::strerror(err);
}

// What connect() to the socket at `path` answers: 0 when something accepts connections
// there, else the errno. A non-blocking connect, so a full backlog (EAGAIN) answers at
// once instead of waiting; it means a listener too.
int probe_socket(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return errno;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    const int err = rc == 0 ? 0 : errno;
    ::close(fd);
    return err;
}

// The owner of an existing lock, for the message: it wrote its pid there.
std::string lock_holder(int fd) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) {
        return {};
    }
    std::string pid(buf, static_cast<std::size_t>(n));
    pid.erase(pid.find_last_not_of(" \n") + 1);
    return pid;
}

} // namespace

Listener::Listener(asio::io_context& io, ListenerOptions options)
    : m_io(io), m_options(std::move(options)), m_acceptor(io), m_backoff(io), m_uid(::geteuid()) {}

Listener::~Listener() {
    stop();
    if (m_options.activated_fd >= 0) {
        ::close(m_options.activated_fd);
    }
    if (m_lock_fd >= 0) {
        ::close(m_lock_fd);
    }
}

Result<void> Listener::open() {
    if (m_options.socket_path.size() >= sizeof(sockaddr_un::sun_path)) {
        return make_error(Errc::invalid_params,
                          "socket path " + m_options.socket_path + ": longer than " +
                              std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes",
                          "choose a shorter path with --socket");
    }
    if (auto dir = ensure_private_dir(paths::parent_of(m_options.socket_path)); !dir) {
        return make_error(dir.error().code, "socket directory " + dir.error().message,
                          dir.error().hint);
    }
    if (auto locked = lock(); !locked) {
        return locked;
    }
    return m_options.activated_fd >= 0 ? adopt() : bind();
}

// Socket activation: systemd bound the socket (SocketMode=0600 in its 0700
// DirectoryMode directory, checked above like our own) and holds a copy of it, so
// connections that arrive while credd is not running wait in its backlog.
Result<void> Listener::adopt() {
    m_acceptor.assign(stream_protocol(), m_options.activated_fd);
    m_options.activated_fd = -1; // the acceptor owns it now
    return {};
}

// One daemon per socket. The lock is taken before the socket is touched, so a socket
// file found afterwards is no other hand-started credd's; bind() still asks it whether
// anyone listens (systemd's credd.socket holds no lock) before replacing it.
Result<void> Listener::lock() {
    const std::string path = m_options.socket_path + ".lock";
    m_lock_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (m_lock_fd < 0) {
        return make_error(Errc::io_error, path + ": " + errno_text(errno));
    }
    if (::flock(m_lock_fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (err != EWOULDBLOCK) {
            return make_error(Errc::io_error, path + ": cannot lock: " + errno_text(err));
        }
        const std::string pid = lock_holder(m_lock_fd);
        return make_error(Errc::already_running,
                          "another credd" + (pid.empty() ? "" : " (pid " + pid + ")") +
                              " is already serving " + m_options.socket_path,
                          "use it (cred status), or stop it first" +
                              (pid.empty() ? std::string() : ": kill " + pid));
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_lock_fd, 0) != 0 ||
        ::pwrite(m_lock_fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        spdlog::warn("{}: cannot record our pid: {}", path, errno_text(errno));
    }
    return {};
}

Result<void> Listener::bind() {
    const std::string& path = m_options.socket_path;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            return make_error(Errc::unsafe_path, path + ": exists and is not a socket",
                              "move it away: mv '" + path + "' '" + path + ".old'");
        }
        // Our lock only says no other credd started by hand holds it; the socket may
        // still be served — by systemd's credd.socket while the service is idle, or by
        // anything else. Only one nobody listens on (ECONNREFUSED) is stale.
        if (const int err = probe_socket(path); err != ECONNREFUSED && err != ENOENT) {
            return make_error(
                Errc::already_running,
                path + ": something is already listening on it" +
                    (err == 0 ? std::string() : " (connect: " + errno_text(err) + ")") +
                    "; not replacing it",
                "use it (cred status): with credd.socket enabled, systemd starts credd on the "
                "first connection; or stop that first (systemctl --user stop credd.socket "
                "credd.service), or pass another --socket");
        }
        spdlog::info("replacing stale socket {}", path);
        ::unlink(path.c_str());
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return make_error(Errc::io_error, "socket: " + errno_text(errno));
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // umask, not chmod after bind: there is no moment when the socket is open to others.
    const mode_t old_umask = ::umask(077);
    const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    const int err = errno;
    ::umask(old_umask);
    if (rc != 0 || ::listen(fd, SOMAXCONN) != 0) {
        const int e = rc != 0 ? err : errno;
        ::close(fd);
        return make_error(Errc::io_error, path + ": cannot listen: " + errno_text(e));
    }
    m_acceptor.assign(stream_protocol(), fd);
    m_bound = true;
    return {};
}

void Listener::start(RpcContext& rpc) {
    m_rpc = &rpc;
    accept();
}

void Listener::stop(std::function<void()> on_drained) {
    if (m_stopped) {
        return;
    }
    m_stopped = true;
    m_on_drained = std::move(on_drained);
    boost::system::error_code ignored;
    m_backoff.cancel();
    m_acceptor.close(ignored);
    if (m_bound) {
        ::unlink(m_options.socket_path.c_str());
    }
    // drain() may close a session, which erases it from the set: iterate a copy.
    for (Session* s : std::unordered_set<Session*>(m_sessions)) {
        s->drain();
    }
    if (m_sessions.empty() && m_on_drained) {
        std::exchange(m_on_drained, nullptr)();
    }
}

void Listener::forget(Session* session) {
    m_sessions.erase(session);
    if (m_options.on_connections_changed) {
        m_options.on_connections_changed(m_sessions.size());
    }
    if (m_stopped && m_sessions.empty() && m_on_drained) {
        std::exchange(m_on_drained, nullptr)();
    }
}

void Listener::accept() {
    if (m_stopped) {
        return;
    }
    m_acceptor.async_wait(stream_protocol::acceptor::wait_read,
                          [this](const boost::system::error_code& ec) { on_readable(ec); });
}

// Takes the connections that are waiting, a bounded batch per wakeup. accept4 is used
// rather than Asio's accept so the descriptor is close-on-exec from its first moment:
// there is no window in which a child process could inherit it.
void Listener::on_readable(const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || m_stopped) {
        return;
    }
    for (int taken = 0; taken < max_accepts_per_wakeup; ++taken) {
        const int fd =
            ::accept4(m_acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            m_backoff_delay = std::chrono::milliseconds{0};
            serve(fd);
            continue;
        }
        const int err = errno;
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
            return back_off();
        }
        if (err == EAGAIN || err == EWOULDBLOCK) {
            break;
        }
        // ECONNABORTED, EINTR and friends: that client is gone; the next is unaffected.
        spdlog::debug("accept: {}", errno_text(err));
    }
    accept();
}

// Out of file descriptors: accepting again at once would fail again at once and spin
// the CPU. Wait, doubling up to a second, while existing sessions finish and free some.
void Listener::back_off() {
    if (m_backoff_delay.count() == 0) {
        spdlog::warn("accept: out of file descriptors; pausing new connections");
        m_backoff_delay = first_backoff;
    } else {
        m_backoff_delay = std::min(m_backoff_delay * 2, max_backoff);
    }
    m_backoff.expires_after(m_backoff_delay);
    m_backoff.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            accept();
        }
    });
}

void Listener::serve(int fd) {
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
        spdlog::warn("connection refused: cannot read peer credentials: {}", errno_text(errno));
        ::close(fd);
        return;
    }
    // Only our own user may talk to us; anyone else gets no answer at all.
    if (peer.uid != m_uid) {
        spdlog::warn("connection refused: pid {} runs as uid {}, not uid {}", peer.pid, peer.uid,
                     m_uid);
        ::close(fd);
        return;
    }
    if (m_sessions.size() >= m_options.max_connections) {
        spdlog::warn("connection refused: pid {}: {} connections already open", peer.pid,
                     m_sessions.size());
        std::string line;
        protocol::append_error_line(
            line, nullptr,
            make_error(Errc::too_many_connections, "too many connections open; try again later"));
        // Best effort and never blocking: the client may not be reading.
        [[maybe_unused]] auto n = ::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        ::close(fd);
        return;
    }
    stream_protocol::socket socket(m_io);
    socket.assign(stream_protocol(), fd);
    auto session = std::make_shared<Session>(
        std::move(socket), PeerIdentity{peer.pid, peer.uid}, *m_rpc,
        SessionOptions{m_options.idle_timeout, write_timeout, [this](Session* s) { forget(s); }});
    m_sessions.insert(session.get());
    if (m_options.on_connections_changed) {
        m_options.on_connections_changed(m_sessions.size());
    }
    session->start();
}

} // namespace credd
