#ifndef SMTP_CLI_LISTEN_HPP
#define SMTP_CLI_LISTEN_HPP

#include <smtp/controller.hpp>
#include <smtp/usage_error.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

/// \file
/// Where `-l` listens: `parse_listen()` for its `[HOST][:PORT]`, and (in detail) the endpoints
/// a host names and the binding of all of them.
namespace smtp::cli {

/// Parses `-l`'s `[HOST][:PORT]` as aiosmtpd does: split at the last colon (`foo` →
/// foo:8025, `:25` → localhost:25, `::0:25` → ::0 port 25; an empty HOST before no colon means
/// every interface); also takes `[::1]:25`. Throws `smtp::usage_error("Invalid port number: <x>")`
/// for a port that is not a number in 0–65535, and `smtp::usage_error("Invalid listen address:
/// <spec>")` for text after a `]` that is not `:PORT`.
inline listen_address parse_listen(std::string_view spec);

} // namespace smtp::cli

namespace smtp::cli {

inline listen_address parse_listen(std::string_view spec) {
    constexpr std::uint16_t default_port = 8025;
    constexpr std::string_view default_host = "localhost";
    if (spec.starts_with("unix:")) { // a UNIX domain socket (not in aiosmtpd's CLI)
        if (spec.size() == 5) throw usage_error("Invalid listen address: " + std::string(spec));
        return listen_address{std::string(spec), 0};
    }
    std::string_view host, port;
    bool has_port = false;
    if (spec.starts_with('[') && spec.find(']') != std::string_view::npos) {
        // "[::1]:25": the brackets say where an IPv6 address ends (not in aiosmtpd).
        std::size_t close = spec.find(']');
        host = spec.substr(1, close - 1);
        std::string_view rest = spec.substr(close + 1);
        if (!rest.empty() && rest[0] != ':')
            throw usage_error("Invalid listen address: " + std::string(spec));
        has_port = !rest.empty();
        if (has_port) port = rest.substr(1);
    } else {
        // aiosmtpd's rpartition(":"): "::0:25" is ::0 port 25; a bare IPv6 address mis-splits.
        std::size_t colon = spec.rfind(':');
        if (colon == std::string_view::npos) {
            host = spec;
        } else {
            host = spec.substr(0, colon);
            port = spec.substr(colon + 1);
            has_port = true;
            if (host.empty()) host = default_host;
        }
    }
    listen_address where{std::string(host), default_port};
    if (has_port && !port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
            throw usage_error("Invalid port number: " + std::string(port));
        where.port = static_cast<std::uint16_t>(value);
    }
    return where;
}

} // namespace smtp::cli

namespace smtp::cli::detail {

inline bool is_missing_address(const boost::system::error_code& ec) {
    return ec == boost::asio::error::address_family_not_supported ||
           ec == boost::system::errc::address_not_available;
}

/// The endpoints `-l` names: an IP address; every address a host name resolves to (as
/// asyncio's create_server); all interfaces for "" (dual-stack when the host has IPv6).
inline std::vector<boost::asio::ip::tcp::endpoint> listen_endpoints(boost::asio::io_context& io,
                                                                    const listen_address& where) {
    namespace ip = boost::asio::ip;
    boost::system::error_code ec;
    if (where.host.empty()) {
        ip::tcp::socket probe(io);
        probe.open(ip::tcp::v6(), ec);
        if (ec) return {{ip::address_v4::any(), where.port}};
        return {{ip::address_v6::any(), where.port}};
    }
    auto address = ip::make_address(where.host, ec);
    if (!ec) return {{address, where.port}};
    if (where.host == "localhost") {
        // The loopback addresses themselves: "localhost" must work on a machine whose resolver
        // does not know it (a bare container or chroot has no /etc/hosts).
        std::vector<ip::tcp::endpoint> loopback{{ip::address_v4::loopback(), where.port}};
        ip::tcp::socket probe(io);
        probe.open(ip::tcp::v6(), ec);
        if (!ec) probe.bind({ip::address_v6::loopback(), 0}, ec);
        if (!ec) loopback.emplace_back(ip::address_v6::loopback(), where.port);
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

/// Binds every endpoint with `bind_one`; throws the first real error. An address the machine
/// lacks (::1 for "localhost" on a host without IPv6) is skipped if another one is bound.
template <class BindOne>
std::vector<boost::asio::ip::tcp::endpoint>
bind_all(const std::vector<boost::asio::ip::tcp::endpoint>& endpoints, BindOne&& bind_one) {
    std::vector<boost::asio::ip::tcp::endpoint> bound;
    std::optional<boost::system::system_error> skipped;
    for (const auto& endpoint : endpoints) {
        try {
            bound.push_back(bind_one(endpoint));
        } catch (const boost::system::system_error& e) {
            if (!is_missing_address(e.code())) throw;
            if (!skipped) skipped = e;
        }
    }
    if (bound.empty() && skipped) throw *skipped;
    return bound;
}

/// `host:port` for messages, with an IPv6 address in brackets: `[::1]:25`.
inline std::string host_port(std::string_view host, std::uint16_t port) {
    std::string out;
    if (host.find(':') != std::string_view::npos)
        out.append("[").append(host).append("]");
    else
        out.append(host);
    return out.append(":").append(std::to_string(port));
}

} // namespace smtp::cli::detail

#endif
