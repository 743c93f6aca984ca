#ifndef SMTP_PROXY_PROTOCOL_HPP
#define SMTP_PROXY_PROTOCOL_HPP

// What a PROXY protocol header (HAProxy's v1 text line or v2 binary block) said about the
// connection it precedes, in aiosmtpd's vocabulary (its ProxyData and ProxyTLV). Only standard
// headers: a handler's PROXY hook can use this without pulling in Asio. The parser that fills it
// is smtp::detail::proxy_parser (<smtp/detail/proxy_protocol.hpp>).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smtp {

/// v2 command (the low nibble of the 13th byte). Meaningful for v2 only; left `local` for v1.
enum class proxy_command : std::uint8_t { local = 0, proxy = 1 };

/// Address family. v1 "UNKNOWN" maps to `unspec`; `unix_socket` is v2 only. (Not plain `unix`:
/// under GNU dialects that word is a predefined macro.)
enum class proxy_family : std::uint8_t { unspec = 0, inet = 1, inet6 = 2, unix_socket = 3 };

/// Transport protocol. v1 "UNKNOWN" maps to `unspec`, "TCP4"/"TCP6" to `stream`; `dgram` is v2
/// only.
enum class proxy_transport : std::uint8_t { unspec = 0, stream = 1, dgram = 2 };

/// TLV type numbers registered by HAProxy's proxy-protocol.txt (section 2.2), as aiosmtpd names
/// them.
namespace proxy_tlv_type {
inline constexpr std::uint8_t alpn = 0x01;        ///< ALPN
inline constexpr std::uint8_t authority = 0x02;   ///< AUTHORITY
inline constexpr std::uint8_t crc32c = 0x03;      ///< CRC32C
inline constexpr std::uint8_t noop = 0x04;        ///< NOOP
inline constexpr std::uint8_t unique_id = 0x05;   ///< UNIQUE_ID
inline constexpr std::uint8_t ssl = 0x20;         ///< SSL
inline constexpr std::uint8_t ssl_version = 0x21; ///< SSL_VERSION (a sub-TLV of SSL)
inline constexpr std::uint8_t ssl_cn = 0x22;      ///< SSL_CN (a sub-TLV of SSL)
inline constexpr std::uint8_t ssl_cipher = 0x23;  ///< SSL_CIPHER (a sub-TLV of SSL)
inline constexpr std::uint8_t ssl_sig_alg = 0x24; ///< SSL_SIG_ALG (a sub-TLV of SSL)
inline constexpr std::uint8_t ssl_key_alg = 0x25; ///< SSL_KEY_ALG (a sub-TLV of SSL)
inline constexpr std::uint8_t netns = 0x30;       ///< NETNS
} // namespace proxy_tlv_type

/// aiosmtpd's name for a TLV type ("ALPN", "SSL_CN", ...; unregistered types are "xNN", two
/// upper-case hex digits), for logs.
inline std::string proxy_tlv_name(std::uint8_t type) {
    switch (type) {
    case proxy_tlv_type::alpn: return "ALPN";
    case proxy_tlv_type::authority: return "AUTHORITY";
    case proxy_tlv_type::crc32c: return "CRC32C";
    case proxy_tlv_type::noop: return "NOOP";
    case proxy_tlv_type::unique_id: return "UNIQUE_ID";
    case proxy_tlv_type::ssl: return "SSL";
    case proxy_tlv_type::ssl_version: return "SSL_VERSION";
    case proxy_tlv_type::ssl_cn: return "SSL_CN";
    case proxy_tlv_type::ssl_cipher: return "SSL_CIPHER";
    case proxy_tlv_type::ssl_sig_alg: return "SSL_SIG_ALG";
    case proxy_tlv_type::ssl_key_alg: return "SSL_KEY_ALG";
    case proxy_tlv_type::netns: return "NETNS";
    default: break;
    }
    constexpr char hex[] = "0123456789ABCDEF";
    return {'x', hex[type >> 4], hex[type & 0x0F]};
}

/// The reverse of proxy_tlv_name for the registered names (aiosmtpd's ProxyTLV.name_to_num).
inline std::optional<std::uint8_t> proxy_tlv_type_from_name(std::string_view name) noexcept {
    constexpr std::uint8_t registered[] = {
        proxy_tlv_type::alpn,        proxy_tlv_type::authority,   proxy_tlv_type::crc32c,
        proxy_tlv_type::noop,        proxy_tlv_type::unique_id,   proxy_tlv_type::ssl,
        proxy_tlv_type::ssl_version, proxy_tlv_type::ssl_cn,      proxy_tlv_type::ssl_cipher,
        proxy_tlv_type::ssl_sig_alg, proxy_tlv_type::ssl_key_alg, proxy_tlv_type::netns};
    for (std::uint8_t type : registered)
        if (proxy_tlv_name(type) == name) return type;
    return std::nullopt;
}

namespace detail {

// Walking a TLV area (HAProxy section 2.2: type, 16-bit big-endian length, value). Shared with
// the parser, which needs the CRC32C TLV's position.
struct proxy_tlv_item {
    std::uint8_t type;
    std::string_view value; // points into the area walked
};

// pp2_tlv_ssl: uint8_t client, uint32_t verify, then the sub-TLVs.
inline constexpr std::size_t proxy_ssl_fixed_size = 5;

// Takes the first TLV off `area`; nothing when its 3-byte head or its value is cut short.
inline std::optional<proxy_tlv_item> next_proxy_tlv(std::string_view& area) noexcept {
    if (area.size() < 3) return std::nullopt;
    std::size_t length = (std::size_t(std::uint8_t(area[1])) << 8) | std::uint8_t(area[2]);
    if (area.size() - 3 < length) return std::nullopt;
    proxy_tlv_item item{std::uint8_t(area[0]), area.substr(3, length)};
    area.remove_prefix(3 + length);
    return item;
}

// The whole area is well formed, the SSL TLV's fixed part and sub-TLVs included.
inline bool proxy_tlvs_well_formed(std::string_view area) noexcept {
    while (!area.empty()) {
        auto item = next_proxy_tlv(area);
        if (!item) return false;
        if (item->type != proxy_tlv_type::ssl) continue;
        std::string_view sub = item->value;
        if (sub.size() < proxy_ssl_fixed_size) return false;
        sub.remove_prefix(proxy_ssl_fixed_size);
        while (!sub.empty())
            if (!next_proxy_tlv(sub)) return false;
    }
    return true;
}

// The value of the last TLV of this type in a well-formed area.
inline std::optional<std::string_view> find_proxy_tlv(std::string_view area,
                                                      std::uint8_t type) noexcept {
    std::optional<std::string_view> found;
    while (!area.empty()) {
        auto item = next_proxy_tlv(area);
        if (!item) break;
        if (item->type == type) found = item->value;
    }
    return found;
}

inline std::uint32_t proxy_read_be32(std::string_view bytes) noexcept {
    std::uint32_t value = 0;
    for (char c : bytes)
        value = (value << 8) | std::uint8_t(c);
    return value;
}

} // namespace detail

/// The parsed PROXY header (aiosmtpd's ProxyData).
///
/// On an error the fields decoded before the failing check are kept, as in aiosmtpd, so a log
/// can say how far the header got.
struct proxy_data {
    int version = 0; ///< 1 or 2; 0 when not even the signature was recognised
    /// LOCAL or PROXY (v2; v1 is always PROXY).
    proxy_command command = proxy_command::local;
    /// The address family.
    proxy_family family = proxy_family::unspec;
    /// Stream or datagram.
    proxy_transport protocol = proxy_transport::unspec;
    // Textual addresses: IPv4 dotted quad; IPv6 in RFC 5952 form (lower case, the longest run of
    // two or more zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d); for UNIX sockets the path
    // bytes up to the first NUL. Empty when the header carries none (UNKNOWN, UNSPEC).
    /// The source address in text form (see above).
    std::string src_addr;
    /// The destination address in text form.
    std::string dst_addr;
    /// The source port.
    std::uint16_t src_port = 0;
    /// The destination port.
    std::uint16_t dst_port = 0;
    /// Bytes after the addresses: the TLV area (v2); the whole tail after the 16-byte header when
    /// the family/protocol pair has no address block (v2 with UNSPEC on either side); the text
    /// after "UNKNOWN", leading space included (v1).
    std::string rest;
    /// The header as received, signature and CRLF included. After an error: the bytes the parser
    /// had taken when it decided.
    std::string whole_raw;
    /// Offset of `rest` (the first TLV) within whole_raw; 0 when v1 or when `rest` is empty.
    std::size_t tlv_start = 0;
    /// Empty when the header is good; otherwise aiosmtpd's message ("PROXYv1 port malformed").
    std::string error;

    /// A header was recognised and passed every check (aiosmtpd's ProxyData.valid).
    bool valid() const noexcept { return error.empty() && version != 0; }

    /// Field-wise equality.
    bool operator==(const proxy_data&) const = default;

    // TLV access (v2). aiosmtpd parses `rest` all or nothing: if any TLV, or any sub-TLV of the
    // SSL TLV, runs past its end, none is exposed. So every accessor below returns nothing unless
    // tlvs_valid(). When a type occurs twice, the last one wins, as in aiosmtpd's dict.

    /// `rest` is a well-formed TLV sequence (an empty one included) of a v2 header.
    bool tlvs_valid() const noexcept {
        return version == 2 && detail::proxy_tlvs_well_formed(rest);
    }

    /// The value of the top-level TLV of this type.
    std::optional<std::string_view> tlv(std::uint8_t type) const noexcept {
        if (!tlvs_valid()) return std::nullopt;
        return detail::find_proxy_tlv(rest, type);
    }

    /// The ALPN TLV (the application protocol the client negotiated).
    std::optional<std::string_view> alpn() const noexcept { return tlv(proxy_tlv_type::alpn); }
    /// The AUTHORITY TLV (the host name the client asked for, SNI).
    std::optional<std::string_view> authority() const noexcept {
        return tlv(proxy_tlv_type::authority);
    }
    /// The NOOP TLV (padding).
    std::optional<std::string_view> noop() const noexcept { return tlv(proxy_tlv_type::noop); }
    /// The UNIQUE_ID TLV (the proxy's connection id).
    std::optional<std::string_view> unique_id() const noexcept {
        return tlv(proxy_tlv_type::unique_id);
    }
    /// The NETNS TLV (the network namespace name).
    std::optional<std::string_view> netns() const noexcept { return tlv(proxy_tlv_type::netns); }

    /// The CRC32C TLV's value as the number it carries (network byte order on the wire); nothing
    /// when absent or not exactly 4 bytes long. Whether it matches is the parser's business.
    std::optional<std::uint32_t> crc32c() const noexcept {
        auto value = tlv(proxy_tlv_type::crc32c);
        if (!value || value->size() != 4) return std::nullopt;
        return detail::proxy_read_be32(*value);
    }

    /// An SSL TLV is present (aiosmtpd's SSL flag; it is false there exactly when the sub-TLVs are
    /// malformed, which here makes tlvs_valid() false instead).
    bool ssl() const noexcept { return tlv(proxy_tlv_type::ssl).has_value(); }
    /// The SSL TLV's `client` bit field (PP2_CLIENT_SSL 0x01, CERT_CONN 0x02, CERT_SESS 0x04).
    std::optional<std::uint8_t> ssl_client() const noexcept {
        auto value = tlv(proxy_tlv_type::ssl);
        if (!value) return std::nullopt;
        return static_cast<std::uint8_t>((*value)[0]);
    }
    /// The SSL TLV's `verify` field: 0 when the client's certificate was verified.
    std::optional<std::uint32_t> ssl_verify() const noexcept {
        auto value = tlv(proxy_tlv_type::ssl);
        if (!value) return std::nullopt;
        return detail::proxy_read_be32(value->substr(1, 4));
    }
    /// A sub-TLV of the SSL TLV (types 0x21 and up).
    std::optional<std::string_view> ssl_tlv(std::uint8_t type) const noexcept {
        auto value = tlv(proxy_tlv_type::ssl);
        if (!value) return std::nullopt;
        return detail::find_proxy_tlv(value->substr(detail::proxy_ssl_fixed_size), type);
    }
    /// The SSL_VERSION sub-TLV ("TLSv1.3").
    std::optional<std::string_view> ssl_version() const noexcept {
        return ssl_tlv(proxy_tlv_type::ssl_version);
    }
    /// The SSL_CN sub-TLV (the client certificate's common name).
    std::optional<std::string_view> ssl_cn() const noexcept {
        return ssl_tlv(proxy_tlv_type::ssl_cn);
    }
    /// The SSL_CIPHER sub-TLV.
    std::optional<std::string_view> ssl_cipher() const noexcept {
        return ssl_tlv(proxy_tlv_type::ssl_cipher);
    }
    /// The SSL_SIG_ALG sub-TLV (the certificate's signature algorithm).
    std::optional<std::string_view> ssl_sig_alg() const noexcept {
        return ssl_tlv(proxy_tlv_type::ssl_sig_alg);
    }
    /// The SSL_KEY_ALG sub-TLV (the certificate's key algorithm).
    std::optional<std::string_view> ssl_key_alg() const noexcept {
        return ssl_tlv(proxy_tlv_type::ssl_key_alg);
    }
};

} // namespace smtp

#endif
