#include <smtp/detail/ascii.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// The one copy of the ASCII case and class helpers every parser uses.

using smtp::detail::iequals;
using smtp::detail::istarts_with;

// Keyword comparisons happen in static_asserts (parameters.hpp): they must stay constexpr.
static_assert(iequals("mt-Priority", "MT-PRIORITY"));
static_assert(!iequals("SIZE", "SIZ"));
static_assert(istarts_with("from:<a@b>", "FROM:"));

BOOST_AUTO_TEST_SUITE(ascii)

BOOST_AUTO_TEST_CASE(case_changes_only_ascii_letters) {
    std::string text = "aZ09-_@[`{\xc3\xa9\xff";
    smtp::detail::to_upper(text);
    BOOST_TEST(text == "AZ09-_@[`{\xc3\xa9\xff");
    smtp::detail::to_lower(text);
    BOOST_TEST(text == "az09-_@[`{\xc3\xa9\xff");
    for (int c = 0; c < 256; ++c) {
        const char ch = char(c);
        const bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
        BOOST_TEST(smtp::detail::ascii_upper(ch) == (lower ? char(c - 32) : ch));
        BOOST_TEST(smtp::detail::ascii_lower(ch) == (upper ? char(c + 32) : ch));
        BOOST_TEST(smtp::detail::is_digit(ch) == (c >= '0' && c <= '9'));
        BOOST_TEST(smtp::detail::is_alnum(ch) == (lower || upper || (c >= '0' && c <= '9')));
    }
}

BOOST_AUTO_TEST_CASE(iequals_ignores_ascii_case_alone) {
    BOOST_TEST(iequals("", ""));
    BOOST_TEST(iequals("Subject", "sUBJECT"));
    BOOST_TEST(!iequals("Subject", "Subjects"));
    BOOST_TEST(!iequals("@", "`")); // 0x40 and 0x60 differ by the case bit, but are no letters
    BOOST_TEST(!iequals("\xc3\xa9", "\xc3\x89")); // é and É: not ASCII
}

BOOST_AUTO_TEST_CASE(istarts_with_compares_the_prefix) {
    BOOST_TEST(istarts_with("auth plain", "AUTH "));
    BOOST_TEST(istarts_with("AUTH", ""));
    BOOST_TEST(!istarts_with("AUT", "AUTH"));
    BOOST_TEST(!istarts_with("AUTHX", "AUTH "));
}

BOOST_AUTO_TEST_SUITE_END()
