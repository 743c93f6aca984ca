#include <smtp/tls.hpp>

#include "certificates.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

// server::set_tls: certificates replaced while serving. New handshakes (STARTTLS and implicit
// TLS) get the new context; a session already under TLS keeps its own.

using smtp_test::certificates;

namespace {

using smtp_test::tls_options;

std::shared_ptr<smtp::tls_context> renewed() {
    const auto& certs = certificates::get();
    return smtp::tls_context::from_files(certs.other_cert, certs.other_key);
}

smtp_test::test_client upgraded(smtp_test::running<smtp_test::recorder>& r) {
    auto c = r.ehloed();
    BOOST_TEST_REQUIRE(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
    c.start_tls();
    return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(set_tls)

BOOST_AUTO_TEST_CASE(new_handshakes_use_the_new_context) {
    smtp_test::running<smtp_test::recorder> r(tls_options());
    auto before = upgraded(r);
    BOOST_TEST(before.server_certificate_subject() == "/CN=mx.test");
    auto old_context = r.controller.server().tls();
    r.controller.server().set_tls(renewed());
    BOOST_TEST(r.controller.server().tls() != old_context);
    auto after = upgraded(r);
    BOOST_TEST(after.server_certificate_subject() == "/CN=other.test");
    // The session that began before goes on.
    BOOST_TEST(before.command("EHLO x").starts_with("250-"));
    BOOST_TEST(before.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(before.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    BOOST_TEST(before.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(before.command("kept\r\n.") == "250 OK\r\n");
    BOOST_TEST(r.handler().contents() == std::vector<std::string>{"kept\r\n"});
}

BOOST_AUTO_TEST_CASE(implicit_tls_too) {
    smtp_test::running<smtp_test::recorder> r(tls_options(), {}, smtp_test::loopback(true));
    r.controller.server().set_tls(renewed());
    auto c = r.connected();
    c.start_tls();
    BOOST_TEST(c.server_certificate_subject() == "/CN=other.test");
    BOOST_TEST(c.read_reply().starts_with("220 mx.test "));
}

BOOST_AUTO_TEST_CASE(refused_without_tls_or_with_null) {
    smtp_test::running<smtp_test::recorder> plain;
    BOOST_CHECK_THROW(plain.controller.server().set_tls(renewed()), std::invalid_argument);
    smtp_test::running<smtp_test::recorder> r(tls_options());
    BOOST_CHECK_THROW(r.controller.server().set_tls(nullptr), std::invalid_argument);
    BOOST_TEST(upgraded(r).server_certificate_subject() == "/CN=mx.test");
}

BOOST_AUTO_TEST_SUITE_END()
