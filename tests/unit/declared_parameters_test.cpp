#include <smtp/detail/offline_session.hpp>
#include <smtp/parameters.hpp>

#include "wire_lines.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

// MAIL and RCPT parameters a handler declares (smtp::parameters), on the session state machine:
// the server checks their syntax and value rule, runs their check, advertises them, and passes
// them on with their value's case kept. Everything undeclared stays as aiosmtpd has it.

namespace {

struct tag { // optional value, no check, nothing advertised
    static constexpr std::string_view keyword = "X-TAG";
    static constexpr smtp::parameter_value value = smtp::parameter_value::optional;
};
struct deliver_by { // value required by default; advertised
    static constexpr std::string_view keyword = "BY";
    static constexpr std::string_view ehlo = "DELIVERBY 120";
    static smtp::reply check(std::string_view v) {
        if (!v.empty() && v.find_first_not_of("0123456789;RNrn") == std::string_view::npos)
            return {};
        return {553, "5.5.4 Error: BY wants <seconds>;R|N"};
    }
};
struct hold {
    static constexpr std::string_view keyword = "X-HOLD";
    static constexpr smtp::parameter_value value = smtp::parameter_value::none;
    static constexpr std::string_view ehlo = "X-HOLD";
};

using mail_set = smtp::parameters<tag, deliver_by>;
using rcpt_set = smtp::parameters<hold>;

using session_type = smtp::detail::offline_session<>;

session_type make_session(bool enhanced = false) {
    smtp::options o;
    o.hostname = "mx.test";
    o.enhanced_status_codes = enhanced;
    return session_type(o, "mx.test",
                        {.mail_parameters = mail_set::rules, .rcpt_parameters = rcpt_set::rules});
}

std::string run(session_type& s, const std::string& input) {
    s.take_output();
    s.feed(input);
    return s.take_output();
}

using wire_lines::ok;
const std::string syntax = "501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(declared_parameters)

BOOST_AUTO_TEST_CASE(rules_are_computed_at_compile_time) {
    static_assert(mail_set::rules.size() == 2);
    static_assert(mail_set::rules[0].keyword == "X-TAG");
    static_assert(mail_set::rules[0].check == nullptr);
    static_assert(mail_set::rules[1].value == smtp::parameter_value::required);
    static_assert(mail_set::rules[1].ehlo == "DELIVERBY 120");
    static_assert(smtp::parameters<>::rules.empty());
    BOOST_TEST(mail_set::rules[1].check("1;R").empty());
}

BOOST_AUTO_TEST_CASE(ehlo_lists_what_they_advertise) {
    auto s = make_session();
    BOOST_TEST(run(s, "EHLO c\r\n") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-DELIVERBY 120\r\n"
               "250-X-HOLD\r\n250 HELP\r\n");
}

BOOST_AUTO_TEST_CASE(accepted_with_value_case_kept) {
    auto s = make_session();
    run(s, "EHLO c\r\n");
    BOOST_TEST(run(s, "MAIL FROM:<a@x> x-tag=MixedCase by=60;r SIZE=10\r\n") == ok);
    BOOST_TEST(s.current_envelope().mail_options ==
                   (std::vector<std::string>{"X-TAG=MixedCase", "BY=60;r", "SIZE=10"}),
               boost::test_tools::per_element());
    BOOST_TEST(run(s, "RCPT TO:<b@x> X-Hold\r\n") == ok);
    BOOST_TEST(s.current_envelope().rcpt_options == std::vector<std::string>{"X-HOLD"},
               boost::test_tools::per_element());
    BOOST_TEST(run(s, "RSET\r\nMAIL FROM:<a@x> X-TAG\r\n") == ok + ok); // optional value
}

BOOST_AUTO_TEST_CASE(refusals) {
    struct row {
        std::string command;
        std::string reply;
    };
    const std::vector<row> rows = {
        {"MAIL FROM:<a@x> BY=soon", "553 5.5.4 Error: BY wants <seconds>;R|N\r\n"},
        {"MAIL FROM:<a@x> BY", "501 Error: BY needs a value\r\n"},
        {"MAIL FROM:<a@x> BY=", syntax},       // KEY= without a value
        {"MAIL FROM:<a@x> X-TAG=a=b", syntax}, // '=' is not an esmtp-value character
        {"MAIL FROM:<a@x> X-TAG=a X-TAG=b", "501 Error: duplicate X-TAG parameter\r\n"},
        {"MAIL FROM:<a@x> X-OTHER=1", syntax}, // undeclared with '-': aiosmtpd's 501
        {"MAIL FROM:<a@x> OTHER=1",
         "555 MAIL FROM parameters not recognized or not implemented\r\n"},
        {"MAIL FROM:<a@x> X-HOLD", syntax}, // an RCPT parameter on MAIL
        {"MAIL FROM:<a@x> NOTIFY=NEVER",    // DSN is off
         "555 MAIL FROM parameters not recognized or not implemented\r\n"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.command) {
            auto s = make_session();
            run(s, "EHLO c\r\n");
            BOOST_TEST(run(s, r.command + "\r\n") == r.reply);
            BOOST_TEST(s.current_envelope().mail_from.empty());
        }
    }
    auto s = make_session();
    run(s, "EHLO c\r\nMAIL FROM:<a@x>\r\n");
    BOOST_TEST(run(s, "RCPT TO:<b@x> X-HOLD=1\r\n") == "501 Error: X-HOLD takes no arguments\r\n");
    BOOST_TEST(run(s, "RCPT TO:<b@x> X-TAG=1\r\n") ==
               "501 Syntax: RCPT TO: <address> [SP <mail-parameters>]\r\n");
    BOOST_TEST(run(s, "RCPT TO:<b@x> NOTIFY=NEVER\r\n") ==
               "555 RCPT TO parameters not recognized or not implemented\r\n");
    BOOST_TEST(s.current_envelope().rcpt_tos.empty());
}

BOOST_AUTO_TEST_CASE(enhanced_codes) {
    auto s = make_session(true);
    run(s, "EHLO c\r\n");
    BOOST_TEST(run(s, "MAIL FROM:<a@x> BY\r\n") == "501 5.5.4 Error: BY needs a value\r\n");
    BOOST_TEST(run(s, "MAIL FROM:<a@x> BY=x\r\n") == "553 5.5.4 Error: BY wants <seconds>;R|N\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
