#ifndef SMTP_CONTROLLER_HPP
#define SMTP_CONTROLLER_HPP

#include <smtp/detail/config.hpp>

#include <smtp/options.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
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
template <class Server>
class controller {
public:
    /// The `smtp::server` type it runs.
    using server_type = Server;
    /// The server's Handler.
    using handler_type = typename Server::handler_type;

    /// A stopped controller; start() binds `where` and serves.
    explicit controller(handler_type handler = handler_type{}, smtp::options opts = {},
                        listen_address where = {})
        : server_(std::move(handler), std::move(opts)), where_(std::move(where)) {}

    controller(const controller&) = delete;
    controller& operator=(const controller&) = delete;
    ~controller() { stop(); }

    /// Binds the listeners without serving yet (start() serves). Throws
    /// `boost::system::system_error` if binding fails; does nothing when already bound.
    void bind() {
        std::lock_guard lock(mutex_);
        bind_locked();
    }

    /// Binds (unless bind() did) and starts serving. Throws `boost::system::system_error` if
    /// binding fails, and `std::logic_error` if already started.
    void start() {
        std::lock_guard lock(mutex_);
        if (!threads_.empty()) throw std::logic_error("smtp::controller already started");
        bind_locked();
        for (auto& io : ios_)
            threads_.emplace_back([io = io.get()] {
                auto guard = boost::asio::make_work_guard(*io);
                for (;;) {
                    try {
                        io->run();
                        return;
                    } catch (const std::exception& e) {
                        std::fprintf(stderr, "smtp::controller: %s\n", e.what());
                    }
                }
            });
    }

    /// Stops serving at once: closes the listeners, ends every session and joins the threads.
    void stop() noexcept {
        std::lock_guard lock(mutex_);
        stop_now();
    }

    /// Stops serving gracefully: stops accepting, answers idle sessions with `421 <hostname>
    /// Service shutting down`, lets transactions in flight finish, and waits up to `grace` for
    /// every session to end; then does what stop() does with whatever is left. Returns true when
    /// every session had ended by itself.
    bool stop(std::chrono::steady_clock::duration grace) noexcept {
        std::lock_guard lock(mutex_);
        if (threads_.empty()) {
            stop_now(); // bound but never started
            return true;
        }
        server_.shutdown();
        bool drained = server_.wait_for_sessions(std::chrono::steady_clock::now() + grace);
        stop_now();
        return drained;
    }

    /// Between start() and stop().
    bool running() const noexcept { return !threads_.empty(); }
    /// The (first) bound endpoint (after bind() or start()).
    boost::asio::ip::tcp::endpoint endpoint() const noexcept {
        return endpoints_.empty() ? boost::asio::ip::tcp::endpoint{} : endpoints_.front();
    }
    /// Every bound endpoint (after bind() or start()).
    const std::vector<boost::asio::ip::tcp::endpoint>& endpoints() const noexcept {
        return endpoints_;
    }
    /// The bound port (after bind() or start()).
    std::uint16_t port() const noexcept { return endpoint().port(); }
    /// Threads serving (after start()).
    std::size_t thread_count() const noexcept { return threads_.size(); }
    /// The server it runs.
    Server& server() noexcept { return server_; }
    /// The server's handler (shared by every connection).
    handler_type& handler() noexcept { return server_.handler(); }
    /// The executor of the first thread's io_context (after bind() or start()), for more work on
    /// the same threads: smtpd's `/metrics` endpoint.
    boost::asio::any_io_executor executor() const { return ios_.front()->get_executor(); }

private:
    // N io_contexts, and on each a listener: the one UNIX socket on the first; one listener per
    // endpoint on each, sharing the port with SO_REUSEPORT when there are several threads.
    void bind_locked() {
        if (!ios_.empty()) return;
        std::size_t count = server_.options().threads;
        if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
        for (std::size_t i = 0; i < count; ++i)
            ios_.push_back(std::make_unique<boost::asio::io_context>(1));
        try {
            if (!where_.sockets.empty()) {
                listen_inherited(count);
                return;
            }
            if (where_.host.starts_with("unix:")) {
                server_.listen_local(ios_.front()->get_executor(), where_.host.substr(5),
                                     where_.implicit_tls);
                return;
            }
            auto listen_on = [&](boost::asio::io_context& io,
                                 const boost::asio::ip::tcp::endpoint& at) {
                return count == 1
                           ? server_.listen(io.get_executor(), at, where_.implicit_tls)
                           : server_.listen_shared(io.get_executor(), at, where_.implicit_tls);
            };
            std::optional<boost::system::system_error> skipped;
            for (auto at : listen_endpoints(where_)) {
                // Port 0: the first listener picks the port, the others take the same one.
                if (at.port() == 0 && !endpoints_.empty()) at.port(endpoints_.front().port());
                try {
                    endpoints_.push_back(listen_on(*ios_.front(), at));
                } catch (const boost::system::system_error& e) {
                    // An address the host lacks is skipped when another one is bound.
                    if (!missing_address(e.code())) throw;
                    if (!skipped) skipped = e;
                }
            }
            if (endpoints_.empty() && skipped) throw *skipped;
            for (std::size_t i = 1; i < count; ++i)
                for (const auto& at : endpoints_)
                    listen_on(*ios_[i], at);
        } catch (...) {
            server_.close();
            ios_.clear();
            endpoints_.clear();
            throw;
        }
    }

    // Each inherited socket on every thread: the first thread takes the descriptor itself, the
    // others a duplicate of it (each io_context needs its own acceptor).
    void listen_inherited(std::size_t threads) {
        for (std::size_t i = 0; i < threads; ++i)
            for (int socket : where_.sockets) {
                int mine = i == 0 ? socket : ::fcntl(socket, F_DUPFD_CLOEXEC, 3);
                if (mine < 0)
                    throw boost::system::system_error(errno, boost::system::system_category(),
                                                      "dup");
                auto at = server_.listen_native(ios_[i]->get_executor(), mine, where_.implicit_tls);
                if (i == 0 && at.port() != 0) endpoints_.push_back(at);
            }
    }

    static bool missing_address(const boost::system::error_code& ec) {
        return ec == boost::asio::error::address_family_not_supported ||
               ec == boost::system::errc::address_not_available;
    }

    void stop_now() noexcept {
        if (ios_.empty()) return;
        for (auto& io : ios_)
            io->stop();
        for (auto& thread : threads_)
            thread.join();
        threads_.clear();
        server_.close();
        ios_.clear(); // destroys the sessions still suspended in them, closing their sockets
        endpoints_.clear();
        server_.reset_shutdown();
    }

    Server server_;
    listen_address where_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
    std::vector<std::thread> threads_;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
};

} // namespace smtp

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/controller.ipp>
#endif

#endif
