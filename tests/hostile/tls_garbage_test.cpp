// TLS handshakes with garbage: after STARTTLS, and on an implicit-TLS (SMTPS) listener, clients
// send random octets, a TLS record header followed by junk, or half a ClientHello and vanish.
// Each such connection is closed (inside TLS there is no SMTP reply to give), costs nothing
// that stays, and clients that do TLS properly are served meanwhile.
#include "hostile.hpp"

#include "integration/certificates.hpp"

#include <random>

using namespace hostile;
using smtp_test::certificates;

namespace {

// The attacks, in turn; `i` picks one and seeds its bytes.
std::string garbage_handshake(int i) {
    std::mt19937 random{std::uint32_t(i)};
    std::uniform_int_distribution<int> byte(0, 255);
    // At least the 512 octets the record header below announces: a record still incomplete
    // would wait for the rest until the handshake timeout (30 s), like the stalled ClientHello.
    std::string junk(std::size_t(512 + i * 97 % 4000), '\0');
    for (char& c : junk)
        c = char(byte(random));
    switch (i % 3) {
    case 0: return junk; // no TLS at all
    case 1:              // a handshake record header of a plausible length, then junk
        return std::string("\x16\x03\x01\x02\x00", 5) + junk;
    default: // the start of a ClientHello (type 1, length 508, TLS 1.2), never finished
        return std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + junk.substr(0, 32);
    }
}

// Sends the attack; the server must close the connection. A ClientHello cut short waits for
// the rest until the handshake timeout, so that one is cut short by the client instead.
void attack(raw_socket& s, int i) {
    s.send(garbage_handshake(i));
    if (i % 3 == 2) {
        s.reset();
        return;
    }
    BOOST_TEST(s.read_to_end(30s), "attack " << i << " left open");
}

// A whole transaction over implicit TLS.
void expect_served_over_smtps(smtpd_process& smtpd) {
    auto client = smtpd.connect(30s);
    client.start_tls("mx.test");
    BOOST_TEST(client.read_reply().starts_with("220 "));
    BOOST_TEST(client.command("EHLO client.example").starts_with("250-"));
    BOOST_TEST(client.command("MAIL FROM:<anne@example.com>").starts_with("250 "));
    BOOST_TEST(client.command("RCPT TO:<bart@example.com>").starts_with("250 "));
    BOOST_TEST(client.command("DATA").starts_with("354 "));
    BOOST_TEST(client.command("Subject: over TLS\r\n\r\nhi\r\n.").starts_with("250 "));
    BOOST_TEST(client.command("QUIT").starts_with("221 "));
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls_garbage)

BOOST_AUTO_TEST_CASE(garbage_after_starttls) {
    if (!smtpd_built()) return;
    const auto& certs = certificates::get();
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink", "--tlscert", certs.mx_cert, "--tlskey",
                                     certs.mx_key, "--no-requiretls"});
    memory_baseline baseline(smtpd);
    for (int i = 0; i < 150; ++i) {
        raw_socket s(smtpd.port);
        s.send("EHLO attacker.example\r\nSTARTTLS\r\n");
        BOOST_TEST_REQUIRE(s.read_until("220 Ready to start TLS\r\n"), s.in());
        attack(s, i);
        if (i % 25 == 0) expect_served(smtpd);
    }
    // And a proper STARTTLS client afterwards.
    auto client = smtpd.connect(30s);
    client.read_reply();
    client.command("EHLO client.example");
    BOOST_TEST(client.command("STARTTLS") == "220 Ready to start TLS\r\n");
    client.start_tls("mx.test");
    BOOST_TEST(client.command("EHLO client.example").starts_with("250-"));
    BOOST_TEST(baseline.peak_growth_kib() < 64 * 1024u);
}

BOOST_AUTO_TEST_CASE(garbage_on_an_implicit_tls_listener) {
    if (!smtpd_built()) return;
    const auto& certs = certificates::get();
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink", "--tlscert", certs.mx_cert, "--tlskey",
                                     certs.mx_key, "--smtps"});
    expect_served_over_smtps(smtpd);
    const std::size_t rss_kib = memory_kib(smtpd.child.pid(), "VmRSS");
    for (int i = 0; i < 150; ++i) {
        raw_socket s(smtpd.port);
        attack(s, i);
        // Nothing, or a TLS alert record (content type 21): no SMTP reply outside TLS.
        BOOST_TEST((s.in().empty() || s.in()[0] == '\x15'), "attack " << i << " got a reply");
        if (i % 25 == 0) expect_served_over_smtps(smtpd);
    }
    expect_served_over_smtps(smtpd);
    BOOST_TEST(memory_kib(smtpd.child.pid(), "VmHWM") < rss_kib + 64 * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()
