#include <smtp/detail/utf8.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <string>
#include <string_view>

// The one UTF-8 validator (decode::utf8, the address parser, the Debugging handler), checked
// against RFC 3629 spelled out: decode the code point, then refuse overlong forms, surrogates
// and values past U+10FFFF.

namespace {

std::size_t reference_length(std::string_view s) {
    const auto c = static_cast<unsigned char>(s[0]);
    std::size_t n = 0;
    unsigned cp = 0;
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0)
        n = 2, cp = c & 0x1Fu;
    else if ((c & 0xF0) == 0xE0)
        n = 3, cp = c & 0x0Fu;
    else if ((c & 0xF8) == 0xF0)
        n = 4, cp = c & 0x07u;
    else
        return 0;
    if (s.size() < n) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (b & 0x3Fu);
    }
    constexpr unsigned shortest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < shortest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

bool reference_valid(std::string_view s) {
    while (!s.empty()) {
        const std::size_t n = reference_length(s);
        if (n == 0) return false;
        s.remove_prefix(n);
    }
    return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(utf8)

BOOST_AUTO_TEST_CASE(utf8_length_matches_rfc_3629) {
    // Every lead and second byte; the later bytes from around the continuation range's edges.
    constexpr unsigned char edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                       0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    std::size_t mismatches = 0;
    std::string s(4, '\0');
    for (unsigned lead = 0; lead < 256; ++lead)
        for (unsigned second = 0; second < 256; ++second) {
            // Below 0xC0 the lead byte alone decides: a few second bytes are enough.
            if (lead < 0xC0 && second != 0x41 && second != 0x80 && second != 0xC3) continue;
            for (unsigned char third : edges)
                for (unsigned char fourth : edges) {
                    s = {char(lead), char(second), char(third), char(fourth)};
                    for (std::size_t size = 1; size <= 4; ++size) {
                        const std::string_view piece(s.data(), size);
                        const std::size_t expected = reference_length(piece);
                        mismatches += smtp::detail::utf8_length(piece, 0) != expected;
                        mismatches += smtp::detail::is_valid_utf8(piece) != reference_valid(piece);
                    }
                }
        }
    BOOST_TEST(mismatches == 0u);
}

BOOST_AUTO_TEST_CASE(is_valid_utf8_reads_the_whole_text) {
    BOOST_TEST(smtp::detail::is_valid_utf8(""));
    BOOST_TEST(smtp::detail::is_valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80."));
    BOOST_TEST(!smtp::detail::is_valid_utf8("caf\xc3\xa9 \xc3"));      // cut short at the end
    BOOST_TEST(!smtp::detail::is_valid_utf8("\xe2\x82\xac\x80 text")); // a stray continuation
    BOOST_TEST(smtp::detail::utf8_length("a\xc3\xa9", 1) == 2u);
    BOOST_TEST(smtp::detail::utf8_length("a\xc3\xa9", 2) == 0u); // the middle of a sequence
}

BOOST_AUTO_TEST_SUITE_END()
