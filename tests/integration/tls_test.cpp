#include <smtp/tls.hpp>

#include "certificates.hpp"
#include "test_client.hpp"

#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>

// STARTTLS and implicit TLS over loopback: upgrades, the new session, the injection fix, SNI,
// client certificates, and handshakes that fail in every way.

using smtp_test::certificates;
using smtp_test::test_client;

namespace {

smtp::options tls_options() {
    const auto& certs = certificates::get();
    smtp::options o;
    o.hostname = "mx.test";
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    return o;
}

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

template <class Handler = tls_facts>
struct running {
    smtp::controller<smtp::server<Handler>> controller;
    explicit running(smtp::options o = tls_options(), bool implicit = false, Handler h = {})
        : controller(std::move(h), std::move(o), {"127.0.0.1", 0, implicit}) {
        controller.start();
    }
    test_client connect() {
        test_client c(controller.port());
        BOOST_TEST_REQUIRE(c.read_reply().starts_with("220 mx.test "));
        return c;
    }
    test_client upgraded(const std::string& sni = {}) {
        auto c = connect();
        BOOST_TEST_REQUIRE(c.command("EHLO x") == plain_ehlo);
        BOOST_TEST_REQUIRE(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
        c.start_tls(sni);
        return c;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(starttls_upgrades_and_offers_auth) {
    running r;
    auto c = r.upgraded();
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
    running r;
    auto c = r.connect();
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
    running r;
    auto c = r.connect();
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
    running r;
    auto c = r.upgraded();
    BOOST_TEST(c.command("STARTTLS") == "503 5.5.1 Error: TLS already active\r\n");
    BOOST_TEST(c.command("NOOP").starts_with("250 TLSv1."));
}

BOOST_AUTO_TEST_CASE(starttls_without_context_or_with_argument) {
    smtp::options o;
    o.hostname = "mx.test";
    running r(o);
    auto c = r.connect();
    BOOST_TEST(c.command("EHLO x") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
    BOOST_TEST(c.command("STARTTLS") == "454 TLS not available\r\n");
    running t;
    auto d = t.connect();
    BOOST_TEST(d.command("STARTTLS now") == "501 Syntax: STARTTLS\r\n");
    BOOST_TEST(d.command("HELP") ==
               "250 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET "
               "STARTTLS VRFY\r\n");
}

BOOST_AUTO_TEST_CASE(require_starttls_blocks_until_tls) {
    auto o = tls_options();
    o.require_starttls = true;
    running r(o);
    auto c = r.connect();
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
    running<refuses_tls> r;
    auto c = r.upgraded();
    const std::string refused = "554 Command refused due to lack of security\r\n";
    BOOST_TEST(c.command("EHLO x") == refused);
    BOOST_TEST(c.command("NOOP") == refused);
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
}

BOOST_AUTO_TEST_CASE(issue_274_smtps_offers_auth_and_sets_session_ssl) {
    running r(tls_options(), true);
    test_client c(r.controller.port());
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
    running r(o);
    auto c = r.upgraded("other.test");
    BOOST_TEST(c.server_certificate_subject() == "/CN=other.test");
    BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni=other.test peer=none verified=no\r\n");
    auto d = r.upgraded("unknown.test");
    BOOST_TEST(d.server_certificate_subject() == "/CN=mx.test");
    auto e = r.upgraded();
    BOOST_TEST(e.server_certificate_subject() == "/CN=mx.test");
}

BOOST_AUTO_TEST_CASE(client_certificates_verified_when_configured) {
    const auto& certs = certificates::get();
    auto o = tls_options();
    o.tls->verify_clients(certs.ca);
    running r(o);
    {
        auto c = r.connect();
        c.command("EHLO x");
        c.command("STARTTLS");
        c.start_tls({}, certs.client_cert, certs.client_key);
        BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni= peer=/CN=client.test verified=yes\r\n");
    }
    {
        auto c = r.connect();
        c.command("EHLO x");
        c.command("STARTTLS");
        c.start_tls({}, certs.mx_cert, certs.mx_key); // self-signed: presented, not verified
        BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni= peer=/CN=mx.test verified=no\r\n");
    }
    auto c = r.upgraded();
    BOOST_TEST(c.command("NOOP") == "250 TLSv1.3 sni= peer=none verified=no\r\n");
}

// Garbage instead of a handshake, a client gone mid-handshake, one that never starts it: each
// is closed, and the server goes on serving others.
BOOST_AUTO_TEST_CASE(failed_handshakes_leave_server_serving) {
    auto o = tls_options();
    o.tls_handshake_timeout = std::chrono::milliseconds(300);
    running r(o);
    {
        auto c = r.connect();
        c.command("STARTTLS");
        c.send("GARBAGE GARBAGE GARBAGE\r\n\r\n");
        BOOST_TEST(c.closed_by_server());
    }
    {
        auto c = r.connect();
        c.command("STARTTLS");
        c.abort();
    }
    {
        auto c = r.connect();
        c.command("STARTTLS");
        auto start = std::chrono::steady_clock::now();
        BOOST_TEST(c.closed_by_server()); // the handshake timeout, not the idle one
        BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(5)));
    }
    {
        test_client c(r.controller.port()); // plaintext to... a STARTTLS port is fine
        BOOST_TEST(c.read_reply().starts_with("220 "));
    }
    running implicit(o, true);
    {
        test_client c(implicit.controller.port());
        c.send("EHLO plaintext\r\n"); // not a TLS ClientHello
        BOOST_TEST(c.closed_by_server());
    }
    auto c = r.upgraded();
    BOOST_TEST(c.command("NOOP").starts_with("250 TLSv1."));
}

BOOST_AUTO_TEST_SUITE_END()
