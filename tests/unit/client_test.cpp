#include <smtp/client.hpp>
#include <smtp/detail/dot_stuff.hpp>
#include <smtp/detail/reply_parser.hpp>

#include "reply_printer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

// The client's sans-I/O parts: reply lines, EHLO extensions, dot-stuffing. The client over
// sockets is tested in tests/integration/client_test.cpp.

using status = smtp::detail::reply_parser::status;
using strings = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(client)

BOOST_AUTO_TEST_CASE(reply_parser_single_line) {
    smtp::detail::reply_parser p;
    BOOST_TEST((p.feed("250 2.0.0 OK") == status::done));
    BOOST_TEST(p.take() == (smtp::reply{250, "2.0.0 OK"}));
    BOOST_TEST((p.feed("354") == status::done)); // a code alone is a reply
    BOOST_TEST(p.take() == (smtp::reply{354, ""}));
}

BOOST_AUTO_TEST_CASE(reply_parser_multi_line_keeps_enhanced_codes) {
    smtp::detail::reply_parser p;
    BOOST_TEST((p.feed("550-5.1.1 first") == status::more));
    BOOST_TEST((p.feed("550-5.1.1 second") == status::more));
    BOOST_TEST((p.feed("550 5.1.1 last") == status::done));
    BOOST_TEST(p.take() == (smtp::reply{550, "5.1.1 first\n5.1.1 second\n5.1.1 last"}));
    // It starts over after take().
    BOOST_TEST((p.feed("221 Bye") == status::done));
    BOOST_TEST(p.take().code == 221);
}

BOOST_AUTO_TEST_CASE(reply_parser_rejects_malformed_lines) {
    for (std::string line : {"", "25", "abc hello", "250x", "650 no", "2a0 x", "099 x"}) {
        smtp::detail::reply_parser p;
        BOOST_TEST((p.feed(line) == status::invalid), line);
    }
    smtp::detail::reply_parser p;
    BOOST_TEST((p.feed("250-first") == status::more));
    BOOST_TEST((p.feed("251 other code") == status::invalid));
}

BOOST_AUTO_TEST_CASE(extensions_parse_keywords_and_parameters) {
    auto ext = smtp::extensions::parse(
        {250, "mx.test greets you\nSIZE 1000\n8BITMIME\nauth PLAIN login\nSTARTTLS\nX-OWN a b"});
    BOOST_TEST(ext.has("size"));
    BOOST_TEST(ext.has("STARTTLS"));
    BOOST_TEST(ext.has("8bitmime"));
    BOOST_TEST(!ext.has("mx.test"));
    BOOST_TEST(!ext.has("PIPELINING"));
    BOOST_TEST(ext.parameters("X-OWN").value() == "a b");
    BOOST_TEST(ext.parameters("STARTTLS").value() == "");
    BOOST_TEST(!ext.parameters("NOPE").has_value());
    BOOST_TEST(ext.size_limit().value() == 1000u);
    BOOST_TEST(ext.auth_mechanisms() == (strings{"PLAIN", "LOGIN"}));
    BOOST_TEST(ext.all().size() == 5u);
    BOOST_TEST(ext.all()[2].first == "AUTH");
}

BOOST_AUTO_TEST_CASE(extensions_old_auth_equals_form_and_no_size_limit) {
    auto ext = smtp::extensions::parse({250, "mx\nAUTH=LOGIN PLAIN\nAUTH LOGIN CRAM-MD5\nSIZE"});
    BOOST_TEST(ext.auth_mechanisms() == (strings{"LOGIN", "PLAIN", "CRAM-MD5"}));
    BOOST_TEST(!ext.size_limit().has_value());
    BOOST_TEST(smtp::extensions::parse({250, "mx\nSIZE 0"}).size_limit().has_value() == false);
    BOOST_TEST(smtp::extensions::parse({250, "mx"}).all().empty());
}

BOOST_AUTO_TEST_CASE(dot_stuff_doubles_leading_dots_and_ends_the_data) {
    auto m = smtp::detail::dot_stuff("Subject: x\r\n\r\n.hidden\r\n..two\r\nmid.dot\r\n.\r\n");
    BOOST_TEST(m.wire == "Subject: x\r\n\r\n..hidden\r\n...two\r\nmid.dot\r\n..\r\n.\r\n");
    BOOST_TEST(m.size == m.wire.size() - 3 - 3); // minus the end mark and the 3 added dots
    BOOST_TEST(!m.eight_bit);
}

BOOST_AUTO_TEST_CASE(dot_stuff_normalizes_line_breaks) {
    // A lone LF or CR is a line break on the wire: "\n.\n" cannot end the data anywhere.
    auto m = smtp::detail::dot_stuff("a\nb\rc\r\n.\nlast");
    BOOST_TEST(m.wire == "a\r\nb\r\nc\r\n..\r\nlast\r\n.\r\n");
    BOOST_TEST(m.size == std::string("a\r\nb\r\nc\r\n.\r\nlast\r\n").size());
}

BOOST_AUTO_TEST_CASE(dot_stuff_empty_and_first_line_dot) {
    BOOST_TEST(smtp::detail::dot_stuff("").wire == ".\r\n");
    BOOST_TEST(smtp::detail::dot_stuff("").size == 0u);
    BOOST_TEST(smtp::detail::dot_stuff(".").wire == "..\r\n.\r\n");
    BOOST_TEST(smtp::detail::dot_stuff("x\r\n").wire == "x\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(dot_stuff_notices_eight_bit_content) {
    BOOST_TEST(smtp::detail::dot_stuff("Gr\xc3\xbc\xc3\x9f"
                                       "e\r\n")
                   .eight_bit);
}

BOOST_AUTO_TEST_CASE(send_result_lists_refusals) {
    smtp::send_result r;
    r.mail = smtp::reply::ok();
    r.recipients = {{"a@x", {250, "OK"}}, {"b@x", {550, "5.1.1 no"}}, {"c@x", {451, "later"}}};
    r.data = {250, "queued"};
    BOOST_TEST(r.sent());
    auto refused = r.refused();
    BOOST_TEST_REQUIRE(refused.size() == 2u);
    BOOST_TEST(refused[0].address == "b@x");
    BOOST_TEST(refused[1].reply.code == 451);
}

BOOST_AUTO_TEST_CASE(client_error_describes_the_refusal) {
    smtp::client_error e("AUTH PLAIN", {535, "5.7.8 Authentication credentials invalid"});
    BOOST_TEST(std::string(e.what()) ==
               "smtp::client: AUTH PLAIN failed: 535 5.7.8 Authentication credentials invalid");
    BOOST_TEST(e.server_reply().code == 535);
    BOOST_TEST(e.command() == "AUTH PLAIN");
    smtp::client_error local("AUTH", {}, "the server does not offer AUTH");
    BOOST_TEST(std::string(local.what()) ==
               "smtp::client: AUTH failed: the server does not offer AUTH");
}

BOOST_AUTO_TEST_SUITE_END()
