#ifndef SMTP_IMPL_SERVER_LISTEN_NATIVE_HPP
#define SMTP_IMPL_SERVER_LISTEN_NATIVE_HPP

// Listening on a socket the server did not bind: one handed over by systemd (socket
// activation), or by any parent process.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <stdexcept>
#include <sys/socket.h>

namespace smtp {

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::ip::tcp::endpoint server<Handler, AuthPolicy, DecodePolicy>::listen_native(
    const boost::asio::any_io_executor& executor, int native, bool implicit_tls) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument(
            "smtp::server::listen_native: implicit TLS needs options().tls");
    int type = 0, listening = 0;
    ::socklen_t size = sizeof type;
    ::sockaddr_storage address{};
    ::socklen_t address_size = sizeof address;
    bool usable =
        ::getsockopt(native, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM &&
        (size = sizeof listening,
         ::getsockopt(native, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0) &&
        listening != 0 &&
        ::getsockname(native, reinterpret_cast<::sockaddr*>(&address), &address_size) == 0;
    if (!usable)
        throw std::invalid_argument("smtp::server::listen_native: descriptor " +
                                    std::to_string(native) + " is not a listening stream socket");
    auto registry = registry_for(executor);
    if (address.ss_family == AF_UNIX) {
        auto acceptor = std::make_unique<boost::asio::local::stream_protocol::acceptor>(executor);
        acceptor->assign(boost::asio::local::stream_protocol(), native);
        auto& ref = *acceptor;
        {
            std::lock_guard lock(registries_mutex_);
            local_acceptors_.push_back(std::move(acceptor)); // no path: the file is not ours
        }
        boost::asio::co_spawn(executor, accept_loop(ref, implicit_tls, std::move(registry)),
                              [](std::exception_ptr e) {
                                  if (e) std::rethrow_exception(e);
                              });
        return {};
    }
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6)
        throw std::invalid_argument("smtp::server::listen_native: descriptor " +
                                    std::to_string(native) + " is neither TCP nor UNIX");
    auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(executor);
    acceptor->assign(address.ss_family == AF_INET ? boost::asio::ip::tcp::v4()
                                                  : boost::asio::ip::tcp::v6(),
                     native);
    auto bound = acceptor->local_endpoint();
    auto& ref = *acceptor;
    {
        std::lock_guard lock(registries_mutex_);
        acceptors_.push_back(std::move(acceptor));
    }
    boost::asio::co_spawn(executor, accept_loop(ref, implicit_tls, std::move(registry)),
                          [](std::exception_ptr e) {
                              if (e) std::rethrow_exception(e);
                          });
    return bound;
}

} // namespace smtp

#endif
