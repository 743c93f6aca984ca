#ifndef SMTP_DETAIL_LOCAL_ADDRESS_HPP
#define SMTP_DETAIL_LOCAL_ADDRESS_HPP

#include <smtp/session.hpp>

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <cstring>
#include <sys/socket.h>

namespace smtp::detail {

/// The server's own address on an accepted socket (`session.local`): the address and port the
/// client connected to; an empty TCP address for a UNIX socket.
inline peer_address local_address_of(const boost::asio::generic::stream_protocol::socket& socket) {
    peer_address local;
    boost::system::error_code ec;
    auto endpoint = socket.local_endpoint(ec);
    if (ec) return local;
    const auto* sa = endpoint.data();
    if (sa->sa_family == AF_UNIX) {
        local.family = peer_address::family_type::local;
        return local;
    }
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) return local;
    boost::asio::ip::tcp::endpoint ip;
    std::memcpy(ip.data(), sa, std::min<std::size_t>(endpoint.size(), ip.capacity()));
    ip.resize(endpoint.size());
    auto address = ip.address();
    // A dual-stack listener sees an IPv4 client's destination as ::ffff:a.b.c.d.
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
    local.family =
        address.is_v4() ? peer_address::family_type::ipv4 : peer_address::family_type::ipv6;
    local.host = address.to_string();
    local.port = ip.port();
    return local;
}

} // namespace smtp::detail

#endif
