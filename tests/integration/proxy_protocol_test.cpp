#include <smtp/server.hpp>

#include "certificates.hpp"
#include "test_client.hpp"

#include <smtp/controller.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// The PROXY protocol in front of the session: the original client becomes session.peer, bad
// headers close the connection unanswered, only trusted senders may send one, and what the
// proxy said survives STARTTLS.

using smtp_test::test_client;

namespace {

smtp::options proxy_options() {
    smtp::options o;
    o.hostname = "mx.test";
    o.proxy_protocol_timeout = std::chrono::milliseconds(500);
    return o;
}

// NOOP answers with what the session knows about where the client is.
struct where_from {
    smtp::reply handle_NOOP(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                            std::string_view) {
        std::string text = s.peer.host + ":" + std::to_string(s.peer.port);
        if (s.proxy_peer) text += " via " + s.proxy_peer->host;
        if (s.proxy) {
            text += " v" + std::to_string(s.proxy->version);
            if (auto authority = s.proxy->authority())
                text += " authority=" + std::string(*authority);
        }
        if (s.ssl) text += " tls";
        return {250, text};
    }
    bool handle_PROXY(smtp::connection&, smtp::session&, smtp::envelope<>&,
                      const smtp::proxy_data& data) {
        return data.src_addr != "203.0.113.66"; // a client this server refuses
    }
};

std::string v2_header(std::string_view authority) {
    std::string tlv;
    tlv += char(0x02);
    tlv += char(0);
    tlv += char(authority.size());
    tlv += authority;
    std::string h("\r\n\r\n\0\r\nQUIT\n", 12);
    h += char(0x21); // version 2, PROXY
    h += char(0x11); // INET, STREAM
    std::size_t length = 12 + tlv.size();
    h += char(length >> 8);
    h += char(length & 0xff);
    h += std::string("\xC0\x00\x02\x07", 4); // 192.0.2.7
    h += std::string("\xC6\x33\x64\x01", 4); // 198.51.100.1
    h += std::string("\x30\x39\x00\x19", 4); // 12345 -> 25
    return h + tlv;
}

bool refused_silently(std::uint16_t port, const std::string& bytes) {
    test_client c(port);
    c.send(bytes);
    return c.read_to_end().empty(); // closed, and not a byte of SMTP
}

} // namespace

BOOST_AUTO_TEST_SUITE(proxy_protocol_server)

BOOST_AUTO_TEST_CASE(v1_header_gives_original_client) {
    smtp::controller<smtp::server<where_from>> c{{}, proxy_options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.send("PROXY TCP4 192.0.2.1 198.51.100.1 40000 25\r\nNOOP\r\n"); // SMTP pipelined behind
    BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
    BOOST_TEST(client.read_reply() == "250 192.0.2.1:40000 via 127.0.0.1 v1\r\n");
}

BOOST_AUTO_TEST_CASE(v2_header_with_tlv) {
    smtp::controller<smtp::server<where_from>> c{{}, proxy_options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.send(v2_header("mx.example.com"));
    BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
    BOOST_TEST(client.command("NOOP") ==
               "250 192.0.2.7:12345 via 127.0.0.1 v2 authority=mx.example.com\r\n");
}

BOOST_AUTO_TEST_CASE(malformed_headers_close_without_reply) {
    smtp::controller<smtp::server<where_from>> c{{}, proxy_options(), {"127.0.0.1", 0}};
    c.start();
    const char* bad[] = {
        "EHLO not-a-proxy\r\n",
        "PROXY TCP4 192.0.2.1 198.51.100.1 40000\r\n",      // missing port
        "PROXY TCP4 192.0.2.1 198.51.100.1 40000 25 x\r\n", // extraneous data
        "PROXY TCP4 ::1 ::1 1 2\r\n",                       // not IPv4
        "PROXY TCP4 192.0.2.1 198.51.100.1 70000 25\r\n",   // port out of bounds
        "PROXY UDP4 192.0.2.1 198.51.100.1 1 2\r\n",        // not TCP
        "PROXY TCP4 192.0.2.1 198.51.100.1 01 25\r\n",      // leading zero
    };
    for (const char* header : bad)
        BOOST_TEST(refused_silently(c.port(), header), header);
    std::string v2 = v2_header("x");
    v2[12] = char(0x31); // version 3
    BOOST_TEST(refused_silently(c.port(), v2));
    BOOST_TEST(refused_silently(c.port(), "PROXY TCP4 203.0.113.66 198.51.100.1 1 25\r\n")); // hook
    // Silence: the header timeout closes the connection.
    test_client quiet(c.port());
    BOOST_TEST(quiet.read_to_end().empty());
    // And the server still serves.
    test_client good(c.port());
    good.send("PROXY TCP6 2001:db8::1 2001:db8::2 5 25\r\n");
    BOOST_TEST(good.read_reply().starts_with("220 "));
    BOOST_TEST(good.command("NOOP") == "250 2001:db8::1:5 via 127.0.0.1 v1\r\n");
}

BOOST_AUTO_TEST_CASE(only_trusted_senders) {
    auto untrusted = proxy_options();
    untrusted.proxy_trusted = {"10.0.0.0/8", "2001:db8::/32"};
    smtp::controller<smtp::server<where_from>> c{{}, untrusted, {"127.0.0.1", 0}};
    c.start();
    BOOST_TEST(refused_silently(c.port(), "PROXY TCP4 192.0.2.1 198.51.100.1 1 25\r\n"));
    auto trusted = proxy_options();
    trusted.proxy_trusted = {"10.0.0.0/8", "127.0.0.1"};
    smtp::controller<smtp::server<where_from>> d{{}, trusted, {"127.0.0.1", 0}};
    d.start();
    test_client client(d.port());
    client.send("PROXY TCP4 192.0.2.1 198.51.100.1 1 25\r\n");
    BOOST_TEST(client.read_reply().starts_with("220 "));
    BOOST_CHECK_THROW((smtp::server<where_from>{{}, {.proxy_trusted = {"not-a-network"}}}),
                      std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(local_command_keeps_peer) {
    smtp::controller<smtp::server<where_from>> c{{}, proxy_options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    std::string local("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16); // LOCAL, UNSPEC, no address
    client.send(local);
    BOOST_TEST(client.read_reply().starts_with("220 "));
    BOOST_TEST(client.command("NOOP").starts_with("250 127.0.0.1:"));
}

BOOST_AUTO_TEST_CASE(issue_287_proxy_data_survives_starttls) {
    const auto& certs = smtp_test::certificates::get();
    auto o = proxy_options();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    smtp::controller<smtp::server<where_from>> c{{}, o, {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.send("PROXY TCP4 192.0.2.1 198.51.100.1 40000 25\r\n");
    client.read_reply();
    client.command("EHLO x");
    BOOST_TEST(client.command("STARTTLS") == "220 Ready to start TLS\r\n");
    client.start_tls();
    BOOST_TEST(client.command("NOOP") == "250 192.0.2.1:40000 via 127.0.0.1 v1 tls\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
