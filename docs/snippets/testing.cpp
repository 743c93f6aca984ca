// docs/testing.md: a handler tested with smtp::testing::session. Built and run with the unit
// tests (tests/CMakeLists.txt adds it to smtp_unit_tests), so the guide's test passes.
#include <smtp/testing/session.hpp>

#include <boost/test/unit_test.hpp>

#include <span>
#include <string>
#include <string_view>

// [testing-handler]
// The handler under test: mail for example.com only.
struct example_com_only {
    int delivered = 0;

    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& envelope,
                            std::string_view address, std::span<const std::string> options) {
        if (!address.ends_with("@example.com")) return {550, "5.7.1 Relaying denied"};
        envelope.add_recipient(address, options);
        return smtp::reply::ok();
    }
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        ++delivered;
        return {250, "2.0.0 Delivered"};
    }
};
// [testing-handler]

// [testing-test]
BOOST_AUTO_TEST_SUITE(testing_guide)

BOOST_AUTO_TEST_CASE(accepts_mail_for_example_com_only) {
    smtp::testing::session<example_com_only> s{{}, {.hostname = "mx.test"}};
    BOOST_TEST(s.ehlo().has_line("8BITMIME")); // reads the greeting, then EHLO
    BOOST_TEST(s.mail("anne@elsewhere.org").code == 250);
    BOOST_TEST(s.rcpt("bart@elsewhere.org").code == 550);
    BOOST_TEST(s.rcpt("cate@example.com").code == 250);
    BOOST_TEST(s.data("Subject: hi\n\nHello.\n").text() == "2.0.0 Delivered");
    BOOST_TEST(s.handler().delivered == 1); // the server's handler, read in the test's thread
    BOOST_TEST(s.quit().code == 221);
}

BOOST_AUTO_TEST_SUITE_END()
// [testing-test]
