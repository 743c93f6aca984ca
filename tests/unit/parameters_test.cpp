#include <smtp/detail/parameters.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using smtp::detail::check_mail_parameters;
using status = smtp::detail::mail_parameters::status;

namespace {
status check(const std::string& rest, bool body = true, bool utf8 = false,
             std::size_t limit = 1000) {
    std::vector<std::string> tokens;
    smtp::detail::split_parameters(rest, tokens);
    smtp::detail::mail_parameters out;
    return check_mail_parameters(tokens, body, utf8, limit, out);
}
} // namespace

BOOST_AUTO_TEST_SUITE(parameters)

BOOST_AUTO_TEST_CASE(split_upper_cases_tokens) {
    std::vector<std::string> tokens{"stale"};
    smtp::detail::split_parameters("  size=10\tBody=8bitmime  ", tokens);
    BOOST_TEST(tokens == (std::vector<std::string>{"SIZE=10", "BODY=8BITMIME"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(mail_parameter_table) {
    struct row {
        std::string rest;
        bool body, utf8;
        status expected;
    };
    const row rows[] = {
        {"", true, false, status::ok},
        {"SIZE=1000", true, false, status::ok},
        {"SIZE=1001", true, false, status::too_big},
        {"SIZE=10 SIZE=2000", true, false, status::too_big}, // the last one wins
        {"SIZE=2000 SIZE=10", true, false, status::ok},
        {"SIZE=1x", true, false, status::syntax},
        {"SIZE", true, false, status::syntax},
        {"SIZE=", true, false, status::syntax},
        {"=5", true, false, status::syntax},
        {"X-Y=1", true, false, status::syntax},
        {"BODY=7BIT", true, false, status::ok},
        {"BODY=8BITMIME", true, false, status::ok},
        {"BODY=BINARYMIME", true, false, status::bad_body},
        {"BODY", true, false, status::bad_body},
        {"BODY=7BIT", false, false, status::unknown}, // decode::utf8 does not offer 8BITMIME
        {"SMTPUTF8", true, false, status::smtputf8_off},
        {"SMTPUTF8", true, true, status::ok},
        {"SMTPUTF8=1", true, true, status::smtputf8_value},
        {"AUTH=<>", true, false, status::unknown},
        {"RET=HDRS", true, false, status::unknown},
        {"BODY=BAD SIZE=99999", true, false, status::bad_body}, // aiosmtpd checks BODY first
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.rest) {
            BOOST_TEST((check(r.rest, r.body, r.utf8) == r.expected));
        }
    }
}

BOOST_AUTO_TEST_CASE(size_without_limit_accepts_anything_numeric) {
    BOOST_TEST((check("SIZE=999999999999999999999999999", true, false, 0) == status::ok));
}

BOOST_AUTO_TEST_CASE(rcpt_parameters) {
    std::vector<std::string> tokens;
    smtp::detail::split_parameters("NOTIFY=NEVER", tokens);
    BOOST_TEST((smtp::detail::check_rcpt_parameters(tokens) ==
                smtp::detail::rcpt_parameters_status::unknown));
    smtp::detail::split_parameters("A-B", tokens);
    BOOST_TEST((smtp::detail::check_rcpt_parameters(tokens) ==
                smtp::detail::rcpt_parameters_status::syntax));
    smtp::detail::split_parameters("", tokens);
    BOOST_TEST(
        (smtp::detail::check_rcpt_parameters(tokens) == smtp::detail::rcpt_parameters_status::ok));
}

BOOST_AUTO_TEST_SUITE_END()
