#include <smtp/tls.hpp>

#include "certificates.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>

// STARTTLS and implicit TLS over loopback: upgrades, the new session, the injection fix, SNI,
// client certificates, and handshakes that fail in every way.

using smtp_test::certificates;
using smtp_test::test_client;

namespace {

using smtp_test::tls_options;

const std::string plain_ehlo = "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n"
                               "250-STARTTLS\r\n250 HELP\r\n";
const std::string tls_ehlo = "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n"
                             "250-AUTH LOGIN PLAIN\r\n250 HELP\r\n";

// Says what TLS the session has, and accepts alice/secret.
struct tls_facts {
    smtp::reply handle_NOOP(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                            std::string_view) {
        if (!s.ssl) return {250, "plaintext"};
        return {250, s.ssl->version + " sni=" + s.ssl->server_name +
                         " peer=" + (s.ssl->peer_certificate ? s.ssl->peer_subject : "none") +
                         " verified=" + (s.ssl->peer_verified ? "yes" : "no")};
    }
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& lp) {
        return lp.password == "secret" ? smtp::auth_result::accept() : smtp::auth_result::reject();
    }
};

using tls_server = smtp_test::running<tls_facts>;

// Connected, greeted, EHLO'd in plaintext, and upgraded by STARTTLS.
template <class Handler>
test_client upgraded(smtp_test::running<Handler>& r, const std::string& sni = {}) {
    auto c = r.greeted();
    BOOST_TEST_REQUIRE(c.command("EHLO x") == plain_ehlo);
    BOOST_TEST_REQUIRE(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
    c.start_tls(sni);
    return c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(starttls_upgrades_and_offers_auth) {
    tls_server r(tls_options());
    auto c = upgraded(r);
    BOOST_TEST(c.command("EHLO x") == tls_ehlo); // no STARTTLS, and AUTH now
    BOOST_TEST(c.command("NOOP").starts_with("250 TLSv1."));
    BOOST_TEST(c.command("AUTH PLAIN AGFsaWNlAHNlY3JldA==") ==
               "235 2.7.0 Authentication successful\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<d@e.f>") == "250 OK\r\n");
    BOOST_TEST(c.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(c.command("over tls\r\n.") == "250 OK\r\n");
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
}

// RFC 3207 §4.2: everything known before TLS is forgotten; the client must greet again.
BOOST_AUTO_TEST_CASE(starttls_starts_a_new_session) {
    tls_server r(tls_options());
    auto c = r.greeted();
    c.command("EHLO x");
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
    BOOST_TEST(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
    c.start_tls();
    BOOST_TEST(c.command("RCPT TO:<d@e.f>") == "503 Error: send HELO first\r\n");
    c.command("EHLO x");
    BOOST_TEST(c.command("RCPT TO:<d@e.f>") == "503 Error: need MAIL command\r\n");
}

// CVE-2024-34083: commands pipelined after STARTTLS in plaintext must never run.
BOOST_AUTO_TEST_CASE(cve_2024_34083_starttls_command_injection) {
    tls_server r(tls_options());
    auto c = r.greeted();
    c.command("EHLO x");
    c.send("STARTTLS\r\nEHLO evil\r\nMAIL FROM:<evil@example.com>\r\n");
    BOOST_TEST(c.read_reply() == "220 Ready to start TLS\r\n");
    c.start_tls();
    // Were the injected commands run, this would answer "503 nested" or see greeted state.
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "503 Error: send HELO first\r\n");
    BOOST_TEST(c.command("EHLO x") == tls_ehlo);
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(starttls_inside_tls_refused) {
    tls_server r(tls_options());
    auto c = upgraded(r);
    BOOST_TEST(c.command("STARTTLS") == "503 5.5.1 Error: TLS already active\r\n");
    BOOST_TEST(c.command("NOOP").starts_with("250 TLSv1."));
}

BOOST_AUTO_TEST_CASE(starttls_without_context_or_with_argument) {
    smtp::options o;
    o.hostname = "mx.test";
    tls_server r(o);
    auto c = r.greeted();
    BOOST_TEST(c.command("EHLO x") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
    BOOST_TEST(c.command("STARTTLS") == "454 TLS not available\r\n");
    tls_server t(tls_options());
    auto d = t.greeted();
    BOOST_TEST(d.command("STARTTLS now") == "501 Syntax: STARTTLS\r\n");
    BOOST_TEST(d.command("HELP") ==
               "250 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET "
               "STARTTLS VRFY\r\n");
}

BOOST_AUTO_TEST_CASE(require_starttls_blocks_until_tls) {
    auto o = tls_options();
    o.require_starttls = true;
    tls_server r(o);
    auto c = r.greeted();
    const std::string must = "530 Must issue a STARTTLS command first\r\n";
    BOOST_TEST(c.command("HELO x") == must);
    BOOST_TEST(c.command("EHLO x") == plain_ehlo);
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == must);
    BOOST_TEST(c.command("FOO") == must); // and it spends no unknown-command budget
    BOOST_TEST(c.command("NOOP") == "250 plaintext\r\n");
    BOOST_TEST(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
    c.start_tls();
    c.command("EHLO x");
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
}

struct refuses_tls : tls_facts {
    bool handle_STARTTLS(smtp::connection&, smtp::session& s, smtp::envelope<>&) {
        return s.ssl && s.ssl->peer_certificate; // only clients with a certificate
    }
};

BOOST_AUTO_TEST_CASE(handle_starttls_false_refuses_commands) {
    smtp_test::running<refuses_tls> r(tls_options());
    auto c = upgraded(r);
    const std::string refused = "554 Command refused due to lack of security\r\n";
    BOOST_TEST(c.command("EHLO x") == refused);
    BOOST_TEST(c.command("NOOP") == refused);
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
}

BOOST_AUTO_TEST_CASE(issue_274_smtps_offers_auth_and_sets_session_ssl) {
    tls_server r(tls_options(), {}, smtp_test::loopback(true));
    auto c = r.connected();
    c.start_tls();
    BOOST_TEST(c.read_reply().starts_with("220 mx.test "));
    BOOST_TEST(c.command("EHLO x") == tls_ehlo); // AUTH offered (aiosmtpd: not under SMTPS)
    BOOST_TEST(c.command("NOOP").starts_with("250 TLSv1.")); // session.ssl set (aiosmtpd: None)
    BOOST_TEST(c.command("AUTH PLAIN AGFsaWNlAHNlY3JldA==") ==
               "235 2.7.0 Authentication successful\r\n");
    BOOST_TEST(c.command("STARTTLS") == "503 5.5.1 Error: TLS already active\r\n");
}

BOOST_AUTO_TEST_CASE(sni_chooses_certificate) {
    const auto& certs = certificates::get();
    auto o = tls_options();
    o.tls->add_sni("Other.Test", certs.other_cert, certs.other_key);
    tls_server r(o);
    auto c = upgraded(r, "other.test");
    BOOST_TEST(c.server_certificate_subject() == "/CN=other.test");
    BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni=other.test peer=none verified=no\r\n");
    auto d = upgraded(r, "unknown.test");
    BOOST_TEST(d.server_certificate_subject() == "/CN=mx.test");
    auto e = upgraded(r);
    BOOST_TEST(e.server_certificate_subject() == "/CN=mx.test");
}

BOOST_AUTO_TEST_CASE(client_certificates_verified_when_configured) {
    const auto& certs = certificates::get();
    auto o = tls_options();
    o.tls->verify_clients(certs.ca);
    tls_server r(o);
    {
        auto c = r.greeted();
        c.command("EHLO x");
        c.command("STARTTLS");
        c.start_tls({}, certs.client_cert, certs.client_key);
        BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni= peer=/CN=client.test verified=yes\r\n");
    }
    {
        auto c = r.greeted();
        c.command("EHLO x");
        c.command("STARTTLS");
        c.start_tls({}, certs.mx_cert, certs.mx_key); // self-signed: presented, not verified
        BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni= peer=/CN=mx.test verified=no\r\n");
    }
    auto c = upgraded(r);
    BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni= peer=none verified=no\r\n");
}

// Garbage instead of a handshake, a client gone mid-handshake, one that never starts it: each
// is closed, and the server goes on serving others.
BOOST_AUTO_TEST_CASE(failed_handshakes_leave_server_serving) {
    auto o = tls_options();
    o.tls_handshake_timeout = std::chrono::milliseconds(300);
    tls_server r(o);
    {
        auto c = r.greeted();
        c.command("STARTTLS");
        c.send("GARBAGE GARBAGE GARBAGE\r\n\r\n");
        BOOST_TEST(c.closed_by_server());
    }
    {
        auto c = r.greeted();
        c.command("STARTTLS");
        c.abort();
    }
    {
        auto c = r.greeted();
        c.command("STARTTLS");
        auto start = std::chrono::steady_clock::now();
        BOOST_TEST(c.closed_by_server()); // the handshake timeout, not the idle one
        BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(5)));
    }
    {
        auto c = r.connected(); // plaintext to... a STARTTLS port is fine
        BOOST_TEST(c.read_reply().starts_with("220 "));
    }
    tls_server implicit(o, {}, smtp_test::loopback(true));
    {
        auto c = implicit.connected();
        c.send("EHLO plaintext\r\n"); // not a TLS ClientHello
        BOOST_TEST(c.closed_by_server());
    }
    auto c = upgraded(r);
    BOOST_TEST(c.command("NOOP").starts_with("250 TLSv1."));
}

BOOST_AUTO_TEST_SUITE_END()
