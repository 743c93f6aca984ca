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
/// Where `-l` listens: `parse_listen()` for its `[HOST][:PORT]`, and (in detail) how an address
/// is shown in messages. (The controller binds every address a host names.)
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
