#include <smtp/decode.hpp>

#include "reply_printer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

BOOST_AUTO_TEST_SUITE(decode)

BOOST_AUTO_TEST_CASE(utf8_validation_table) {
    struct row {
        std::string text;
        bool valid;
    };
    const row rows[] = {
        {"plain ascii", true},
        {"\xc3\xa9", true},
        {"\xe2\x82\xac", true},
        {"\xf0\x9f\x98\x80", true},
        {"\xc0\xaf", false},         // overlong
        {"\xed\xa0\x80", false},     // surrogate
        {"\xf4\x90\x80\x80", false}, // past U+10FFFF
        {"\xc3", false},             // truncated
        {"\xff", false},
    };
    for (const auto& r : rows)
        BOOST_TEST(smtp::decode::is_valid_utf8(r.text) == r.valid);
}

BOOST_AUTO_TEST_CASE(bytes_views_original) {
    std::string original = "a\xff";
    smtp::decode::bytes::content_type out;
    BOOST_TEST(smtp::decode::bytes::decode(original, out, false).empty());
    BOOST_TEST((out.data() == original.data()));
}

BOOST_AUTO_TEST_CASE(utf8_ascii_only_without_smtputf8) {
    smtp::decode::utf8::content_type out;
    BOOST_TEST(smtp::decode::utf8::decode("caf\xc3\xa9", out, false) ==
               (smtp::reply{500, "Error: strict ASCII mode"}));
    BOOST_TEST(smtp::decode::utf8::decode("caf\xc3\xa9", out, true).empty());
    BOOST_TEST(smtp::decode::utf8::decode("caf\xc3", out, true) ==
               (smtp::reply{500, "Error: invalid UTF-8"}));
}

BOOST_AUTO_TEST_SUITE_END()
