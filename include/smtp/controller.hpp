#ifndef SMTP_CONTROLLER_HPP
#define SMTP_CONTROLLER_HPP

#include <smtp/options.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

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

/// Runs a server on a thread of its own (aiosmtpd's `Controller`).
///
/// `start()` binds and returns once clients can connect (a bind error is thrown from it; no
/// trigger connection is made, so handlers see only real clients). `stop()` closes the listener
/// and every session and joins the thread; it is idempotent, and the controller can be started
/// again afterwards.
///
/// \code
/// using sink_server = smtp::server<smtp::handlers::sink>;
/// smtp::controller<sink_server> c{{}, {.hostname = "mx.test"}, {"127.0.0.1", 0}};
/// c.start();
/// std::uint16_t port = c.port();
/// ...
/// c.stop();
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
        if (thread_.joinable()) throw std::logic_error("smtp::controller already started");
        io_ = std::make_unique<boost::asio::io_context>(1);
        try {
            if (where_.host.starts_with("unix:"))
                server_.listen_local(io_->get_executor(), where_.host.substr(5),
                                     where_.implicit_tls);
            else
                endpoint_ = server_.listen(io_->get_executor(), resolve_listen_address(where_),
                                           where_.implicit_tls);
        } catch (...) {
            server_.close();
            io_.reset();
            throw;
        }
        thread_ = std::thread([io = io_.get()] {
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

    /// Stops serving: closes the listener, ends every session and joins the thread.
    void stop() noexcept {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) return;
        io_->stop();
        thread_.join();
        server_.close();
        io_.reset(); // destroys the sessions still suspended in it, closing their sockets
    }

    /// Between start() and stop().
    bool running() const noexcept { return thread_.joinable(); }
    /// The bound endpoint (after start()).
    boost::asio::ip::tcp::endpoint endpoint() const noexcept { return endpoint_; }
    /// The bound port (after start()).
    std::uint16_t port() const noexcept { return endpoint_.port(); }
    /// The server it runs.
    Server& server() noexcept { return server_; }
    /// The server's handler (shared by every connection).
    handler_type& handler() noexcept { return server_.handler(); }

private:
    Server server_;
    listen_address where_;
    std::mutex mutex_;
    std::unique_ptr<boost::asio::io_context> io_;
    std::thread thread_;
    boost::asio::ip::tcp::endpoint endpoint_;
};

} // namespace smtp

#endif
