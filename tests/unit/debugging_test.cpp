#include <smtp/handlers/debugging.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// aiosmtpd's Debugging output, byte for byte (its tests/test_handlers.py).

namespace {
smtp::session peer_session() {
    smtp::session s;
    s.peer = {smtp::peer_address::family_type::ipv4, "127.0.0.1", 40000};
    return s;
}
} // namespace

BOOST_AUTO_TEST_SUITE(debugging)

BOOST_AUTO_TEST_CASE(format_headers_then_peer_then_body) {
    smtp::envelope<> env;
    env.original_content = "From: Anne Person <anne@example.com>\r\nTo: Bart Person "
                           "<bart@example.com>\r\nSubject: A test\r\n\r\nTesting\r\n";
    BOOST_TEST(smtp::handlers::debugging::format(peer_session(), env) ==
               "---------- MESSAGE FOLLOWS ----------\n"
               "From: Anne Person <anne@example.com>\n"
               "To: Bart Person <bart@example.com>\n"
               "Subject: A test\n"
               "X-Peer: ('127.0.0.1', 40000)\n"
               "\n"
               "Testing\n"
               "------------ END MESSAGE ------------\n");
}

BOOST_AUTO_TEST_CASE(format_mail_options_and_separator) {
    smtp::envelope<> env;
    env.mail_options = {"SIZE=100", "BODY=8BITMIME"};
    env.original_content = "Subject: x\r\n\r\nbody\r\n";
    BOOST_TEST(smtp::handlers::debugging::format(peer_session(), env) ==
               "---------- MESSAGE FOLLOWS ----------\n"
               "mail options: ['SIZE=100', 'BODY=8BITMIME']\n"
               "\n"
               "Subject: x\n"
               "X-Peer: ('127.0.0.1', 40000)\n"
               "\n"
               "body\n"
               "------------ END MESSAGE ------------\n");
}

BOOST_AUTO_TEST_CASE(format_no_blank_line_no_peer) {
    smtp::envelope<> env;
    env.original_content = "just\rone\nline\r\n";
    BOOST_TEST(smtp::handlers::debugging::format(peer_session(), env) ==
               "---------- MESSAGE FOLLOWS ----------\n"
               "just\none\nline\n"
               "------------ END MESSAGE ------------\n");
}

BOOST_AUTO_TEST_CASE(format_invalid_utf8_replaced) {
    smtp::envelope<> env;
    env.original_content = "a\xff"
                           "b \xc3\xa9\r\n";
    auto text = smtp::handlers::debugging::format(peer_session(), env);
    BOOST_TEST(text.find("a\xEF\xBF\xBD"
                         "b \xc3\xa9\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(format_ipv6_peer) {
    smtp::session s;
    s.peer = {smtp::peer_address::family_type::ipv6, "::1", 25};
    smtp::envelope<> env;
    env.original_content = "A: b\r\n\r\n";
    BOOST_TEST(smtp::handlers::debugging::format(s, env).find("X-Peer: ('::1', 25, 0, 0)\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(from_cli_arguments) {
    BOOST_CHECK_NO_THROW(smtp::handlers::debugging::from_cli({}));
    std::vector<std::string> out{"stdout"}, err{"stderr"}, bad{"foo"}, two{"stdout", "stderr"};
    BOOST_CHECK_NO_THROW(smtp::handlers::debugging::from_cli(out));
    BOOST_CHECK_NO_THROW(smtp::handlers::debugging::from_cli(err));
    BOOST_CHECK_THROW(smtp::handlers::debugging::from_cli(bad), smtp::usage_error);
    BOOST_CHECK_THROW(smtp::handlers::debugging::from_cli(two), smtp::usage_error);
}

BOOST_AUTO_TEST_SUITE_END()
