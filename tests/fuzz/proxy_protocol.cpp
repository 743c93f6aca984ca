// libFuzzer target: the PROXY protocol v1/v2 header reader (detail::proxy_parser) and the
// address and TLV helpers behind it.
//
// Input layout: bytes 0-2 are three split points (fractions n/256 of the rest); the rest is the
// start of a connection's byte stream. It is fed whole, in those pieces and one octet at a time,
// with and without CRC32C verification. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/detail/proxy_protocol.hpp>
#include <smtp/proxy_protocol.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace {

using smtp::proxy_data;
using smtp::detail::proxy_parser;

struct outcome {
    proxy_data data;
    bool done;
    std::size_t used; // octets the header took
    friend bool operator==(const outcome&, const outcome&) = default;
};

outcome feed(bool verify, const std::vector<std::string_view>& pieces, bool eof) {
    proxy_parser parser(verify);
    std::size_t used = 0;
    for (std::string_view piece : pieces) {
        // Its own exactly-sized buffer: ASan sees any read past the piece.
        std::vector<char> copy(piece.begin(), piece.end());
        const std::string_view bytes(copy.data(), copy.size());
        const bool was_done = parser.done();
        const std::size_t n = parser.feed(bytes);
        FUZZ_CHECK(n <= piece.size());
        if (was_done) FUZZ_CHECK(n == 0);
        if (!parser.done()) FUZZ_CHECK(n == piece.size()); // an unfinished header takes it all
        used += n;
    }
    if (eof && !parser.done()) {
        parser.feed_eof();
        FUZZ_CHECK(parser.done());
        FUZZ_CHECK(!parser.result().error.empty());
    }
    return {parser.result(), parser.done(), used};
}

// Every accessor, so that ASan and UBSan see them on whatever the header held.
void touch_accessors(const proxy_data& d) {
    const bool tlvs = d.tlvs_valid();
    if (!tlvs) {
        FUZZ_CHECK(!d.tlv(smtp::proxy_tlv_type::alpn) && !d.ssl() && !d.crc32c());
        return;
    }
    (void)d.alpn(), (void)d.authority(), (void)d.noop(), (void)d.unique_id(), (void)d.netns();
    if (auto crc = d.crc32c()) FUZZ_CHECK(d.tlv(smtp::proxy_tlv_type::crc32c)->size() == 4);
    if (d.ssl()) {
        FUZZ_CHECK(d.ssl_client().has_value() && d.ssl_verify().has_value());
        (void)d.ssl_version(), (void)d.ssl_cn(), (void)d.ssl_cipher(), (void)d.ssl_sig_alg();
        (void)d.ssl_key_alg();
    }
    for (unsigned type = 0; type < 256; type += 17)
        (void)d.tlv(std::uint8_t(type));
}

void check_outcome(const outcome& o, std::string_view stream) {
    const proxy_data& d = o.data;
    FUZZ_CHECK(o.used <= stream.size());
    // whole_raw is exactly the octets taken, as received.
    FUZZ_CHECK(d.whole_raw == stream.substr(0, o.used));
    FUZZ_CHECK(d.whole_raw.size() <= proxy_parser::v2_max_size);
    if (!o.done) {
        FUZZ_CHECK(o.used == stream.size());
        return;
    }
    if (d.version == 1) FUZZ_CHECK(d.whole_raw.size() <= proxy_parser::v1_max_size);
    if (!d.valid()) {
        FUZZ_CHECK(!d.error.empty() || d.version == 0);
        return;
    }
    FUZZ_CHECK(d.version == 1 || d.version == 2);
    if (d.version == 1) {
        FUZZ_CHECK(d.whole_raw.starts_with("PROXY ") && d.whole_raw.ends_with("\r\n"));
        FUZZ_CHECK(d.tlv_start == 0);
    } else {
        FUZZ_CHECK(d.whole_raw.size() >= 16);
        const std::size_t length =
            (std::size_t(std::uint8_t(d.whole_raw[14])) << 8) | std::uint8_t(d.whole_raw[15]);
        FUZZ_CHECK(d.whole_raw.size() == 16 + length);
        if (!d.rest.empty()) FUZZ_CHECK(d.whole_raw.substr(d.tlv_start) == d.rest);
    }
    // The address texts are canonical: they parse back to themselves.
    const bool inet = d.family == smtp::proxy_family::inet;
    for (const std::string* addr : {&d.src_addr, &d.dst_addr}) {
        if ((inet || d.family == smtp::proxy_family::inet6) && !addr->empty()) {
            auto address = smtp::detail::proxy_address_from_text(*addr);
            FUZZ_CHECK(address && address->is_v4() == inet &&
                       smtp::detail::ip_address_to_text(*address) == *addr);
        }
    }
    touch_accessors(d);
}

// The text helpers on their own: what parses prints canonically, and the canonical text parses
// back to the same bytes.
void check_address_text(std::string_view text) {
    if (auto address = smtp::detail::proxy_address_from_text(text)) {
        const std::string printed = smtp::detail::ip_address_to_text(*address);
        // IPv4 has no leading zeros, so the text was already canonical.
        if (address->is_v4()) FUZZ_CHECK(printed == text);
        auto again = smtp::detail::proxy_address_from_text(printed);
        FUZZ_CHECK(again && *again == *address);
        FUZZ_CHECK(smtp::detail::ip_address_to_text(*again) == printed);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    const std::uint8_t cuts[3] = {data[0], data[1], data[2]};
    const std::string_view stream = smtp_fuzz::as_text(data + 3, size - 3);
    std::string_view split[4];
    smtp_fuzz::split_points(stream, cuts, split);
    const std::vector<std::string_view> pieces(std::begin(split), std::end(split));
    std::vector<std::string_view> octets;
    if (stream.size() <= 1024)
        for (std::size_t i = 0; i < stream.size(); ++i)
            octets.push_back(stream.substr(i, 1));

    outcome by_verify[2];
    for (bool verify : {false, true}) {
        for (bool eof : {false, true}) {
            const outcome whole = feed(verify, {stream}, eof);
            check_outcome(whole, stream);
            // However the stream arrives, the header and its verdict are the same.
            FUZZ_CHECK(feed(verify, pieces, eof) == whole);
            if (stream.size() <= 1024) FUZZ_CHECK(feed(verify, octets, eof) == whole);
            if (!eof) by_verify[verify] = whole;
        }
    }
    // Verifying the CRC32C only ever adds its own refusal.
    if (by_verify[true].data.valid()) FUZZ_CHECK(by_verify[false].data.valid());
    if (by_verify[false].data.valid() && !by_verify[true].data.valid())
        FUZZ_CHECK(by_verify[true].data.error == "PROXYv2 CRC32C mismatch");

    // The helpers: address texts (the line's fields) and the incremental CRC32C.
    std::string_view line = stream.substr(0, 128);
    for (std::size_t from = 0; from <= line.size();) {
        const std::size_t end = std::min(line.find_first_of(" \r\n", from), line.size());
        check_address_text(line.substr(from, end - from));
        from = end + 1;
    }
    const std::size_t half = stream.size() / 2;
    smtp::detail::crc32c_sum halves;
    halves.process_bytes(stream.data(), half);
    halves.process_bytes(stream.data() + half, stream.size() - half);
    FUZZ_CHECK(smtp::detail::crc32c(stream) == halves.checksum());
    return 0;
}
