#ifndef SMTP_CONTROLLER_HPP
#define SMTP_CONTROLLER_HPP

#include <smtp/options.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
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
};

/// Resolves a listen_address to the endpoint to bind.
inline boost::asio::ip::tcp::endpoint resolve_listen_address(const listen_address& where) {
    if (where.host.empty()) return {boost::asio::ip::address_v6::any(), where.port};
    if (where.host == "localhost") return {boost::asio::ip::address_v4::loopback(), where.port};
    return {boost::asio::ip::make_address(where.host), where.port};
}

/// Runs a server on threads of its own (aiosmtpd's `Controller`).
///
/// `start()` binds and returns once clients can connect (a bind error is thrown from it; no
/// trigger connection is made, so handlers see only real clients). With `options::threads` N
/// (default 1; 0: one per core) it runs N threads, each with its own io_context and its own
/// listener on the shared port (SO_REUSEPORT), so connections spread over the threads without a
/// shared lock; a session stays on the thread that accepted it. A UNIX socket is served by the
/// first thread alone. The handler is shared by all threads (docs/threads.md).
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

    /// Binds and starts serving. Throws `boost::system::system_error` if binding fails, and
    /// `std::logic_error` if already started.
    void start() {
        std::lock_guard lock(mutex_);
        if (!threads_.empty()) throw std::logic_error("smtp::controller already started");
        std::size_t count = server_.options().threads;
        if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
        for (std::size_t i = 0; i < count; ++i)
            ios_.push_back(std::make_unique<boost::asio::io_context>(1));
        try {
            if (where_.host.starts_with("unix:")) {
                server_.listen_local(ios_.front()->get_executor(), where_.host.substr(5),
                                     where_.implicit_tls);
            } else if (count == 1) {
                endpoint_ = server_.listen(ios_.front()->get_executor(),
                                           resolve_listen_address(where_), where_.implicit_tls);
            } else {
                // The first listener may pick the port (0); the others share the one it got.
                endpoint_ =
                    server_.listen_shared(ios_.front()->get_executor(),
                                          resolve_listen_address(where_), where_.implicit_tls);
                for (std::size_t i = 1; i < count; ++i)
                    server_.listen_shared(ios_[i]->get_executor(), endpoint_, where_.implicit_tls);
            }
        } catch (...) {
            server_.close();
            ios_.clear();
            throw;
        }
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
        if (threads_.empty()) return true;
        server_.shutdown();
        bool drained = server_.wait_for_sessions(std::chrono::steady_clock::now() + grace);
        stop_now();
        return drained;
    }

    /// Between start() and stop().
    bool running() const noexcept { return !threads_.empty(); }
    /// The bound endpoint (after start()).
    boost::asio::ip::tcp::endpoint endpoint() const noexcept { return endpoint_; }
    /// The bound port (after start()).
    std::uint16_t port() const noexcept { return endpoint_.port(); }
    /// Threads serving (after start()).
    std::size_t thread_count() const noexcept { return threads_.size(); }
    /// The server it runs.
    Server& server() noexcept { return server_; }
    /// The server's handler (shared by every connection).
    handler_type& handler() noexcept { return server_.handler(); }

private:
    void stop_now() noexcept {
        if (threads_.empty()) return;
        for (auto& io : ios_)
            io->stop();
        for (auto& thread : threads_)
            thread.join();
        threads_.clear();
        server_.close();
        ios_.clear(); // destroys the sessions still suspended in them, closing their sockets
        server_.reset_shutdown();
    }

    Server server_;
    listen_address where_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<boost::asio::io_context>> ios_;
    std::vector<std::thread> threads_;
    boost::asio::ip::tcp::endpoint endpoint_;
};

} // namespace smtp

#endif
