#ifndef SMTP_DETAIL_CIDR_HPP
#define SMTP_DETAIL_CIDR_HPP

#include <smtp/detail/ip_address.hpp>

#include <boost/asio/ip/address.hpp>

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace smtp::detail {

/// An address or a network in CIDR form ("10.0.0.0/8", "::1", "2001:db8::/32"), for the PROXY
/// protocol's trusted senders. IPv4-mapped IPv6 addresses match IPv4 networks, and IPv4
/// addresses match IPv6 networks through their v4-mapped form.
class cidr {
public:
    /// Throws std::invalid_argument for anything that is not an address or network.
    explicit cidr(std::string_view text) {
        auto slash = text.find('/');
        auto address = ip_address_from_text(text.substr(0, slash));
        if (!address)
            throw std::invalid_argument("not an IP address or network: " + std::string(text));
        v4_ = address->is_v4();
        bytes_ = bytes_of(*address);
        unsigned max = v4_ ? 32 : 128;
        prefix_ = max;
        if (slash != std::string_view::npos) {
            auto digits = text.substr(slash + 1);
            auto [end, err] =
                std::from_chars(digits.data(), digits.data() + digits.size(), prefix_);
            if (digits.empty() || err != std::errc{} || end != digits.data() + digits.size() ||
                prefix_ > max)
                throw std::invalid_argument("bad prefix length in: " + std::string(text));
        }
    }

    bool contains(const boost::asio::ip::address& candidate) const {
        auto address = candidate;
        if (address.is_v6() && address.to_v6().is_v4_mapped())
            address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
        // An IPv6 network holds IPv4 addresses in their v4-mapped form (::ffff:a.b.c.d): so
        // "::ffff:127.0.0.0/104" and "::/0" match an IPv4 client, as a dual-stack socket sees it.
        if (address.is_v4() && !v4_)
            address = boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, address.to_v4());
        if (address.is_v4() != v4_) return false;
        auto bytes = bytes_of(address);
        unsigned left = prefix_;
        for (std::size_t i = 0; left > 0; ++i, left = left >= 8 ? left - 8 : 0) {
            unsigned bits = left >= 8 ? 8 : left;
            std::uint8_t mask = std::uint8_t(0xFF << (8 - bits));
            if ((bytes[i] & mask) != (bytes_[i] & mask)) return false;
        }
        return true;
    }

    bool contains(std::string_view address_text) const {
        auto address = ip_address_from_text(address_text);
        return address && contains(*address);
    }

private:
    static std::array<std::uint8_t, 16> bytes_of(const boost::asio::ip::address& a) {
        std::array<std::uint8_t, 16> out{};
        if (a.is_v4()) {
            auto b = a.to_v4().to_bytes();
            std::copy(b.begin(), b.end(), out.begin());
        } else {
            auto b = a.to_v6().to_bytes();
            std::copy(b.begin(), b.end(), out.begin());
        }
        return out;
    }

    std::array<std::uint8_t, 16> bytes_{};
    unsigned prefix_ = 0;
    bool v4_ = true;
};

} // namespace smtp::detail

#endif
