#ifndef SMTP_IMPL_CONTROLLER_IPP
#define SMTP_IMPL_CONTROLLER_IPP

// The definitions of smtp/controller.hpp's functions that are not templates (SMTP_DECL):
// compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/controller.hpp>

namespace smtp {

SMTP_DECL std::vector<boost::asio::ip::tcp::endpoint>
listen_endpoints(const listen_address& where) {
    namespace ip = boost::asio::ip;
    boost::asio::io_context io;
    boost::system::error_code ec;
    auto has_ipv6 = [&](const ip::address_v6& address) {
        ip::tcp::socket probe(io);
        probe.open(ip::tcp::v6(), ec);
        if (!ec) probe.bind({address, 0}, ec);
        return !ec;
    };
    if (where.host.empty())
        return {{has_ipv6(ip::address_v6::any()) ? ip::address(ip::address_v6::any())
                                                 : ip::address(ip::address_v4::any()),
                 where.port}};
    auto address = ip::make_address(where.host, ec);
    if (!ec) return {{address, where.port}};
    if (where.host == "localhost") {
        std::vector<ip::tcp::endpoint> loopback{{ip::address_v4::loopback(), where.port}};
        if (has_ipv6(ip::address_v6::loopback()))
            loopback.emplace_back(ip::address_v6::loopback(), where.port);
        return loopback;
    }
    ip::tcp::resolver resolver(io);
    auto results =
        resolver.resolve(where.host, std::to_string(where.port),
                         ip::tcp::resolver::passive | ip::tcp::resolver::numeric_service);
    std::vector<ip::tcp::endpoint> endpoints;
    for (const auto& entry : results)
        if (std::find(endpoints.begin(), endpoints.end(), entry.endpoint()) == endpoints.end())
            endpoints.push_back(entry.endpoint());
    return endpoints;
}

} // namespace smtp

#endif
