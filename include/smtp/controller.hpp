#ifndef SMTP_CONTROLLER_HPP
#define SMTP_CONTROLLER_HPP

#include <smtp/detail/config.hpp>

#include <smtp/options.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace smtp {

/// Where a controller listens: a host (an IP address, "localhost" for 127.0.0.1, "" for every
/// address, or "unix:/path" for a UNIX domain socket) and a port (0 picks a free one; read it
/// back with `controller::port()`).
struct listen_address {
    /// An IP address, "localhost", "" (every address) or "unix:/path".
    std::string host = "127.0.0.1";
    /// The TCP port; 0 picks a free one.
    std::uint16_t port = 8025;
    /// TLS from the first byte (SMTPS); needs `options::tls`.
    bool implicit_tls = false;
    /// Sockets that already listen (systemd socket activation: smtp/systemd.hpp), served
    /// instead of binding `host` and `port`; the controller owns them from bind() on.
    std::vector<int> sockets = {};
};

/// The TCP endpoints a listen_address names: an IP address; all interfaces for "" (dual-stack
/// when the host has IPv6); 127.0.0.1 and, where the host has it, ::1 for "localhost" (without
/// asking a resolver: a bare container has no /etc/hosts); else every address the name resolves
/// to, as asyncio's create_server binds them.
SMTP_DECL std::vector<boost::asio::ip::tcp::endpoint> listen_endpoints(const listen_address& where);

namespace detail {
class server_base;

/// What a controller does whatever its server's Handler: the io_contexts and their threads, the
/// listeners, starting and stopping. It is not a template, so that it is compiled once
/// (impl/controller.ipp) rather than once per server type; it reaches the server through its
/// base, detail::server_base.
class controller_base {
public:
    controller_base(const controller_base&) = delete;
    controller_base& operator=(const controller_base&) = delete;

protected:
    explicit controller_base(listen_address where) : where_(std::move(where)) {}
    ~controller_base() = default; // the derived controller stops while its server is there
    /// The server to run, once the derived controller has made it.
    void run_server(server_base& server) noexcept { server_ = &server; }

    SMTP_DECL void bind();
    SMTP_DECL void start();
    SMTP_DECL void stop() noexcept;
    SMTP_DECL bool stop(std::chrono::steady_clock::duration grace) noexcept;
    bool running() const noexcept { return !threads_.empty(); }
    boost::asio::ip::tcp::endpoint endpoint() const noexcept {
        return endpoints_.empty() ? boost::asio::ip::tcp::endpoint{} : endpoints_.front();
    }
    const std::vector<boost::asio::ip::tcp::endpoint>& endpoints() const noexcept {
        return endpoints_;
    }
    std::size_t thread_count() const noexcept { return threads_.size(); }
    SMTP_DECL boost::asio::any_io_executor executor() const;

private:
    SMTP_DECL void bind_locked();
    SMTP_DECL void listen_addresses(std::size_t threads);
    SMTP_DECL void listen_inherited(std::size_t threads);
    SMTP_DECL void stop_now() noexcept;

    server_base* server_ = nullptr;
    listen_address where_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
    std::vector<std::thread> threads_;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
};
} // namespace detail

/// Runs a server on threads of its own (aiosmtpd's `Controller`).
///
/// `start()` binds and returns once clients can connect (a bind error is thrown from it; no
/// trigger connection is made, so handlers see only real clients). A program that must give up
/// root between binding port 25 and serving calls `bind()`, drops its privileges, then
/// `start()`. A host name is bound at each of its addresses (`listen_endpoints()`). With
/// `options::threads` N (default 1; 0: one per core) it runs N threads, each with its own
/// io_context and its own listener on the shared port (SO_REUSEPORT), so connections spread over
/// the threads without a shared lock; a session stays on the thread that accepted it. A UNIX socket
/// is served by the first thread alone. The handler is shared by all threads (docs/threads.md).
///
/// `stop()` closes the listeners and every session at once and joins the threads.
/// `stop(grace)` shuts down gracefully first (server::shutdown(): idle sessions get
/// `421 <hostname> Service shutting down`, transactions in flight finish) and waits up to
/// `grace` for the sessions to end. Both are idempotent, and the controller can be started
/// again afterwards.
///
/// \code
/// using sink_server = smtp::server<smtp::handlers::sink>;
/// smtp::controller<sink_server> c{{}, {.hostname = "mx.test"}, {"127.0.0.1", 0}};
/// c.start();
/// std::uint16_t port = c.port();
/// ...
/// c.stop(std::chrono::seconds(30));
/// \endcode
///
/// All but the construction of the server is detail::controller_base's, which is not a template.
template <class Server>
class controller : private detail::controller_base {
public:
    /// The `smtp::server` type it runs.
    using server_type = Server;
    /// The server's Handler.
    using handler_type = typename Server::handler_type;

    /// A stopped controller; start() binds `where` and serves.
    explicit controller(handler_type handler = handler_type{}, smtp::options opts = {},
                        listen_address where = {})
        : controller_base(std::move(where)), server_(std::move(handler), std::move(opts)) {
        run_server(server_); // (server is a friend: its base is private)
    }

    controller(const controller&) = delete;
    controller& operator=(const controller&) = delete;
    /// Stops (stop()) while the server is still there.
    ~controller() { stop(); }

    /// Binds the listeners without serving yet (start() serves). Throws
    /// `boost::system::system_error` if binding fails; does nothing when already bound.
    void bind() { controller_base::bind(); }

    /// Binds (unless bind() did) and starts serving. Throws `boost::system::system_error` if
    /// binding fails, and `std::logic_error` if already started.
    void start() { controller_base::start(); }

    /// Stops serving at once: closes the listeners, ends every session and joins the threads.
    void stop() noexcept { controller_base::stop(); }

    /// Stops serving gracefully: stops accepting, answers idle sessions with `421 <hostname>
    /// Service shutting down`, lets transactions in flight finish, and waits up to `grace` for
    /// every session to end; then does what stop() does with whatever is left. Returns true when
    /// every session had ended by itself.
    bool stop(std::chrono::steady_clock::duration grace) noexcept {
        return controller_base::stop(grace);
    }

    /// Between start() and stop().
    bool running() const noexcept { return controller_base::running(); }
    /// The (first) bound endpoint (after bind() or start()).
    boost::asio::ip::tcp::endpoint endpoint() const noexcept { return controller_base::endpoint(); }
    /// Every bound endpoint (after bind() or start()).
    const std::vector<boost::asio::ip::tcp::endpoint>& endpoints() const noexcept {
        return controller_base::endpoints();
    }
    /// The bound port (after bind() or start()).
    std::uint16_t port() const noexcept { return endpoint().port(); }
    /// Threads serving (after start()).
    std::size_t thread_count() const noexcept { return controller_base::thread_count(); }
    /// The server it runs.
    Server& server() noexcept { return server_; }
    /// The server's handler (shared by every connection).
    handler_type& handler() noexcept { return server_.handler(); }
    /// The executor of the first thread's io_context (after bind() or start()), for more work on
    /// the same threads: smtpd's `/metrics` endpoint.
    boost::asio::any_io_executor executor() const { return controller_base::executor(); }

private:
    Server server_;
};

} // namespace smtp

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/controller.ipp>
#endif

#endif
