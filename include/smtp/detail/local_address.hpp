#ifndef SMTP_DETAIL_LOCAL_ADDRESS_HPP
#define SMTP_DETAIL_LOCAL_ADDRESS_HPP

#include <smtp/session.hpp>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <cstring>
#include <sys/socket.h>

namespace smtp::detail {

/// One end of an accepted connection as a session shows it (`session.peer`, `session.local`):
/// an IPv4 or IPv6 address and port (an IPv4 client that a dual-stack listener saw as
/// ::ffff:a.b.c.d is IPv4), or a UNIX socket (family `local`, no host); nothing for another
/// family.
inline peer_address address_of(const boost::asio::generic::stream_protocol::endpoint& endpoint) {
    peer_address shown;
    const auto* sa = endpoint.data();
    if (sa->sa_family == AF_UNIX) {
        shown.family = peer_address::family_type::local;
        return shown;
    }
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) return shown;
    boost::asio::ip::tcp::endpoint ip;
    std::memcpy(ip.data(), sa, std::min<std::size_t>(endpoint.size(), ip.capacity()));
    ip.resize(endpoint.size());
    auto address = ip.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
    shown.family =
        address.is_v4() ? peer_address::family_type::ipv4 : peer_address::family_type::ipv6;
    shown.host = address.to_string();
    shown.port = ip.port();
    return shown;
}

/// The client's end of an accepted socket (`session.peer`); nothing when it is unknown.
inline peer_address peer_address_of(const boost::asio::generic::stream_protocol::socket& socket) {
    boost::system::error_code ec;
    auto endpoint = socket.remote_endpoint(ec);
    return ec ? peer_address{} : address_of(endpoint);
}

/// The server's own end of an accepted socket (`session.local`): the address and port the client
/// connected to; nothing when it is unknown.
inline peer_address local_address_of(const boost::asio::generic::stream_protocol::socket& socket) {
    boost::system::error_code ec;
    auto endpoint = socket.local_endpoint(ec);
    return ec ? peer_address{} : address_of(endpoint);
}

} // namespace smtp::detail

#endif
