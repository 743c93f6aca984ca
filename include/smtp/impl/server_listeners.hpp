#ifndef SMTP_IMPL_SERVER_LISTENERS_HPP
#define SMTP_IMPL_SERVER_LISTENERS_HPP

// The server's listeners: TCP (alone, or shared by several threads with SO_REUSEPORT) and
// UNIX-domain sockets, and the loop that accepts on each and starts a session per connection.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smtp {

namespace detail {

/// A way to set SO_REUSEPORT without Asio's detail namespace showing in the server.
using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

/// Whether a listener of ours already holds `endpoint` (the second and later listen_shared()).
template <class Acceptors>
bool port_is_ours(const boost::asio::ip::tcp::endpoint& endpoint, const Acceptors& acceptors) {
    for (const auto& a : acceptors) {
        boost::system::error_code ec;
        if (a->local_endpoint(ec) == endpoint && !ec) return true;
    }
    return false;
}

/// SO_REUSEPORT would let a second server bind a port another one (of the same user) serves.
/// A probe bound without it finds any listener there (theirs had to set SO_REUSEPORT too, so
/// the probe's bind fails), and a listener found is refused as `address_in_use`.
inline void refuse_port_in_use(const boost::asio::ip::tcp::endpoint& endpoint) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec == boost::asio::error::address_in_use) throw boost::system::system_error(ec, "bind");
}

/// Removes the socket file at `path` when no one listens on it (an earlier run's). Anything
/// else there is refused: a file that is no socket (`file_exists`), a socket a live server
/// answers on (`address_in_use`).
inline void remove_stale_socket(const std::string& path) {
    struct ::stat status;
    if (::lstat(path.c_str(), &status) != 0) return; // nothing there: bind() tells the rest
    if (!S_ISSOCK(status.st_mode))
        throw boost::system::system_error(std::make_error_code(std::errc::file_exists).value(),
                                          boost::system::generic_category(), "listen_local");
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket probe(io);
    boost::system::error_code ec;
    probe.connect(boost::asio::local::stream_protocol::endpoint(path), ec);
    if (!ec) throw boost::system::system_error(boost::asio::error::address_in_use, "listen_local");
    ::unlink(path.c_str());
}

} // namespace detail

template <class Handler, class AuthPolicy, class DecodePolicy>
server<Handler, AuthPolicy, DecodePolicy>::server(Handler handler, smtp::options opts)
    : handler_(std::move(handler)), opts_(std::move(opts)),
      hostname_(opts_.hostname.empty() ? boost::asio::ip::host_name() : opts_.hostname) {
    for (const auto& network : opts_.proxy_trusted)
        proxy_trusted_.emplace_back(network);
}

template <class Handler, class AuthPolicy, class DecodePolicy>
server<Handler, AuthPolicy, DecodePolicy>::~server() {
    close();
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::ip::tcp::endpoint
server<Handler, AuthPolicy, DecodePolicy>::listen(const boost::asio::any_io_executor& executor,
                                                  const boost::asio::ip::tcp::endpoint& endpoint,
                                                  bool implicit_tls) {
    return listen_tcp(executor, endpoint, implicit_tls, false);
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::ip::tcp::endpoint server<Handler, AuthPolicy, DecodePolicy>::listen_shared(
    const boost::asio::any_io_executor& executor, const boost::asio::ip::tcp::endpoint& endpoint,
    bool implicit_tls) {
    return listen_tcp(executor, endpoint, implicit_tls, true);
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::ip::tcp::endpoint server<Handler, AuthPolicy, DecodePolicy>::listen_tcp(
    const boost::asio::any_io_executor& executor, const boost::asio::ip::tcp::endpoint& endpoint,
    bool implicit_tls, bool reuse_port) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument("smtp::server::listen: implicit TLS needs options().tls");
    if (reuse_port && endpoint.port() != 0 && !detail::port_is_ours(endpoint, acceptors_))
        detail::refuse_port_in_use(endpoint);
    auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(executor);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(boost::asio::socket_base::reuse_address(true));
    if (reuse_port) acceptor->set_option(detail::reuse_port(true));
    acceptor->bind(endpoint);
    acceptor->listen(boost::asio::socket_base::max_listen_connections);
    auto bound = acceptor->local_endpoint();
    auto& ref = *acceptor;
    auto registry = registry_for(executor);
    {
        std::lock_guard lock(registries_mutex_);
        acceptors_.push_back(std::move(acceptor));
    }
    boost::asio::co_spawn(executor, accept_loop(ref, implicit_tls, std::move(registry)),
                          [](std::exception_ptr e) {
                              // a bug in the accept loop must not pass unseen
                              if (e) std::rethrow_exception(e);
                          });
    return bound;
}

template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::listen_local(
    const boost::asio::any_io_executor& executor, const std::string& path, bool implicit_tls) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument("smtp::server::listen_local: implicit TLS needs options().tls");
    detail::remove_stale_socket(path); // one left by an earlier run would make bind fail
    auto acceptor = std::make_unique<boost::asio::local::stream_protocol::acceptor>(
        executor, boost::asio::local::stream_protocol::endpoint(path));
    auto& ref = *acceptor;
    auto registry = registry_for(executor);
    {
        std::lock_guard lock(registries_mutex_);
        local_acceptors_.push_back(std::move(acceptor));
        local_paths_.push_back(path);
    }
    boost::asio::co_spawn(executor, accept_loop(ref, implicit_tls, std::move(registry)),
                          [](std::exception_ptr e) {
                              if (e) std::rethrow_exception(e);
                          });
}

template <class Handler, class AuthPolicy, class DecodePolicy>
std::shared_ptr<detail::session_registry> server<Handler, AuthPolicy, DecodePolicy>::registry_for(
    const boost::asio::any_io_executor& executor) {
    std::lock_guard lock(registries_mutex_);
    // Registries of executors gone (a controller started again) are dropped once unused.
    std::erase_if(registries_, [](const auto& r) { return r.use_count() == 1; });
    for (const auto& r : registries_)
        if (r->executor() == executor) return r;
    return registries_.emplace_back(std::make_shared<detail::session_registry>(executor));
}

template <class Handler, class AuthPolicy, class DecodePolicy>
template <class Acceptor>
boost::asio::awaitable<void> server<Handler, AuthPolicy, DecodePolicy>::accept_loop(
    Acceptor& acceptor, bool implicit_tls, std::shared_ptr<detail::session_registry> registry) {
    auto executor = acceptor.get_executor();
    for (;;) {
        connection::socket_type socket(executor);
        auto [ec] = co_await acceptor.async_accept(
            socket, boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec == boost::asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            // Out of descriptors or the like: back off briefly instead of spinning.
            boost::asio::steady_timer pause(executor, std::chrono::milliseconds(50));
            co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            continue;
        }
        boost::asio::co_spawn(
            executor, serve_registered(std::move(socket), implicit_tls, registry),
            [](std::exception_ptr e) {
                // serve() catches what hooks throw; anything else is a bug worth hearing about.
                if (!e) return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& error) {
                    std::fprintf(stderr, "smtp: session ended by an exception: %s\n", error.what());
                } catch (...) {
                    std::fprintf(stderr, "smtp: session ended by an unknown exception\n");
                }
            });
    }
}

} // namespace smtp

#endif
