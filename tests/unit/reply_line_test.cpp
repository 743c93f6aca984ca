#include <smtp/detail/reply_line.hpp>

#include <boost/test/unit_test.hpp>

#include <string_view>

// The one reply-line grammar behind reply::parse and the client's reply_parser.

BOOST_AUTO_TEST_SUITE(reply_line)

BOOST_AUTO_TEST_CASE(parse_reply_line_table) {
    struct row {
        std::string_view line;
        bool valid;
        int code;
        bool more;
        std::string_view text;
    };
    const row rows[] = {
        {"250 OK", true, 250, false, "OK"},
        {"250-first", true, 250, true, "first"},
        {"354", true, 354, false, ""},
        {"421 ", true, 421, false, ""},
        {"550-", true, 550, true, ""},
        {"199 x", true, 199, false, "x"},
        {"599 x", true, 599, false, "x"},
        {"099 x", false, 0, false, ""}, // the first digit is 1 to 5
        {"600 x", false, 0, false, ""},
        {"25 OK", false, 0, false, ""},
        {"25a OK", false, 0, false, ""},
        {"250OK", false, 0, false, ""},
        {"250\tOK", false, 0, false, ""},
        {"", false, 0, false, ""},
    };
    for (const auto& r : rows) {
        auto parsed = smtp::detail::parse_reply_line(r.line);
        BOOST_TEST(parsed.has_value() == r.valid, r.line);
        if (!parsed || !r.valid) continue;
        BOOST_TEST(parsed->code == r.code, r.line);
        BOOST_TEST(parsed->more == r.more, r.line);
        BOOST_TEST(parsed->text == r.text, r.line);
    }
}

BOOST_AUTO_TEST_SUITE_END()
