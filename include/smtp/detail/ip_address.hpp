#ifndef SMTP_DETAIL_IP_ADDRESS_HPP
#define SMTP_DETAIL_IP_ADDRESS_HPP

// IP address text, read by one set of rules wherever the library reads it (--proxy-trusted
// networks, the peer they are matched against, PROXY v1 headers): inet_pton's, through Asio.
// IPv4 is exactly four decimal parts of 0 to 255 without leading zeros (which might mean
// octal); IPv6 is groups of 1 to 4 hex digits with at most one "::", standing for at least one
// zero group, and optionally an IPv4 address as the last 32 bits. Those are Python's ipaddress
// rules too, the ones aiosmtpd applies to PROXY headers. Asio also reads an IPv6 zone ("%eth0"),
// which is how it prints a link-local peer; a PROXY header may not carry one.
//
// The text forms are Python's (ipaddress's str()), which aiosmtpd hands to handlers: inet_ntop
// differs for some IPv6 addresses (it prints ::1:0 as ::0.1.0.0).

#include <boost/asio/ip/address.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smtp::detail {

/// The address `text` spells, or nothing.
inline std::optional<boost::asio::ip::address>
ip_address_from_text(std::string_view text) noexcept {
    // inet_pton reads a C string: an embedded NUL would end the text early. The longest address
    // is 45 characters, and a zone adds an interface name (16 at most) or number.
    char terminated[64];
    if (text.size() >= sizeof terminated || text.find('\0') != std::string_view::npos)
        return std::nullopt;
    text.copy(terminated, text.size());
    terminated[text.size()] = '\0';
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(terminated, ec);
    if (ec) return std::nullopt;
    return address;
}

/// Dotted-quad text of the 4 bytes at `bytes`.
inline std::string ipv4_to_text(const std::uint8_t* bytes) {
    std::string text;
    for (int i = 0; i < 4; ++i) {
        if (i) text += '.';
        text += std::to_string(bytes[i]);
    }
    return text;
}

/// RFC 5952 text of the 16 bytes at `bytes`: lower-case hex without leading zeros, the longest
/// run of two or more zero groups (the first of equal runs) as "::", and an IPv4-mapped address
/// as ::ffff:a.b.c.d.
inline std::string ipv6_to_text(const std::uint8_t* bytes) {
    std::array<unsigned, 8> groups{};
    for (std::size_t i = 0; i < 8; ++i)
        groups[i] = (unsigned(bytes[2 * i]) << 8) | bytes[2 * i + 1];
    bool mapped = groups[5] == 0xFFFF;
    for (std::size_t i = 0; i < 5; ++i)
        mapped = mapped && groups[i] == 0;
    if (mapped) return "::ffff:" + ipv4_to_text(bytes + 12);

    std::size_t best_start = 8, best_length = 1; // runs of one zero group stay as "0"
    for (std::size_t i = 0; i < 8;) {
        if (groups[i] != 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < 8 && groups[j] == 0)
            ++j;
        if (j - i > best_length) best_start = i, best_length = j - i;
        i = j;
    }
    constexpr char hex[] = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < 8; ++i) {
        if (i == best_start) {
            text += "::";
            i += best_length - 1;
            continue;
        }
        if (!text.empty() && text.back() != ':') text += ':';
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned digit = (groups[i] >> shift) & 0xFu;
            if (digit == 0 && !started && shift != 0) continue;
            started = true;
            text += hex[digit];
        }
    }
    return text;
}

/// The text of `address` (its zone left out).
inline std::string ip_address_to_text(const boost::asio::ip::address& address) {
    return address.is_v4() ? ipv4_to_text(address.to_v4().to_bytes().data())
                           : ipv6_to_text(address.to_v6().to_bytes().data());
}

} // namespace smtp::detail

#endif
