#include <smtp/server.hpp>

#include "test_client.hpp"

#include <smtp/controller.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>
#include <vector>

// Limits aiosmtpd does not have: connections at once (in all and per client), recipients per
// message, messages per connection, and the early-talker check.

using smtp_test::test_client;

namespace {

struct no_hooks {};

smtp::options limited(auto&& set) {
    smtp::options o;
    o.hostname = "mx.test";
    set(o);
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(max_connections_answers_421) {
    smtp::controller<smtp::server<no_hooks>> c{
        {}, limited([](auto& o) { o.max_connections = 2; }), {"127.0.0.1", 0}};
    c.start();
    test_client first(c.port()), second(c.port());
    BOOST_TEST(first.read_reply().starts_with("220 "));
    BOOST_TEST(second.read_reply().starts_with("220 "));
    test_client third(c.port());
    BOOST_TEST(third.read_reply() == "421 mx.test Too many connections, try again later\r\n");
    BOOST_TEST(third.closed_by_server());
    BOOST_TEST(first.command("QUIT") == "221 Bye\r\n");
    BOOST_TEST(first.closed_by_server());
    // A place is free again once a session has ended.
    for (int attempt = 0;; ++attempt) {
        test_client again(c.port());
        if (again.read_reply().starts_with("220 ")) break;
        BOOST_REQUIRE(attempt < 50);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

BOOST_AUTO_TEST_CASE(max_connections_per_client) {
    smtp::controller<smtp::server<no_hooks>> c{
        {}, limited([](auto& o) { o.max_connections_per_client = 1; }), {"127.0.0.1", 0}};
    c.start();
    test_client first(c.port());
    BOOST_TEST(first.read_reply().starts_with("220 "));
    test_client second(c.port());
    BOOST_TEST(second.read_reply() == "421 mx.test Too many connections, try again later\r\n");
}

BOOST_AUTO_TEST_CASE(max_recipients_452) {
    smtp::controller<smtp::server<no_hooks>> c{
        {}, limited([](auto& o) { o.max_recipients = 2; }), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO x");
    client.command("MAIL FROM:<a@b.c>");
    BOOST_TEST(client.command("RCPT TO:<1@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<2@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<3@x>") == "452 4.5.3 Too many recipients\r\n");
    BOOST_TEST(client.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(client.command("x\r\n.") == "250 OK\r\n");
    // The next transaction may have as many again.
    client.command("MAIL FROM:<a@b.c>");
    BOOST_TEST(client.command("RCPT TO:<3@x>") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(max_messages_per_connection) {
    smtp::controller<smtp::server<no_hooks>> c{
        {}, limited([](auto& o) { o.max_messages_per_connection = 2; }), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO x");
    for (int i = 0; i < 2; ++i) {
        BOOST_TEST(client.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
        client.command("RCPT TO:<d@e.f>");
        client.command("DATA");
        BOOST_TEST(client.command("x\r\n.") == "250 OK\r\n");
    }
    BOOST_TEST(client.command("MAIL FROM:<a@b.c>") ==
               "421 4.7.0 mx.test Error: too many messages in this session\r\n");
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(early_talker_554) {
    smtp::controller<smtp::server<no_hooks>> c{
        {},
        limited([](auto& o) { o.greeting_delay = std::chrono::milliseconds(300); }),
        {"127.0.0.1", 0}};
    c.start();
    test_client rude(c.port());
    rude.send("EHLO bot\r\n");
    BOOST_TEST(rude.read_reply() == "554 5.5.1 Error: talking before the greeting\r\n");
    BOOST_TEST(rude.closed_by_server());
    test_client polite(c.port());
    BOOST_TEST(polite.read_reply().starts_with("220 mx.test"));
    BOOST_TEST(polite.command("NOOP") == "250 OK\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
