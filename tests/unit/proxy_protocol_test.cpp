#include <smtp/detail/proxy_protocol.hpp>

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace std::string_literals;
using smtp::proxy_command;
using smtp::proxy_data;
using smtp::proxy_family;
using smtp::proxy_transport;
using smtp::detail::proxy_parser;

namespace {

// What SMTP clients pipeline behind the header: never the parser's to take.
const std::string smtp_tail = "EHLO example.org\r\n";

// ---- building v2 headers byte by byte (HAProxy section 2.2) ----

const std::string v2_signature = "\r\n\r\n\0\r\nQUIT\n"s;

std::string be16(std::size_t value) {
    return {char((value >> 8) & 0xFF), char(value & 0xFF)};
}

std::string v2_header(int ver_cmd, int fam_proto, const std::string& tail) {
    return v2_signature + char(ver_cmd) + char(fam_proto) + be16(tail.size()) + tail;
}

// ver_cmd: version 2 in the high nibble, the command in the low one.
constexpr int local = 0x20;
constexpr int proxy = 0x21;
// fam_proto: the family in the high nibble, the protocol in the low one.
constexpr int fam(proxy_family family, proxy_transport protocol) {
    return (int(family) << 4) | int(protocol);
}

std::string tlv(int type, const std::string& value) {
    return char(type) + be16(value.size()) + value;
}

std::string ipv4(int a, int b, int c, int d) {
    return {char(a), char(b), char(c), char(d)};
}

std::string ipv6(std::initializer_list<unsigned> groups) {
    std::string out;
    for (unsigned g : groups)
        out += be16(g);
    return out;
}

std::string unix_block(const std::string& path) {
    std::string block = path;
    block.resize(108, '\0');
    return block;
}

// The SSL TLV's value: client flags, 32-bit verify, then the sub-TLVs.
std::string ssl_value(int client, std::uint32_t verify, const std::string& sub_tlvs) {
    std::string value(1, char(client));
    value += be16(verify >> 16) + be16(verify & 0xFFFF);
    return value + sub_tlvs;
}

// aiosmtpd's TEST_TLV_DATA_1 and TEST_TLV_DATA_2 (tests/test_proxyprotocol.py).
const std::string aiosmtpd_ssl_1 =
    tlv(0x20, ssl_value(1, 0,
                        tlv(0x21, "TLSv1.3") + tlv(0x25, "RSA4096") + tlv(0x24, "RSA-SHA256") +
                            tlv(0x23, "ECDHE-RSA-AES256-CBC-SHA384")));
const std::string aiosmtpd_tlv_1 =
    tlv(0x03, "Z\xfd\xc6\xff") + tlv(0x02, "AUTHORITI") + tlv(0x05, "UNIKUE_ID") + aiosmtpd_ssl_1;
const std::string aiosmtpd_tlv_2 = tlv(0x03, "Z\xfd\xc6\xff") + tlv(0x02, "AUTHORIT2") +
                                   tlv(0x05, "UNIQUEID2") + aiosmtpd_ssl_1 + tlv(0x30, "something");

// aiosmtpd's TEST_V2_DATA1_EXACT, decoded from its base64: PROXY, TCP over IPv4, with TLVs
// whose CRC32C is right.
const std::string aiosmtpd_v2_data1 = "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a\x21\x11\x00"
                                      "\x72\x7f\x00\x00\x01\x7f\x00\x00\x01"
                                      "\xb0\x52\x62\xa5\x03\x00\x04\x54\xfd\xc6\xff\x02\x00\x09\x41"
                                      "\x55\x54\x48\x4f\x52\x49\x54\x59\x05"
                                      "\x00\x09\x55\x4e\x49\x51\x55\x45\x5f\x49\x44\x20\x00\x44\x01"
                                      "\x00\x00\x00\x00\x21\x00\x07\x54\x4c"
                                      "\x53\x76\x31\x2e\x32\x25\x00\x07\x52\x53\x41\x34\x30\x39\x36"
                                      "\x24\x00\x0a\x52\x53\x41\x2d\x53\x48"
                                      "\x41\x32\x35\x36\x23\x00\x1b\x45\x43\x44\x48\x45\x2d\x52\x53"
                                      "\x41\x2d\x41\x45\x53\x32\x35\x36\x2d"
                                      "\x47\x43\x4d\x2d\x53\x48\x41\x33\x38\x34"s;
const std::string aiosmtpd_v2_data1_tlvs =
    tlv(0x03, "T\xfd\xc6\xff") + tlv(0x02, "AUTHORITY") + tlv(0x05, "UNIQUE_ID") +
    tlv(0x20, ssl_value(1, 0,
                        tlv(0x21, "TLSv1.2") + tlv(0x25, "RSA4096") + tlv(0x24, "RSA-SHA256") +
                            tlv(0x23, "ECDHE-RSA-AES256-GCM-SHA384")));

// ---- feeding ----

std::string printable(std::string_view bytes) {
    std::string out;
    for (char c : bytes) {
        auto u = std::uint8_t(c);
        if (u >= 0x20 && u < 0x7F && c != '\\') {
            out += c;
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", u);
            out += escaped;
        }
    }
    return out;
}

// Every field, so one string comparison shows any difference.
std::string describe(const proxy_data& d) {
    std::ostringstream out;
    out << "v" << d.version << " cmd " << int(d.command) << " fam " << int(d.family) << " proto "
        << int(d.protocol) << " src [" << printable(d.src_addr) << "]:" << d.src_port << " dst ["
        << printable(d.dst_addr) << "]:" << d.dst_port << " rest [" << printable(d.rest)
        << "] tlv_start " << d.tlv_start << " raw [" << printable(d.whole_raw) << "] error ["
        << d.error << "] valid " << d.valid();
    return out.str();
}

struct outcome {
    bool done;
    std::size_t consumed;
    proxy_data data;
};

std::string describe(const outcome& o) {
    return "done " + std::to_string(o.done) + " consumed " + std::to_string(o.consumed) + " " +
           describe(o.data);
}

// Feeds `input` in pieces ending at `cuts` (then the rest), the way a connection's buffer
// fills: what the parser did not consume stays in the buffer, in front of the next read.
outcome feed_in_pieces(std::string_view input, const std::vector<std::size_t>& cuts,
                       bool verify_crc32c = false, bool eof = false) {
    proxy_parser parser(verify_crc32c);
    std::string buffer;
    std::size_t consumed = 0;
    std::size_t at = 0;
    auto step = [&](std::size_t end) {
        buffer.append(input.substr(at, end - at));
        at = end;
        std::size_t used = parser.feed(buffer);
        // Until the header is complete, every byte offered is the header's.
        if (!parser.done()) BOOST_TEST(used == buffer.size());
        consumed += used;
        buffer.erase(0, used);
    };
    for (std::size_t cut : cuts) {
        if (parser.done()) break;
        step(cut);
    }
    if (!parser.done()) step(input.size());
    if (parser.done()) BOOST_TEST(parser.feed(buffer) == 0u); // nothing more once done
    if (eof && !parser.done()) parser.feed_eof();
    return {parser.done(), consumed, parser.result()};
}

// Feeds `input` whole, then split in two at every byte boundary (every `stride`-th for huge
// inputs), then one byte at a time: all must agree. Returns the whole-input outcome.
outcome feed_every_way(std::string_view input, bool verify_crc32c = false, bool eof = false,
                       std::size_t stride = 1) {
    const outcome whole = feed_in_pieces(input, {}, verify_crc32c, eof);
    const std::string expected = describe(whole);
    for (std::size_t cut = 0; cut <= input.size(); cut += stride) {
        BOOST_TEST_CONTEXT("split at " << cut) {
            BOOST_TEST(describe(feed_in_pieces(input, {cut}, verify_crc32c, eof)) == expected);
        }
    }
    std::vector<std::size_t> every_byte;
    for (std::size_t cut = 1; cut < input.size(); ++cut)
        every_byte.push_back(cut);
    BOOST_TEST_CONTEXT("one byte at a time") {
        BOOST_TEST(describe(feed_in_pieces(input, every_byte, verify_crc32c, eof)) == expected);
    }
    return whole;
}

// A good header, followed by pipelined SMTP: the expected fields, with whole_raw = the header.
struct valid_row {
    std::string name;
    std::string header;
    proxy_data expected;
};

void check_valid(const valid_row& r, bool verify_crc32c = false, std::size_t stride = 1) {
    BOOST_TEST_CONTEXT(r.name << ": " << printable(r.header.substr(0, 120))) {
        proxy_data expected = r.expected;
        expected.whole_raw = r.header;
        const outcome got = feed_every_way(r.header + smtp_tail, verify_crc32c, false, stride);
        BOOST_TEST(got.done);
        BOOST_TEST(got.consumed == r.header.size());
        BOOST_TEST(describe(got.data) == describe(expected));
        BOOST_TEST(got.data.valid());
    }
}

// A bad header: aiosmtpd's message, and the byte count at which the parser knew (one byte
// fewer must leave it undecided).
struct invalid_row {
    std::string name;
    std::string input;
    std::string error;
    std::size_t decided_at; // 0: at the end of `input`
    int version;
};

void check_invalid(const invalid_row& r, bool verify_crc32c = false) {
    BOOST_TEST_CONTEXT(r.name << ": " << printable(r.input.substr(0, 120))) {
        const std::size_t decided_at = r.decided_at ? r.decided_at : r.input.size();
        const outcome got = feed_every_way(r.input + smtp_tail, verify_crc32c);
        BOOST_TEST(got.done);
        BOOST_TEST(got.data.error == r.error);
        BOOST_TEST(!got.data.valid());
        BOOST_TEST(got.data.version == r.version);
        BOOST_TEST(got.consumed == decided_at);
        BOOST_TEST(printable(got.data.whole_raw) == printable(r.input.substr(0, decided_at)));
        const outcome before = feed_in_pieces(r.input.substr(0, decided_at - 1), {}, verify_crc32c);
        BOOST_TEST(!before.done);
    }
}

// Expected results, field by field (designated initializers would trip GCC's
// -Wmissing-field-initializers).
struct fields {
    proxy_data d;
    explicit fields(int version) { d.version = version; }
    fields& command(proxy_command v) { return d.command = v, *this; }
    fields& family(proxy_family v) { return d.family = v, *this; }
    fields& protocol(proxy_transport v) { return d.protocol = v, *this; }
    fields& src_addr(std::string v) { return d.src_addr = std::move(v), *this; }
    fields& dst_addr(std::string v) { return d.dst_addr = std::move(v), *this; }
    fields& src_port(std::uint16_t v) { return d.src_port = v, *this; }
    fields& dst_port(std::uint16_t v) { return d.dst_port = v, *this; }
    fields& rest(std::string v) { return d.rest = std::move(v), *this; }
    fields& tlv_start(std::size_t v) { return d.tlv_start = v, *this; }
    fields& error(std::string v) { return d.error = std::move(v), *this; }
    operator proxy_data() const { return d; }
};

proxy_data v1(proxy_family family, std::string src, std::string dst, std::uint16_t src_port,
              std::uint16_t dst_port) {
    return fields(1)
        .family(family)
        .protocol(proxy_transport::stream)
        .src_addr(std::move(src))
        .dst_addr(std::move(dst))
        .src_port(src_port)
        .dst_port(dst_port);
}

proxy_data v1_unknown(std::string rest) {
    return fields(1).rest(std::move(rest));
}

const std::string ip6_dead = "2020:dead::0001";
const std::string ip6_cafe = "2021:cafe::0002";

} // namespace

BOOST_AUTO_TEST_SUITE(proxy_protocol)

// aiosmtpd's TestGetV1 valid cases (PUBLIC_V1_PATTERNS, tcp4, tcp6_shortened, unknown,
// unknown_short, GOOD_V1_HANDSHAKE) and the limits of the rules.
BOOST_AUTO_TEST_CASE(feed_accepts_valid_v1) {
    const auto inet = proxy_family::inet;
    const auto inet6 = proxy_family::inet6;
    const std::string ffff = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const std::vector<valid_row> rows = {
        {"joaoreis81", "PROXY TCP4 222.222.22.222 111.11.11.111 33504 25\r\n",
         v1(inet, "222.222.22.222", "111.11.11.111", 33504, 25)},
        {"haproxydoc", "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
         v1(inet, "192.168.0.1", "192.168.0.11", 56324, 443)},
        {"cloudflare4", "PROXY TCP4 192.0.2.0 192.0.2.255 42300 443\r\n",
         v1(inet, "192.0.2.0", "192.0.2.255", 42300, 443)},
        {"cloudflare6",
         "PROXY TCP6 2001:db8:: 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff 42300 443\r\n",
         v1(inet6, "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 42300, 443)},
        {"avinetworks", "PROXY TCP4 12.97.16.194 136.179.21.69 31646 80\r\n",
         v1(inet, "12.97.16.194", "136.179.21.69", 31646, 80)},
        {"googlecloud", "PROXY TCP4 192.0.2.1 198.51.100.1 15221 110\r\n",
         v1(inet, "192.0.2.1", "198.51.100.1", 15221, 110)},
        {"tcp4", "PROXY TCP4 1.2.3.4 5.6.7.8 0 65535\r\n",
         v1(inet, "1.2.3.4", "5.6.7.8", 0, 65535)},
        {"good handshake", "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
         v1(inet, "255.255.255.255", "255.255.255.255", 65535, 65535)},
        {"tcp6 shortened", "PROXY TCP6 " + ip6_dead + " " + ip6_cafe + " 8000 65535\r\n",
         v1(inet6, "2020:dead::1", "2021:cafe::2", 8000, 65535)},
        {"unknown", "PROXY UNKNOWN whatever\r\n", v1_unknown(" whatever")},
        {"unknown short", "PROXY UNKNOWN\r\n", v1_unknown("")},
        {"unknown space", "PROXY UNKNOWN \r\n", v1_unknown(" ")},
        // HAProxy's worst case: exactly 107 bytes with the CRLF.
        {"107 bytes", "PROXY UNKNOWN " + ffff + " " + ffff + " 65535 65535\r\n",
         v1_unknown(" " + ffff + " " + ffff + " 65535 65535")},
        {"tcp6 longest", "PROXY TCP6 " + ffff + " " + ffff + " 65535 65535\r\n",
         v1(inet6, ffff, ffff, 65535, 65535)},
        // Text normalised as RFC 5952 (aiosmtpd compares ipaddress objects, not text).
        {"tcp6 forms", "PROXY TCP6 0:0:0:0:0:0:0:1 1:0:0:2:0:0:0:3 1 2\r\n",
         v1(inet6, "::1", "1:0:0:2::3", 1, 2)},
        {"tcp6 all zero", "PROXY TCP6 :: 1:: 1 2\r\n", v1(inet6, "::", "1::", 1, 2)},
        {"tcp6 upper case", "PROXY TCP6 ABCD:EF01:2345:6789:ABCD:EF01:2345:6789 1:0::8 1 2\r\n",
         v1(inet6, "abcd:ef01:2345:6789:abcd:ef01:2345:6789", "1::8", 1, 2)},
        {"tcp6 first of equal runs", "PROXY TCP6 1:0:0:2:3:0:0:4 1:0:2:3:4:5:6:7 1 2\r\n",
         v1(inet6, "1::2:3:0:0:4", "1:0:2:3:4:5:6:7", 1, 2)},
        {"tcp6 ipv4 tail", "PROXY TCP6 ::ffff:1.2.3.4 1:2:3:4:5:6:7.8.9.10 1 2\r\n",
         v1(inet6, "::ffff:1.2.3.4", "1:2:3:4:5:6:708:90a", 1, 2)},
        {"tcp6 seven groups and ::", "PROXY TCP6 1:2:3:4:5:6:7:: ::2:3:4:5:6:7:8 1 2\r\n",
         v1(inet6, "1:2:3:4:5:6:7:0", "0:2:3:4:5:6:7:8", 1, 2)},
        // aiosmtpd only asks that the protocol start with TCP and end in 4 or 6.
        {"protocol TCPX4", "PROXY TCPX4 1.2.3.4 5.6.7.8 1 2\r\n",
         v1(inet, "1.2.3.4", "5.6.7.8", 1, 2)},
    };
    for (const auto& r : rows)
        check_valid(r);
}

// aiosmtpd's tcp4_random and tcp6_random, with a fixed seed; the expected text comes from the C
// library's inet_ntop, an independent reader and writer.
BOOST_AUTO_TEST_CASE(feed_accepts_random_v1_addresses) {
    std::mt19937 random(20240517);
    std::uniform_int_distribution<unsigned> byte(0, 255), group(0, 0xFFFF), port(0, 65535);
    for (int i = 0; i < 50; ++i) {
        std::string a4[2], a6[2], text6[2];
        for (int side = 0; side < 2; ++side) {
            a4[side] = std::to_string(byte(random)) + "." + std::to_string(byte(random)) + "." +
                       std::to_string(byte(random)) + "." + std::to_string(byte(random));
            for (int g = 0; g < 8; ++g) {
                char hex[8];
                std::snprintf(hex, sizeof hex, g ? ":%04x" : "%04x", group(random));
                a6[side] += hex;
            }
            unsigned char binary[16];
            char text[INET6_ADDRSTRLEN];
            BOOST_REQUIRE(inet_pton(AF_INET6, a6[side].c_str(), binary) == 1);
            BOOST_REQUIRE(inet_ntop(AF_INET6, binary, text, sizeof text));
            text6[side] = text;
        }
        auto sport = std::uint16_t(port(random)), dport = std::uint16_t(port(random));
        const std::string ports = " " + std::to_string(sport) + " " + std::to_string(dport);
        check_valid({"tcp4 random", "PROXY TCP4 " + a4[0] + " " + a4[1] + ports + "\r\n",
                     v1(proxy_family::inet, a4[0], a4[1], sport, dport)});
        check_valid({"tcp6 random", "PROXY TCP6 " + a6[0] + " " + a6[1] + ports + "\r\n",
                     v1(proxy_family::inet6, text6[0], text6[1], sport, dport)});
    }
}

// aiosmtpd's TestGetV1 invalid cases, then cases where aiosmtpd fails by a Python accident
// (marked "aiosmtpd:"), with the message chosen here.
BOOST_AUTO_TEST_CASE(feed_rejects_invalid_v1) {
    const std::string sig = "PROXY unrecognized signature";
    const std::vector<invalid_row> rows = {
        {"noproxy", "HELO example.org\r\n", sig, 1, 0},
        {"get_invalid_sig", "PROXI TCP4 1.2.3.4 5.6.7.8 9 10\r\n", sig, 5, 0},
        {"malformed_notproxy", "NOTPROX TCP4 1.2.3.4 5.6.7.8 65535 65535\r\n", sig, 1, 0},
        {"wrong case", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", sig, 1, 0},
        {"invalid_sig", "PROXY1 UNKNOWN whatevs\r\n", "PROXYv1 wrong signature", 0, 1},
        {"no space", "PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", "PROXYv1 wrong signature", 0, 1},
        {"family TCP5", "PROXY TCP5 123.123.123.123 231.231.231.231 80 90\r\n",
         "PROXYv1 unrecognized family", 0, 1},
        {"family TCP", "PROXY TCP 123.123.123.123 231.231.231.231 80 90\r\n",
         "PROXYv1 unrecognized family", 0, 1},
        {"UNKNOWNX", "PROXY UNKNOWNX\r\n", "PROXYv1 unrecognized family", 0, 1},
        {"empty protocol", "PROXY \r\n", "PROXYv1 unrecognized family", 0, 1},
        {"protocol UDP4", "PROXY UDP4 123.123.123.123 231.231.231.231 80 90\r\n",
         "PROXYv1 unrecognized protocol", 0, 1},
        {"protocol tcp4", "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", "PROXYv1 unrecognized protocol", 0,
         1},
        {"too_long", "PROXY UNKNOWN " + std::string(100, '*') + "\r\n", "PROXYv1 header too long",
         107, 1},
        {"108 bytes", "PROXY UNKNOWN " + std::string(92, '*') + "\r\n", "PROXYv1 header too long",
         107, 1},
        {"malformed_nocr", "PROXY UNKNOWN\n", "PROXYv1 malformed", 0, 1},
        {"bare LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "PROXYv1 malformed", 0, 1},
        {"wrongtype_64", "PROXY TCP6 1.2.3.4 5.6.7.8 65535 65535\r\n", "PROXYv1 address not IPv6",
         0, 1},
        {"wrongtype_46", "PROXY TCP4 " + ip6_dead + " " + ip6_cafe + " 65535 65535\r\n",
         "PROXYv1 address not IPv4", 0, 1},
        {"wrongtype_6mixed", "PROXY TCP6 1.2.3.4 " + ip6_cafe + " 65535 65535\r\n",
         "PROXYv1 address not IPv6", 0, 1},
        {"zeroleader", "PROXY TCP6 " + ip6_dead + " " + ip6_cafe + " 02501 25\r\n",
         "PROXYv1 port malformed", 0, 1},
        {"space1", "PROXY TCP6  " + ip6_dead + " " + ip6_cafe + " 1 2\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"space2", "PROXY TCP6 " + ip6_dead + "  " + ip6_cafe + " 1 2\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"space3", "PROXY TCP6 " + ip6_dead + " " + ip6_cafe + "  8080 2\r\n",
         "PROXYv1 port malformed", 0, 1},
        {"space4", "PROXY TCP6 " + ip6_dead + " " + ip6_cafe + " 1  0\r\n",
         "PROXYv1 port malformed", 0, 1},
        {"addr6s", "PROXY TCP6 2020:dead::000g " + ip6_cafe + " 1 2\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"addr6d", "PROXY TCP6 " + ip6_dead + " 2021:cafe::000h 1 2\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"extra space", "PROXY TCP6 " + ip6_dead + " " + ip6_cafe + " 0 25 \r\n",
         "PROXYv1 unrecognized extraneous data", 0, 1},
        {"extra text", "PROXY TCP6 " + ip6_dead + " " + ip6_cafe + " 0 25 text\r\n",
         "PROXYv1 unrecognized extraneous data", 0, 1},
        {"malformed_addr4", "PROXY TCP6 1.2.3.a 5.6.7.8 65535 65535\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"ports_oob", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 10200\r\n",
         "PROXYv1 src port out of bounds", 0, 1},
        {"portd_oob", "PROXY TCP6 " + ip6_dead + " " + ip6_cafe + " 10000 65536\r\n",
         "PROXYv1 dst port out of bounds", 0, 1},
        {"port huge", "PROXY TCP4 1.2.3.4 5.6.7.8 99999999999999999999 1\r\n",
         "PROXYv1 src port out of bounds", 0, 1},
        {"dst malformed beats src bounds", "PROXY TCP4 1.2.3.4 5.6.7.8 70000 x\r\n",
         "PROXYv1 port malformed", 0, 1},
        {"port sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", "PROXYv1 port malformed", 0, 1},
        {"port suffix", "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536x\r\n", "PROXYv1 port malformed", 0, 1},
        {"ipv4 leading zero", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", "PROXYv1 address malformed", 0,
         1},
        {"ipv4 over 255", "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", "PROXYv1 address malformed", 0,
         1},
        {"ipv4 three parts", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", "PROXYv1 address malformed", 0, 1},
        {"ipv4 five parts", "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n", "PROXYv1 address malformed", 0,
         1},
        {"ipv6 :::", "PROXY TCP6 ::: ::1 1 2\r\n", "PROXYv1 address malformed", 0, 1},
        {"ipv6 two ::", "PROXY TCP6 1::2::3 ::1 1 2\r\n", "PROXYv1 address malformed", 0, 1},
        {"ipv6 group too long", "PROXY TCP6 12345:: ::1 1 2\r\n", "PROXYv1 address malformed", 0,
         1},
        {"ipv6 nine groups", "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"ipv6 seven groups", "PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n", "PROXYv1 address malformed",
         0, 1},
        {"ipv6 :: for nothing", "PROXY TCP6 1:2:3:4::5:6:7:8 ::1 1 2\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"ipv6 leading colon", "PROXY TCP6 :1:2:3:4:5:6:7 ::1 1 2\r\n", "PROXYv1 address malformed",
         0, 1},
        {"ipv6 trailing colon", "PROXY TCP6 1:2:3:4:5:6:7: ::1 1 2\r\n",
         "PROXYv1 address malformed", 0, 1},
        {"ipv6 bad ipv4 tail", "PROXY TCP6 ::1.2.3.04 ::1 1 2\r\n", "PROXYv1 address malformed", 0,
         1},
        {"ipv6 zone", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", "PROXYv1 address malformed", 0, 1},
        // aiosmtpd: "PROXY exception: pop from an empty deque". A missing field reads as an empty
        // one, so it gets that field's message.
        {"no protocol", "PROXY\r\n", "PROXYv1 unrecognized family", 0, 1},
        {"no addresses", "PROXY TCP4\r\n", "PROXYv1 address malformed", 0, 1},
        {"no dst address", "PROXY TCP4 1.2.3.4\r\n", "PROXYv1 address malformed", 0, 1},
        {"no ports", "PROXY TCP4 1.2.3.4 5.6.7.8\r\n", "PROXYv1 port malformed", 0, 1},
        {"no dst port", "PROXY TCP4 1.2.3.4 5.6.7.8 80\r\n", "PROXYv1 port malformed", 0, 1},
        // aiosmtpd: int() accepts these, so the header passes.
        {"port underscore", "PROXY TCP4 1.2.3.4 5.6.7.8 1_000 25\r\n", "PROXYv1 port malformed", 0,
         1},
        {"port tab", "PROXY TCP4 1.2.3.4 5.6.7.8 8\t 25\r\n", "PROXYv1 port malformed", 0, 1},
        {"port CR", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", "PROXYv1 port malformed", 0, 1},
        // aiosmtpd: "PROXY exception: Separator is not found, and chunk exceed the limit".
        {"no LF at all", "PROXY " + std::string(2000, 'x'), "PROXYv1 header too long", 107, 1},
    };
    for (const auto& r : rows)
        check_invalid(r);
}

// aiosmtpd's TestGetV2 valid cases: UNSPEC empty and not, INET4, INET6 and UNIX with STREAM and
// DGRAM, with and without a tail, the UNSPEC fallbacks, and its captured header (test_1).
BOOST_AUTO_TEST_CASE(feed_accepts_valid_v2) {
    using F = proxy_family;
    using P = proxy_transport;
    std::vector<valid_row> rows = {
        {"UNSPEC empty", v2_header(local, 0x00, ""), fields(2)},
        {"UNSPEC notempty", v2_header(local, 0x00, "asdfghjkl"),
         fields(2).rest("asdfghjkl").tlv_start(16)},
    };
    for (P protocol : {P::stream, P::dgram}) {
        for (const std::string ttlv : {"", "fake_tlv"}) {
            const std::string suffix = std::string(protocol == P::stream ? " stream" : " dgram") +
                                       (ttlv.empty() ? "" : " tail");
            rows.push_back({"INET4" + suffix,
                            v2_header(local, fam(F::inet, protocol),
                                      ipv4(10, 212, 4, 33) + ipv4(10, 11, 12, 13) + be16(0) +
                                          be16(65535) + ttlv),
                            fields(2)
                                .family(F::inet)
                                .protocol(protocol)
                                .src_addr("10.212.4.33")
                                .dst_addr("10.11.12.13")
                                .src_port(0)
                                .dst_port(65535)
                                .rest(ttlv)
                                .tlv_start(ttlv.empty() ? 0u : 28u)});
            rows.push_back({"INET6" + suffix,
                            v2_header(local, fam(F::inet6, protocol),
                                      ipv6({0x2020, 0xdead, 0, 0, 0, 0, 0, 1}) +
                                          ipv6({0x2021, 0xcafe, 0, 0, 0, 0, 0, 0x22}) +
                                          be16(65534) + be16(8080) + ttlv),
                            fields(2)
                                .family(F::inet6)
                                .protocol(protocol)
                                .src_addr("2020:dead::1")
                                .dst_addr("2021:cafe::22")
                                .src_port(65534)
                                .dst_port(8080)
                                .rest(ttlv)
                                .tlv_start(ttlv.empty() ? 0u : 52u)});
            rows.push_back({"UNIX" + suffix,
                            v2_header(local, fam(F::unix_socket, protocol),
                                      unix_block("/proc/source") + unix_block("/proc/dest") + ttlv),
                            fields(2)
                                .family(F::unix_socket)
                                .protocol(protocol)
                                .src_addr("/proc/source")
                                .dst_addr("/proc/dest")
                                .rest(ttlv)
                                .tlv_start(ttlv.empty() ? 0u : 232u)});
        }
    }
    // Pairs with no address block: the whole tail is `rest`.
    const std::pair<F, P> fallbacks[] = {{F::unspec, P::stream},
                                         {F::unspec, P::dgram},
                                         {F::inet, P::unspec},
                                         {F::inet6, P::unspec},
                                         {F::unix_socket, P::unspec}};
    for (auto [family, protocol] : fallbacks) {
        rows.push_back(
            {"fallback UNSPEC " + std::to_string(fam(family, protocol)),
             v2_header(local, fam(family, protocol), "whatever"),
             fields(2).family(family).protocol(protocol).rest("whatever").tlv_start(16)});
    }
    // aiosmtpd's test_1, built here byte by byte; it must equal aiosmtpd's bytes.
    const std::string data1 = v2_header(proxy, fam(F::inet, P::stream),
                                        ipv4(127, 0, 0, 1) + ipv4(127, 0, 0, 1) + be16(45138) +
                                            be16(25253) + aiosmtpd_v2_data1_tlvs);
    BOOST_TEST(printable(data1) == printable(aiosmtpd_v2_data1));
    rows.push_back({"aiosmtpd test_1", data1,
                    fields(2)
                        .command(proxy_command::proxy)
                        .family(F::inet)
                        .protocol(P::stream)
                        .src_addr("127.0.0.1")
                        .dst_addr("127.0.0.1")
                        .src_port(45138)
                        .dst_port(25253)
                        .rest(aiosmtpd_v2_data1_tlvs)
                        .tlv_start(28)});
    // LOCAL with addresses is decoded anyway (aiosmtpd does not special-case it).
    rows.push_back({"LOCAL INET",
                    v2_header(local, fam(F::inet, P::stream),
                              ipv4(1, 2, 3, 4) + ipv4(5, 6, 7, 8) + be16(1) + be16(2)),
                    fields(2)
                        .family(F::inet)
                        .protocol(P::stream)
                        .src_addr("1.2.3.4")
                        .dst_addr("5.6.7.8")
                        .src_port(1)
                        .dst_port(2)});
    // A path filling its 108 bytes has no NUL: all of it is the path.
    const std::string long_path(108, 'p');
    rows.push_back({"UNIX full path",
                    v2_header(proxy, fam(F::unix_socket, P::stream), long_path + unix_block("")),
                    fields(2)
                        .command(proxy_command::proxy)
                        .family(F::unix_socket)
                        .protocol(P::stream)
                        .src_addr(long_path)});
    rows.push_back({"INET6 mapped",
                    v2_header(proxy, fam(F::inet6, P::stream),
                              ipv6({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304}) +
                                  ipv6({0, 0, 0, 0, 0, 0, 0, 0}) + be16(25) + be16(587)),
                    fields(2)
                        .command(proxy_command::proxy)
                        .family(F::inet6)
                        .protocol(P::stream)
                        .src_addr("::ffff:1.2.3.4")
                        .dst_addr("::")
                        .src_port(25)
                        .dst_port(587)});
    for (const auto& r : rows)
        check_valid(r);
}

// aiosmtpd's TestGetV2 invalid cases, each decided at the byte that carries the bad field.
BOOST_AUTO_TEST_CASE(feed_rejects_invalid_v2) {
    const std::string inet_block =
        ipv4(192, 168, 0, 11) + ipv4(172, 16, 0, 22) + be16(65534) + be16(8080);
    const std::vector<invalid_row> rows = {
        {"invalid_sig QUIP", "\r\n\r\n\0\r\nQUIP\n\x20\x00\x00\x00"s, "PROXYv2 wrong signature", 11,
         2},
        {"sig byte 6", "\r\n\r\n\0\n"s, "PROXYv2 wrong signature", 6, 2},
        {"first five", "\r\n\r\n\x01"s, "PROXY unrecognized signature", 5, 0},
        {"bare CRLF", "\r\nEHLO x\r\n", "PROXY unrecognized signature", 3, 0},
        {"illegal_ver 3", v2_header(0x30, 0x00, ""), "PROXYv2 illegal version", 13, 2},
        {"illegal_ver 1", v2_header(0x10, 0x00, ""), "PROXYv2 illegal version", 13, 2},
        {"unsupported_cmd", v2_header(0x22, 0x00, ""), "PROXYv2 unsupported command", 13, 2},
        {"unsupported_fam", v2_header(local, 0x40, ""), "PROXYv2 unsupported family", 14, 2},
        {"unsupported_proto", v2_header(local, 0x03, ""), "PROXYv2 unsupported protocol", 14, 2},
        {"wrong_proto_6shouldbe4", v2_header(local, 0x21, inet_block), "PROXYv2 truncated address",
         16, 2},
        {"INET empty", v2_header(proxy, 0x12, ""), "PROXYv2 truncated address", 16, 2},
        {"UNIX short", v2_header(proxy, 0x31, std::string(215, 'u')), "PROXYv2 truncated address",
         16, 2},
    };
    for (const auto& r : rows)
        check_invalid(r);
}

// The header's end is the parser's end: pipelined SMTP is left, and a later feed takes nothing.
BOOST_AUTO_TEST_CASE(feed_leaves_pipelined_bytes) {
    for (const std::string& header :
         {"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"s, aiosmtpd_v2_data1}) {
        // aiosmtpd's TEST_V2_DATA1_XTRA carries "Test data that is not part of PROXYv2.\n".
        const std::string extra = "Test data that is not part of PROXYv2.\n";
        proxy_parser parser;
        BOOST_TEST(parser.feed(header + extra) == header.size());
        BOOST_TEST(parser.done());
        BOOST_TEST(parser.result().valid());
        BOOST_TEST(parser.result().rest.find("not part of") == std::string::npos);
        BOOST_TEST(parser.feed(extra) == 0u);
    }
}

// The bounds on what is kept: a v1 line is given up at 107 bytes, however much more arrives; a
// v2 header takes its full 16 + 65535 bytes and not one more.
BOOST_AUTO_TEST_CASE(feed_bounds_header_size) {
    proxy_parser v1_parser;
    BOOST_TEST(v1_parser.feed("PROXY " + std::string(5000, 'x')) == proxy_parser::v1_max_size);
    BOOST_TEST(v1_parser.result().error == "PROXYv1 header too long");
    BOOST_TEST(v1_parser.result().whole_raw.size() == proxy_parser::v1_max_size);

    const std::string tlvs = tlv(0x04, std::string(65535 - 12 - 3, 'n'));
    const std::string header =
        v2_header(proxy, fam(proxy_family::inet, proxy_transport::stream),
                  ipv4(1, 1, 1, 1) + ipv4(2, 2, 2, 2) + be16(3) + be16(4) + tlvs);
    BOOST_TEST(header.size() == proxy_parser::v2_max_size);
    check_valid({"longest v2", header,
                 fields(2)
                     .command(proxy_command::proxy)
                     .family(proxy_family::inet)
                     .protocol(proxy_transport::stream)
                     .src_addr("1.1.1.1")
                     .dst_addr("2.2.2.2")
                     .src_port(3)
                     .dst_port(4)
                     .rest(tlvs)
                     .tlv_start(28)},
                false, 4099);
}

// The stream ends inside the header: aiosmtpd's test_get_cut_v1 and test_get_cut_v2, and the
// other places it can end.
BOOST_AUTO_TEST_CASE(feed_eof_reports_cut_header) {
    const std::string good_v1 = "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n";
    const std::string lost = "PROXY exception: Connection lost while waiting for ";
    struct row {
        std::string name;
        std::string input;
        std::string error;
        int version;
    };
    const std::vector<row> rows = {
        {"get_cut_v1", good_v1.substr(0, 20), "PROXYv1 malformed", 1},
        {"v1 signature only", "PROXY", "PROXYv1 malformed", 1},
        {"get_cut_v2", aiosmtpd_v2_data1.substr(0, 20), lost + "tail part", 2},
        {"v2 header", aiosmtpd_v2_data1.substr(0, 14), lost + "header", 2},
        {"v2 signature", aiosmtpd_v2_data1.substr(0, 8), lost + "signature", 2},
        // aiosmtpd: IncompleteReadError escapes get_proxy.
        {"nothing", "", lost + "signature", 0},
        {"three bytes", "PRO", lost + "signature", 0},
        {"v2 incomplete (aiosmtpd's commented-out case)", v2_signature + "\x20\x00\x00"s,
         lost + "header", 2},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.name) {
            const outcome got = feed_every_way(r.input, false, true);
            BOOST_TEST(got.done);
            BOOST_TEST(got.data.error == r.error);
            BOOST_TEST(got.data.version == r.version);
            BOOST_TEST(!got.data.valid());
        }
    }
    // After the header, EOF changes nothing.
    proxy_parser parser;
    parser.feed(good_v1);
    parser.feed_eof();
    BOOST_TEST(parser.result().valid());
}

// aiosmtpd's TestProxyData and TestProxyTLV: validity, and TLVs read all or nothing.
BOOST_AUTO_TEST_CASE(tlv_reads_aiosmtpd_vectors) {
    BOOST_TEST(!proxy_data{}.valid());                             // invalid_version
    BOOST_TEST(!proxy_data(fields(1).error("SomeError")).valid()); // invalid_error
    BOOST_TEST(proxy_data(fields(1)).valid());

    proxy_data none = fields(2); // tlv_none
    BOOST_TEST(none.tlvs_valid());
    BOOST_TEST(!none.authority());
    BOOST_TEST(!none.ssl());

    proxy_data fake = fields(2).rest("fake_tlv"); // tlv_fake
    BOOST_TEST(!fake.tlvs_valid());
    BOOST_TEST(!fake.tlv(std::uint8_t('f')));

    proxy_data one = fields(2).rest(aiosmtpd_tlv_1); // tlv_1, TestProxyTLV.test_1
    BOOST_TEST(one.tlvs_valid());
    BOOST_TEST(!one.alpn());
    BOOST_TEST(!one.noop());
    BOOST_TEST(!one.ssl_cn());
    BOOST_TEST(!one.netns());
    BOOST_TEST(one.authority().value_or("-") == "AUTHORITI");
    BOOST_TEST(one.tlv(0x03).value_or("-") == "Z\xfd\xc6\xff");
    BOOST_TEST(one.crc32c().value_or(0) == 0x5AFDC6FFu);
    BOOST_TEST(one.unique_id().value_or("-") == "UNIKUE_ID");
    BOOST_TEST(one.ssl());
    BOOST_TEST(one.ssl_client().value_or(0) == 1);
    BOOST_TEST(one.ssl_verify().value_or(99) == 0u);
    BOOST_TEST(one.ssl_version().value_or("-") == "TLSv1.3");
    BOOST_TEST(one.ssl_cipher().value_or("-") == "ECDHE-RSA-AES256-CBC-SHA384");
    BOOST_TEST(one.ssl_sig_alg().value_or("-") == "RSA-SHA256");
    BOOST_TEST(one.ssl_key_alg().value_or("-") == "RSA4096");
    // Sub-TLVs live inside the SSL TLV, not at the top level.
    BOOST_TEST(!one.tlv(0x21));

    proxy_data two = fields(2).rest(aiosmtpd_tlv_2); // TestProxyTLV.test_2
    BOOST_TEST(!two.alpn());
    BOOST_TEST(two.authority().value_or("-") == "AUTHORIT2");
    BOOST_TEST(two.unique_id().value_or("-") == "UNIQUEID2");
    BOOST_TEST(two.netns().value_or("-") == "something");
    BOOST_TEST(two.ssl());
    BOOST_TEST(two.ssl_version().value_or("-") == "TLSv1.3");

    // test_eq: the order of the TLVs does not matter.
    proxy_data ab = fields(2).rest(tlv(0x03, "Z\xfd\xc6\xff") + tlv(0x02, "AUTHORITI"));
    proxy_data ba = fields(2).rest(tlv(0x02, "AUTHORITI") + tlv(0x03, "Z\xfd\xc6\xff"));
    for (std::uint8_t type : {0x02, 0x03})
        BOOST_TEST(ab.tlv(type).value_or("-") == ba.tlv(type).value_or("+"));

    // test_unknowntype_notstrict: an unregistered type is still readable.
    proxy_data unknown = fields(2).rest("\xff\x00\x04yeah"s);
    BOOST_TEST(unknown.tlv(0xFF).value_or("-") == "yeah");

    // A type given twice: the last wins, as in aiosmtpd's dict.
    proxy_data twice = fields(2).rest(tlv(0x01, "h2") + tlv(0x01, "smtp"));
    BOOST_TEST(twice.alpn().value_or("-") == "smtp");

    // Malformed areas hide every TLV (aiosmtpd's .tlv is None): test_parse_partial,
    // test_malformed_ssl_partialok and _notpartialok (partial parsing is not offered), an SSL TLV
    // too short for its fixed part, and a cut TLV head (aiosmtpd reads "\x04" as an empty NOOP).
    const std::vector<std::string> malformed = {
        "\x03\x00\x04Z\xfd\xc6\xff\x02\x00\tAUTHORITI\x05\x00\tUNIKUE_I"s,
        "\x20\x00\x17\x01\x02\x03\x04\x05\x21\x00\x07version\x22\x00\x09trunc"s,
        "\x20\x00\x0D\x01\x02\x03\x04\x05\x21\x00\x07version\x22\x00\x09trunc"s,
        tlv(0x02, "AUTHORITY") + tlv(0x20, "\x01\x00"s),
        tlv(0x02, "AUTHORITY") + "\x04"s,
        tlv(0x02, "AUTHORITY") + "\x04\x00"s,
    };
    for (const auto& rest : malformed) {
        BOOST_TEST_CONTEXT(printable(rest)) {
            proxy_data d = fields(2).rest(rest);
            BOOST_TEST(!d.tlvs_valid());
            BOOST_TEST(!d.authority());
            BOOST_TEST(!d.crc32c());
            BOOST_TEST(!d.ssl());
            BOOST_TEST(!d.ssl_version());
        }
    }

    // v1 has no TLVs, even when the text after UNKNOWN would parse as some.
    proxy_data text = fields(1).rest(tlv(0x02, "AUTHORITY"));
    BOOST_TEST(!text.tlvs_valid());
    BOOST_TEST(!text.authority());
}

// TLVs read from a parsed header, with every registered type and a certificate-bearing SSL TLV.
BOOST_AUTO_TEST_CASE(tlv_reads_parsed_header) {
    const std::string ssl =
        tlv(0x20, ssl_value(0x07, 0x01020304,
                            tlv(0x21, "TLSv1.3") + tlv(0x22, "client.example") +
                                tlv(0x23, "TLS_AES_256_GCM_SHA384") + tlv(0x24, "ECDSA-SHA256") +
                                tlv(0x25, "EC256") + tlv(0x26, "x25519")));
    const std::string tlvs = tlv(0x04, "") + tlv(0x01, "smtp") + tlv(0x02, "mx.example") +
                             tlv(0x05, std::string(128, 'u')) + ssl + tlv(0x30, "blue") +
                             tlv(0xE0, "custom");
    proxy_parser parser;
    const std::string header =
        v2_header(proxy, fam(proxy_family::inet6, proxy_transport::stream),
                  ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}) +
                      ipv6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 2}) + be16(50000) + be16(25) + tlvs);
    BOOST_TEST(parser.feed(header) == header.size());
    const proxy_data& d = parser.result();
    BOOST_TEST(d.valid());
    BOOST_TEST(d.tlv_start == 52u);
    BOOST_TEST(printable(d.whole_raw.substr(d.tlv_start)) == printable(tlvs));
    BOOST_TEST(d.tlvs_valid());
    BOOST_TEST(d.noop().value_or("-") == "");
    BOOST_TEST(d.alpn().value_or("-") == "smtp");
    BOOST_TEST(d.authority().value_or("-") == "mx.example");
    BOOST_TEST(d.unique_id().value_or("-") == std::string(128, 'u'));
    BOOST_TEST(d.netns().value_or("-") == "blue");
    BOOST_TEST(d.tlv(0xE0).value_or("-") == "custom");
    BOOST_TEST(!d.crc32c());
    BOOST_TEST(d.ssl());
    BOOST_TEST(d.ssl_client().value_or(0) == 0x07);
    BOOST_TEST(d.ssl_verify().value_or(0) == 0x01020304u);
    BOOST_TEST(d.ssl_version().value_or("-") == "TLSv1.3");
    BOOST_TEST(d.ssl_cn().value_or("-") == "client.example");
    BOOST_TEST(d.ssl_cipher().value_or("-") == "TLS_AES_256_GCM_SHA384");
    BOOST_TEST(d.ssl_sig_alg().value_or("-") == "ECDSA-SHA256");
    BOOST_TEST(d.ssl_key_alg().value_or("-") == "EC256");
    BOOST_TEST(d.ssl_tlv(0x26).value_or("-") == "x25519");

    // A malformed TLV area does not make the header invalid (aiosmtpd parses TLVs lazily).
    proxy_parser lax;
    const std::string bad = v2_header(proxy, 0x00, "\x01\x00\x09short"s);
    BOOST_TEST(lax.feed(bad) == bad.size());
    BOOST_TEST(lax.result().valid());
    BOOST_TEST(!lax.result().tlvs_valid());
}

// aiosmtpd's test_backmap, and the "xNN" names of unregistered types.
BOOST_AUTO_TEST_CASE(tlv_names_map_both_ways) {
    const std::vector<std::pair<int, std::string>> rows = {
        {0x01, "ALPN"},       {0x02, "AUTHORITY"},   {0x03, "CRC32C"},      {0x04, "NOOP"},
        {0x05, "UNIQUE_ID"},  {0x20, "SSL"},         {0x21, "SSL_VERSION"}, {0x22, "SSL_CN"},
        {0x23, "SSL_CIPHER"}, {0x24, "SSL_SIG_ALG"}, {0x25, "SSL_KEY_ALG"}, {0x30, "NETNS"},
    };
    for (const auto& [type, name] : rows) {
        BOOST_TEST(smtp::proxy_tlv_name(std::uint8_t(type)) == name);
        BOOST_TEST(smtp::proxy_tlv_type_from_name(name).value_or(0) == type);
    }
    BOOST_TEST(!smtp::proxy_tlv_type_from_name("wrongname"));
    BOOST_TEST(!smtp::proxy_tlv_type_from_name("xFF"));
    BOOST_TEST(smtp::proxy_tlv_name(0xFF) == "xFF");
    BOOST_TEST(smtp::proxy_tlv_name(0x0A) == "x0A");
}

// Published CRC32C check values (RFC 3720 B.4, and the "123456789" check of the catalogue), and
// that a sum continues across pieces.
BOOST_AUTO_TEST_CASE(crc32c_matches_known_vectors) {
    using smtp::detail::crc32c;
    BOOST_TEST(crc32c("123456789") == 0xE3069283u);
    BOOST_TEST(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
    BOOST_TEST(crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
    std::string ascending, descending;
    for (int i = 0; i < 32; ++i)
        ascending += char(i), descending += char(31 - i);
    BOOST_TEST(crc32c(ascending) == 0x46DD794Eu);
    BOOST_TEST(crc32c(descending) == 0x113FDB5Cu);
    BOOST_TEST(crc32c("") == 0u);
    smtp::detail::crc32c_sum pieces;
    pieces.process_bytes("1234", 4);
    pieces.process_bytes("56789", 5);
    BOOST_TEST(pieces.checksum() == 0xE3069283u);
}

// With checking asked for, a CRC32C TLV must hold the sum of the header with its own four bytes
// as zeros; without, any value passes (aiosmtpd never checks).
BOOST_AUTO_TEST_CASE(feed_verifies_crc32c_when_asked) {
    using smtp::detail::crc32c;
    // Builds a header whose CRC32C TLV sits after other TLVs and holds the right sum.
    auto with_sum = [](const std::string& before, const std::string& after) {
        const std::string addresses = ipv4(10, 0, 0, 1) + ipv4(10, 0, 0, 2) + be16(1234) + be16(25);
        std::string header =
            v2_header(proxy, fam(proxy_family::inet, proxy_transport::stream),
                      addresses + before + tlv(0x03, std::string(4, '\0')) + after);
        std::uint32_t sum = crc32c(header);
        std::size_t at = 16 + addresses.size() + before.size() + 3;
        for (int i = 0; i < 4; ++i)
            header[at + i] = char((sum >> (24 - 8 * i)) & 0xFF);
        return header;
    };
    const std::string good = with_sum(tlv(0x02, "mx.example"), tlv(0x05, "id-1"));
    std::string tampered = good;
    tampered[tampered.size() - 1] ^= 0x01; // in the UNIQUE_ID value
    std::string wrong_sum = good;
    wrong_sum[16 + 12 + 13 + 3] ^= 0x80; // in the CRC32C value itself

    auto expected = [](const std::string& header) {
        proxy_data d = fields(2)
                           .command(proxy_command::proxy)
                           .family(proxy_family::inet)
                           .protocol(proxy_transport::stream)
                           .src_addr("10.0.0.1")
                           .dst_addr("10.0.0.2")
                           .src_port(1234)
                           .dst_port(25)
                           .rest(header.substr(28))
                           .tlv_start(28);
        return d;
    };
    check_valid({"right sum", good, expected(good)}, true);
    check_valid({"aiosmtpd test_1 (its sum is right)", aiosmtpd_v2_data1,
                 fields(2)
                     .command(proxy_command::proxy)
                     .family(proxy_family::inet)
                     .protocol(proxy_transport::stream)
                     .src_addr("127.0.0.1")
                     .dst_addr("127.0.0.1")
                     .src_port(45138)
                     .dst_port(25253)
                     .rest(aiosmtpd_v2_data1_tlvs)
                     .tlv_start(28)},
                true);
    // Off by default: a wrong sum passes.
    check_valid({"tampered, unchecked", tampered, expected(tampered)}, false);
    check_valid({"wrong sum, unchecked", wrong_sum, expected(wrong_sum)}, false);

    const std::string mismatch = "PROXYv2 CRC32C mismatch";
    check_invalid({"tampered", tampered, mismatch, 0, 2}, true);
    check_invalid({"wrong sum", wrong_sum, mismatch, 0, 2}, true);
    // A CRC32C TLV that is not 4 bytes long cannot match.
    check_invalid({"short CRC32C TLV", v2_header(proxy, 0x00, tlv(0x03, "abc")), mismatch, 0, 2},
                  true);
    // No CRC32C TLV, or a malformed area that hides it: nothing to check.
    check_valid({"no CRC32C TLV", v2_header(proxy, 0x00, tlv(0x02, "x")),
                 fields(2).command(proxy_command::proxy).rest(tlv(0x02, "x")).tlv_start(16)},
                true);
    check_valid({"malformed area", v2_header(proxy, 0x00, tlv(0x03, "abcd") + "\x02\x00"s),
                 fields(2)
                     .command(proxy_command::proxy)
                     .rest(tlv(0x03, "abcd") + "\x02\x00"s)
                     .tlv_start(16)},
                true);
}

BOOST_AUTO_TEST_SUITE_END()
