#include <smtp/detail/reply_line.hpp>

#include <boost/test/unit_test.hpp>

#include <string_view>

// The one reply-line grammar behind reply::parse and the client's reply_parser.

BOOST_AUTO_TEST_SUITE(reply_line)

BOOST_AUTO_TEST_CASE(parse_reply_line_splits_code_separator_and_text) {
    struct row {
        std::string_view line;
        int code;
        bool more;
        std::string_view text;
    };
    const row rows[] = {
        {"250 OK", 250, false, "OK"}, {"250-first", 250, true, "first"}, {"354", 354, false, ""},
        {"421 ", 421, false, ""},     {"550-", 550, true, ""},           {"199 x", 199, false, "x"},
        {"599 x", 599, false, "x"},
    };
    for (const auto& r : rows) {
        auto parsed = smtp::detail::parse_reply_line(r.line);
        BOOST_TEST_REQUIRE(parsed.has_value(), r.line);
        BOOST_TEST(parsed->code == r.code, r.line);
        BOOST_TEST(parsed->more == r.more, r.line);
        BOOST_TEST(parsed->text == r.text, r.line);
    }
}

BOOST_AUTO_TEST_CASE(parse_reply_line_refuses_other_lines) {
    // The first digit is 1 to 5; the code is three digits, then ' ', '-' or the end.
    for (std::string_view line : {"099 x", "600 x", "25 OK", "25a OK", "250OK", "250\tOK", ""})
        BOOST_TEST(!smtp::detail::parse_reply_line(line).has_value(), line);
}

BOOST_AUTO_TEST_SUITE_END()
