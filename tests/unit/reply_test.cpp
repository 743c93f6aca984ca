#include <smtp/reply.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

BOOST_AUTO_TEST_SUITE(reply)

BOOST_AUTO_TEST_CASE(write_single_line) {
    std::string out;
    smtp::reply{250, "OK"}.write_to(out);
    BOOST_TEST(out == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(write_multi_line_normalised) {
    std::string out;
    smtp::reply{250, "first\nsecond\r\nthird"}.write_to(out);
    BOOST_TEST(out == "250-first\r\n250-second\r\n250 third\r\n");
}

// aiosmtpd echoes a bare CR from the client's command into its reply; a client that ends
// lines at CR would then read the rest as a second reply.
BOOST_AUTO_TEST_CASE(write_turns_a_cr_inside_a_line_into_a_space) {
    std::string out;
    smtp::reply::write_to(out, 500, "Error: command \"FOO\r250 OK\" not recognized\r");
    BOOST_TEST(out == "500 Error: command \"FOO 250 OK\" not recognized\r\n");
}

BOOST_AUTO_TEST_CASE(write_out_of_range_code_becomes_451) {
    std::string out;
    smtp::reply{42, "odd"}.write_to(out);
    BOOST_TEST(out == "451 odd\r\n");
}

BOOST_AUTO_TEST_CASE(parse_wire_forms) {
    struct row {
        const char* wire;
        int code;
        const char* text;
    };
    const row rows[] = {
        {"250 OK", 250, "OK"},
        {"250 OK\r\n", 250, "OK"},
        {"250-first\r\n250 second", 250, "first\nsecond"},
        {"550", 550, ""},
        {"554 5.7.1 Denied", 554, "5.7.1 Denied"},
        {"no code here", 451, "no code here"},
        {"2500 bad", 451, "2500 bad"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.wire) {
            auto parsed = smtp::reply::parse(r.wire);
            BOOST_TEST(parsed.code == r.code);
            BOOST_TEST(parsed.text == r.text);
        }
    }
}

BOOST_AUTO_TEST_CASE(empty_and_positive) {
    smtp::reply none;
    BOOST_TEST(none.empty());
    BOOST_TEST(smtp::reply::ok().positive());
    smtp::reply refusal{550, "no"};
    BOOST_TEST(!refusal.positive());
}

BOOST_AUTO_TEST_SUITE_END()
