#include <smtp/received.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>

// The Received: trace header: RFC 3848 keywords, Postfix's TLS comment, `for` with one recipient,
// the RFC 5322 date, XFORWARD's original client.

namespace {

// 2026-12-03 19:13:58 UTC, a Thursday.
const auto when = std::chrono::system_clock::time_point(std::chrono::seconds(1796325238));

smtp::session client() {
    smtp::session s;
    s.peer = {smtp::peer_address::family_type::ipv4, "192.0.2.7", 4000};
    s.host_name = "client.example";
    s.extended_smtp = true;
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(received)

BOOST_AUTO_TEST_CASE(with_keywords_of_rfc_3848) {
    smtp::session s = client();
    BOOST_TEST(smtp::received_protocol(s, false) == "ESMTP");
    s.ssl = std::make_shared<const smtp::tls_info>();
    BOOST_TEST(smtp::received_protocol(s, false) == "ESMTPS");
    s.authenticated = true;
    BOOST_TEST(smtp::received_protocol(s, false) == "ESMTPSA");
    BOOST_TEST(smtp::received_protocol(s, true) == "LMTPSA");
    s.ssl = nullptr;
    BOOST_TEST(smtp::received_protocol(s, false) == "ESMTPA");
    BOOST_TEST(smtp::received_protocol(s, true) == "LMTPA");
    s.extended_smtp = false;
    s.authenticated = false;
    BOOST_TEST(smtp::received_protocol(s, false) == "SMTP");
    BOOST_TEST(smtp::received_protocol(s, true) == "LMTP");
}

BOOST_AUTO_TEST_CASE(date_is_rfc_5322) {
    BOOST_TEST(smtp::rfc5322_date(when) == "Thu, 03 Dec 2026 19:13:58 +0000");
}

BOOST_AUTO_TEST_CASE(header_as_postfix_writes_it) {
    smtp::session s = client();
    s.ssl = std::make_shared<const smtp::tls_info>(
        smtp::tls_info{.version = "TLSv1.3", .cipher = "TLS_AES_256_GCM_SHA384"});
    s.authenticated = true;
    smtp::envelope<> env;
    env.rcpt_tos = {"bob@example.com"};
    env.message_id = "4F3A9C2B";
    BOOST_TEST(smtp::received_header(s, env, "mx.example", false, when) ==
               "Received: from client.example (unknown [192.0.2.7])\r\n"
               "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
               "\tby mx.example with ESMTPSA id 4F3A9C2B\r\n"
               "\tfor <bob@example.com>; Thu, 03 Dec 2026 19:13:58 +0000\r\n");
    env.rcpt_tos.push_back("carl@example.com"); // two recipients: no `for`
    env.message_id.clear();
    s = client();
    s.peer = {smtp::peer_address::family_type::ipv6, "2001:db8::7", 4000};
    s.xclient = std::make_shared<const smtp::forwarded_client>(
        smtp::forwarded_client{.name = "mail.client.example"});
    BOOST_TEST(smtp::received_header(s, env, "mx.example", false, when) ==
               "Received: from client.example (mail.client.example [IPv6:2001:db8::7])\r\n"
               "\tby mx.example with ESMTP; Thu, 03 Dec 2026 19:13:58 +0000\r\n");
}

BOOST_AUTO_TEST_CASE(xforward_names_the_original_client) {
    smtp::session s = client();
    smtp::envelope<> env;
    env.rcpt_tos = {"bob@example.com"};
    env.xforward = std::make_shared<const smtp::forwarded_client>(smtp::forwarded_client{
        .name = "origin.example", .addr = "198.51.100.2", .proto = "ESMTP", .helo = "origin"});
    s.id = "S1";
    BOOST_TEST(smtp::received_header(s, env, "mx.example", false, when) ==
               "Received: from origin (origin.example [198.51.100.2])\r\n"
               "\tby mx.example with ESMTP id S1\r\n"
               "\tfor <bob@example.com>; Thu, 03 Dec 2026 19:13:58 +0000\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
