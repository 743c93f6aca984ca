#ifndef SMTP_DETAIL_PROXY_PROTOCOL_HPP
#define SMTP_DETAIL_PROXY_PROTOCOL_HPP

// Sans-I/O reader of the PROXY protocol header (HAProxy's doc/proxy-protocol.txt), checked rule
// by rule and message by message as aiosmtpd's proxy_protocol.py does it.

#include <smtp/detail/ip_address.hpp>
#include <smtp/proxy_protocol.hpp>

#include <boost/asio/ip/address.hpp>
#include <boost/crc.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace smtp::detail {

/// CRC32C (Castagnoli, as RFC 4960 appendix B), the sum in a PROXY v2 header's CRC32C TLV.
using crc32c_sum = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

/// CRC32C of `data`.
inline std::uint32_t crc32c(std::string_view data) noexcept {
    crc32c_sum sum;
    sum.process_bytes(data.data(), data.size());
    return sum.checksum();
}

/// An address as a PROXY v1 header may give it: aiosmtpd first requires [0-9a-fA-F.:]+ (so no
/// IPv6 zone), then reads it with Python's ipaddress, whose rules are ip_address_from_text's.
inline std::optional<boost::asio::ip::address>
proxy_address_from_text(std::string_view text) noexcept {
    if (text.empty() ||
        text.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos)
        return std::nullopt;
    return ip_address_from_text(text);
}

/// Reads one PROXY protocol header, v1 or v2, off the front of a connection's byte stream.
///
/// feed() takes bytes as they arrive and consumes exactly the header: whatever follows it (SMTP
/// commands pipelined by the client) is left unconsumed for the caller. The parser decides as
/// soon as the bytes seen settle the outcome aiosmtpd would report for the complete input: a
/// wrong signature at its first differing byte, a bad v2 version, command, family or protocol at
/// the byte carrying it, a v2 address block too short for its family as soon as the length is
/// known. A v1 line, though, is judged only once its LF has arrived, because aiosmtpd reports
/// "too long" and "malformed" (no CRLF) ahead of any field error. What it keeps is bounded: a
/// v1 line by 107 bytes (HAProxy's worst case, CRLF included), a v2 header by 16 + 65535.
///
/// Once done(), result() tells what the header said, or its error (aiosmtpd's message).
class proxy_parser {
public:
    static constexpr std::size_t v1_max_size = 107;
    static constexpr std::size_t v2_max_size = 16 + 65535;

    /// `verify_crc32c`: when a v2 header carries a CRC32C TLV, check it (HAProxy 2.2.3) and
    /// refuse the header on a mismatch. Off by default, as in aiosmtpd, which leaves it to the
    /// handler's PROXY hook.
    explicit proxy_parser(bool verify_crc32c = false) noexcept : verify_crc32c_(verify_crc32c) {}

    /// Takes bytes of the stream; returns how many belong to the header (all of `input` while
    /// the header is still incomplete, none once done()).
    std::size_t feed(std::string_view input) {
        std::size_t used = 0;
        while (used < input.size() && stage_ != stage::done) {
            switch (stage_) {
            case stage::signature: take_signature_byte(input[used++]); break;
            case stage::v1_line: used += take_v1_line(input.substr(used)); break;
            case stage::v2_header: take_v2_header_byte(input[used++]); break;
            case stage::v2_tail: used += take_v2_tail(input.substr(used)); break;
            case stage::done: break;
            }
        }
        return used;
    }

    /// The stream ended before the header did. aiosmtpd's messages: its v2 reader's own
    /// "Connection lost while waiting for signature|header|tail part", and "PROXYv1 malformed"
    /// for a v1 line with no LF (as its tests expect).
    void feed_eof() {
        switch (stage_) {
        case stage::signature:
            // aiosmtpd lets an IncompleteReadError escape here; the v2 wording says it better.
            return fail("PROXY exception: Connection lost while waiting for signature");
        case stage::v1_line: return fail("PROXYv1 malformed");
        case stage::v2_header:
            return fail(raw().size() < v2_signature.size()
                            ? "PROXY exception: Connection lost while waiting for signature"
                            : "PROXY exception: Connection lost while waiting for header");
        case stage::v2_tail:
            return fail("PROXY exception: Connection lost while waiting for tail part");
        case stage::done: return;
        }
    }

    /// The header is complete, or known to be bad.
    bool done() const noexcept { return stage_ == stage::done; }

    /// What the header said; complete once done().
    const proxy_data& result() const noexcept { return result_; }

private:
    enum class stage { signature, v1_line, v2_header, v2_tail, done };

    static constexpr std::string_view v1_signature{"PROXY"};
    static constexpr std::string_view v2_signature{"\r\n\r\n\0\r\nQUIT\n", 12};
    static constexpr std::size_t v2_fixed_size = 16; // signature, ver/cmd, fam/proto, length

    std::string& raw() noexcept { return result_.whole_raw; }

    void fail(std::string message) {
        result_.error = std::move(message);
        stage_ = stage::done;
    }

    // The first five bytes choose the version, as aiosmtpd's get_proxy does; the two signatures
    // differ at their first byte, so a stranger is refused at once.
    void take_signature_byte(char c) {
        raw().push_back(c);
        std::string_view seen = raw();
        bool v1 = v1_signature.starts_with(seen);
        bool v2 = v2_signature.starts_with(seen);
        if (!v1 && !v2) return fail("PROXY unrecognized signature");
        if (seen.size() < v1_signature.size()) return;
        result_.version = v1 ? 1 : 2;
        stage_ = v1 ? stage::v1_line : stage::v2_header;
    }

    std::size_t take_v1_line(std::string_view input) {
        std::string_view window = input.substr(0, v1_max_size - raw().size());
        std::size_t lf = window.find('\n');
        if (lf != std::string_view::npos) {
            raw().append(window.substr(0, lf + 1));
            parse_v1_line();
            return lf + 1;
        }
        raw().append(window);
        // aiosmtpd measures the line once read (its 1001-byte reader limit turns a longer one
        // into an exception); 107 bytes without LF can only end in a longer line.
        if (raw().size() == v1_max_size) fail("PROXYv1 header too long");
        return window.size();
    }

    // Splits at single spaces, as aiosmtpd's split(b" "): two spaces make an empty field. A
    // missing field reads as an empty one, so it gets the same message as an empty one where
    // aiosmtpd says "PROXY exception: pop from an empty deque".
    struct v1_fields {
        std::string_view text;
        bool exhausted = false;

        std::string_view next() noexcept {
            if (exhausted) return {};
            std::size_t space = text.find(' ');
            if (space == std::string_view::npos) {
                exhausted = true;
                return text;
            }
            std::string_view field = text.substr(0, space);
            text.remove_prefix(space + 1);
            return field;
        }
    };

    // "0" or digits without a leading zero. The value saturates just above 65535, enough for the
    // bounds check. aiosmtpd's int() also took "1_000", "8\t" and the like; those are malformed.
    static std::optional<std::uint32_t> v1_port(std::string_view field) noexcept {
        if (field.empty() || (field[0] == '0' && field.size() > 1)) return std::nullopt;
        std::uint32_t value = 0;
        for (char c : field) {
            if (c < '0' || c > '9') return std::nullopt;
            value = value * 10 + std::uint32_t(c - '0');
            if (value > 65536) value = 65536;
        }
        return value;
    }

    // The checks in aiosmtpd's order, each with its message.
    void parse_v1_line() {
        stage_ = stage::done;
        std::string_view line = raw();
        if (!line.ends_with("\r\n")) return fail("PROXYv1 malformed");
        std::string_view body = line.substr(v1_signature.size());
        body.remove_suffix(2); // the CRLF
        v1_fields fields{body};
        if (!fields.next().empty()) return fail("PROXYv1 wrong signature"); // "PROXY1 ..."

        std::string_view protocol = fields.next();
        if (protocol == "UNKNOWN") {
            // The receiver must ignore the rest of the line (HAProxy 2.1); it is kept, with its
            // leading space, as aiosmtpd keeps it.
            result_.rest = body.substr(1 + protocol.size());
            return;
        }
        if (protocol.ends_with('4'))
            result_.family = proxy_family::inet;
        else if (protocol.ends_with('6'))
            result_.family = proxy_family::inet6;
        else
            return fail("PROXYv1 unrecognized family");
        if (!protocol.starts_with("TCP")) return fail("PROXYv1 unrecognized protocol");
        result_.protocol = proxy_transport::stream;

        auto src = proxy_address_from_text(fields.next());
        auto dst = src ? proxy_address_from_text(fields.next()) : std::nullopt;
        if (!src || !dst) return fail("PROXYv1 address malformed");
        if (result_.family == proxy_family::inet && (!src->is_v4() || !dst->is_v4()))
            return fail("PROXYv1 address not IPv4");
        if (result_.family == proxy_family::inet6 && (!src->is_v6() || !dst->is_v6()))
            return fail("PROXYv1 address not IPv6");
        result_.src_addr = ip_address_to_text(*src);
        result_.dst_addr = ip_address_to_text(*dst);

        auto src_port = v1_port(fields.next());
        auto dst_port = src_port ? v1_port(fields.next()) : std::nullopt;
        if (!src_port || !dst_port) return fail("PROXYv1 port malformed");
        if (*src_port > 65535) return fail("PROXYv1 src port out of bounds");
        if (*dst_port > 65535) return fail("PROXYv1 dst port out of bounds");
        result_.src_port = std::uint16_t(*src_port);
        result_.dst_port = std::uint16_t(*dst_port);

        if (!fields.exhausted) return fail("PROXYv1 unrecognized extraneous data");
    }

    // The address block's size for the family/protocol pairs aiosmtpd decodes; 0 for the others,
    // whose tail goes to `rest` whole.
    std::size_t v2_address_size() const noexcept {
        if (result_.protocol != proxy_transport::stream &&
            result_.protocol != proxy_transport::dgram)
            return 0;
        switch (result_.family) {
        case proxy_family::inet: return 4 + 4 + 2 + 2;
        case proxy_family::inet6: return 16 + 16 + 2 + 2;
        case proxy_family::unix_socket: return 108 + 108;
        default: return 0;
        }
    }

    // Bytes 5 to 15, one at a time, so each check runs on the byte that carries its field.
    void take_v2_header_byte(char c) {
        raw().push_back(c);
        const std::size_t at = raw().size() - 1;
        const auto byte = std::uint8_t(c);
        if (at < v2_signature.size()) {
            if (c != v2_signature[at]) fail("PROXYv2 wrong signature");
            return;
        }
        if (at == 12) {
            if ((byte & 0xF0) != 0x20) return fail("PROXYv2 illegal version");
            result_.command = proxy_command(byte & 0x0F);
            if ((byte & 0x0F) > 1) fail("PROXYv2 unsupported command");
            return;
        }
        if (at == 13) {
            result_.family = proxy_family(byte >> 4);
            if ((byte >> 4) > 3) return fail("PROXYv2 unsupported family");
            result_.protocol = proxy_transport(byte & 0x0F);
            if ((byte & 0x0F) > 2) fail("PROXYv2 unsupported protocol");
            return;
        }
        if (at < v2_fixed_size - 1) return;
        tail_size_ = (std::size_t(std::uint8_t(raw()[14])) << 8) | byte;
        // aiosmtpd reads the whole tail before saying so; no byte of it can change the verdict.
        if (tail_size_ < v2_address_size()) return fail("PROXYv2 truncated address");
        if (tail_size_ == 0) return finish_v2();
        stage_ = stage::v2_tail;
    }

    std::size_t take_v2_tail(std::string_view input) {
        std::string_view piece = input.substr(0, v2_fixed_size + tail_size_ - raw().size());
        raw().append(piece);
        if (raw().size() == v2_fixed_size + tail_size_) finish_v2();
        return piece.size();
    }

    static std::string unix_path(std::string_view block) {
        return std::string(block.substr(0, block.find('\0')));
    }

    void finish_v2() {
        stage_ = stage::done;
        std::string_view tail = std::string_view(raw()).substr(v2_fixed_size);
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(tail.data());
        auto port = [&](std::size_t at) { return std::uint16_t((bytes[at] << 8) | bytes[at + 1]); };
        const std::size_t address_size = v2_address_size();
        // LOCAL is not special-cased (aiosmtpd): its addresses are decoded like PROXY's.
        switch (address_size ? result_.family : proxy_family::unspec) {
        case proxy_family::inet:
            result_.src_addr = ipv4_to_text(bytes);
            result_.dst_addr = ipv4_to_text(bytes + 4);
            result_.src_port = port(8);
            result_.dst_port = port(10);
            break;
        case proxy_family::inet6:
            result_.src_addr = ipv6_to_text(bytes);
            result_.dst_addr = ipv6_to_text(bytes + 16);
            result_.src_port = port(32);
            result_.dst_port = port(34);
            break;
        case proxy_family::unix_socket:
            result_.src_addr = unix_path(tail.substr(0, 108));
            result_.dst_addr = unix_path(tail.substr(108, 108));
            break;
        default: break;
        }
        result_.rest = std::string(tail.substr(address_size));
        if (!result_.rest.empty()) result_.tlv_start = v2_fixed_size + address_size;
        if (verify_crc32c_ && !crc32c_matches()) fail("PROXYv2 CRC32C mismatch");
    }

    // HAProxy 2.2.3: the sum of the whole header with the checksum's own four bytes as zeros. A
    // malformed TLV area hides the TLV (as from every accessor), so there is nothing to check.
    bool crc32c_matches() const {
        if (!result_.tlvs_valid()) return true;
        auto value = find_proxy_tlv(result_.rest, proxy_tlv_type::crc32c);
        if (!value) return true;
        if (value->size() != 4) return false;
        std::string_view whole = result_.whole_raw;
        std::size_t at = result_.tlv_start + std::size_t(value->data() - result_.rest.data());
        crc32c_sum sum;
        sum.process_bytes(whole.data(), at);
        sum.process_bytes("\0\0\0\0", 4);
        sum.process_bytes(whole.data() + at + 4, whole.size() - at - 4);
        return sum.checksum() == proxy_read_be32(*value);
    }

    bool verify_crc32c_;
    stage stage_ = stage::signature;
    std::size_t tail_size_ = 0;
    proxy_data result_;
};

} // namespace smtp::detail

#endif
