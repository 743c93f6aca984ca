#include <smtp/policy/rate_limited.hpp>

#include "fixture.hpp"
#include "test_client.hpp"

#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// smtp::policy::rate_limited with the in-process store, over real sockets: each limit, across
// connections, the limit_reached hook, and a store that cannot answer (fail open / closed).

using smtp_test::plain_response;
using smtp_test::test_client;
using namespace std::chrono_literals;

namespace {

// What the limiter wraps: accepts alice/secret and bob/secret, and counts the limits reached.
struct limited_accounts {
    std::shared_ptr<std::atomic<int>> limits_hit = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::atomic<int>> last_limit = std::make_shared<std::atomic<int>>(-1);

    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& credentials) {
        if ((credentials.login == "alice" || credentials.login == "bob") &&
            credentials.password == "secret")
            return smtp::auth_result::accept(credentials);
        return smtp::auth_result::reject();
    }
    void limit_reached(const smtp::connection&, smtp::limit which) {
        ++*limits_hit;
        *last_limit = int(which);
    }
};

using limited = smtp::policy::rate_limited<limited_accounts>;

smtp::options opts() {
    smtp::options o;
    o.hostname = "mx.test";
    o.auth_require_tls = false;
    o.auth_failure_delay = 0ms;
    o.auth_failure_limit = 0;
    o.proxy_protocol_timeout = 5s; // the tests speak for several client addresses
    return o;
}

// A connection from `address` (through a PROXY header); its greeting is not read yet.
test_client from(std::uint16_t port, const std::string& address) {
    test_client c(port);
    c.send("PROXY TCP4 " + address + " 192.0.2.1 40000 25\r\n");
    return c;
}

smtp::policy::rate_limit per_minute(std::uint64_t n) {
    return {n, std::chrono::minutes(1)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limits)

BOOST_AUTO_TEST_CASE(connections_per_client_address) {
    smtp::policy::rate_limits l;
    l.connections = per_minute(2);
    limited_accounts inner;
    auto hit = inner.last_limit;
    smtp::controller<smtp::server<limited>> c{limited{inner, l}, opts(), {"127.0.0.1", 0}};
    c.start();
    for (int i = 0; i < 2; ++i) {
        auto client = from(c.port(), "10.0.0.1");
        BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
    }
    auto third = from(c.port(), "10.0.0.1");
    BOOST_TEST(third.read_reply() ==
               "421 4.7.0 Too many connections from your address, try again later\r\n");
    BOOST_TEST(third.closed_by_server());
    BOOST_TEST(*hit == int(smtp::limit::connection_rate));
    // Another address has its own budget.
    auto other = from(c.port(), "10.0.0.2");
    BOOST_TEST(other.read_reply().starts_with("220 mx.test "));
}

BOOST_AUTO_TEST_CASE(messages_per_client_across_connections) {
    smtp::policy::rate_limits l;
    l.messages = per_minute(2);
    limited_accounts inner;
    auto hit = inner.last_limit;
    smtp::controller<smtp::server<limited>> c{limited{inner, l}, opts(), {"127.0.0.1", 0}};
    c.start();
    auto first = from(c.port(), "10.0.0.1");
    first.read_reply();
    first.command("EHLO a.test");
    BOOST_TEST(first.command("MAIL FROM:<a@a.test>") == "250 OK\r\n");
    BOOST_TEST(first.command("RSET") == "250 OK\r\n");
    BOOST_TEST(first.command("MAIL FROM:<a@a.test>") == "250 OK\r\n");
    BOOST_TEST(first.command("RSET") == "250 OK\r\n");
    auto second = from(c.port(), "10.0.0.1");
    second.read_reply();
    second.command("EHLO a.test");
    BOOST_TEST(second.command("MAIL FROM:<a@a.test>") ==
               "450 4.7.1 Too many messages from your address, try again later\r\n");
    BOOST_TEST(*hit == int(smtp::limit::message_rate));
    // Refused, not recorded: RCPT needs a MAIL first.
    BOOST_TEST(second.command("RCPT TO:<b@b.test>") == "503 Error: need MAIL command\r\n");
}

BOOST_AUTO_TEST_CASE(recipients_per_client) {
    smtp::policy::rate_limits l;
    l.recipients = per_minute(3);
    limited_accounts inner;
    smtp::controller<smtp::server<limited>> c{limited{inner, l}, opts(), {"127.0.0.1", 0}};
    c.start();
    auto client = from(c.port(), "10.0.0.1");
    client.read_reply();
    client.command("EHLO a.test");
    BOOST_TEST(client.command("MAIL FROM:<a@a.test>") == "250 OK\r\n");
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(client.command("RCPT TO:<r" + std::to_string(i) + "@b.test>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<r3@b.test>") ==
               "450 4.7.1 Too many recipients from your address, try again later\r\n");
    // What was accepted is delivered.
    BOOST_TEST(client.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(client.command("Subject: x\r\n\r\nbody\r\n.") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(auth_failures_per_address_close_with_421) {
    smtp::policy::rate_limits l;
    l.auth_failures = per_minute(2);
    limited_accounts inner;
    auto hit = inner.last_limit;
    smtp::controller<smtp::server<limited>> c{limited{inner, l}, opts(), {"127.0.0.1", 0}};
    c.start();
    const std::string invalid = "535 5.7.8 Authentication credentials invalid\r\n";
    auto first = from(c.port(), "10.0.0.1");
    first.read_reply();
    first.command("EHLO a.test");
    BOOST_TEST(first.command("AUTH PLAIN " + plain_response("alice", "guess1")) == invalid);
    BOOST_TEST(first.command("AUTH PLAIN " + plain_response("bob", "guess2")) == invalid);
    // The budget is spent: even the right password is not looked at, on a new connection too.
    auto second = from(c.port(), "10.0.0.1");
    second.read_reply();
    second.command("EHLO a.test");
    BOOST_TEST(second.command("AUTH PLAIN " + plain_response("alice", "secret")) ==
               "421 4.7.0 Too many authentication failures, try again later\r\n");
    BOOST_TEST(second.closed_by_server());
    BOOST_TEST(*hit == int(smtp::limit::auth_failure_rate));
}

BOOST_AUTO_TEST_CASE(auth_failures_per_user_name) {
    smtp::policy::rate_limits l;
    l.auth_failures = per_minute(2);
    limited_accounts inner;
    smtp::controller<smtp::server<limited>> c{limited{inner, l}, opts(), {"127.0.0.1", 0}};
    c.start();
    const std::string invalid = "535 5.7.8 Authentication credentials invalid\r\n";
    // Guesses for bob from two addresses, one each: neither address is over its budget...
    for (const char* address : {"10.0.0.1", "10.0.0.2"}) {
        auto guesser = from(c.port(), address);
        guesser.read_reply();
        guesser.command("EHLO a.test");
        BOOST_TEST(guesser.command("AUTH PLAIN " + plain_response("bob", "guess")) == invalid);
    }
    // ...but bob is, from a third address.
    auto third = from(c.port(), "10.0.0.3");
    third.read_reply();
    third.command("EHLO a.test");
    BOOST_TEST(third.command("AUTH PLAIN " + plain_response("bob", "secret")) ==
               "421 4.7.0 Too many authentication failures, try again later\r\n");
    // alice, from there, is fine.
    auto alice = from(c.port(), "10.0.0.3");
    alice.read_reply();
    alice.command("EHLO a.test");
    BOOST_TEST(alice.command("AUTH PLAIN " + plain_response("alice", "secret")) ==
               "235 2.7.0 Authentication successful\r\n");
}

namespace {

// A store that cannot answer, as a Redis that is down.
struct broken_store {
    boost::asio::awaitable<std::optional<std::uint64_t>>
    increment(const std::string&, std::chrono::milliseconds, std::uint64_t) {
        co_return std::nullopt;
    }
};

using broken = smtp::policy::rate_limited<limited_accounts, broken_store>;

} // namespace

BOOST_AUTO_TEST_CASE(store_down_fails_closed_by_default) {
    smtp::policy::rate_limits l;
    l.connections = per_minute(100);
    l.messages = per_minute(100);
    auto store = std::make_shared<broken_store>();
    smtp::controller<smtp::server<broken>> c{broken{{}, l, store}, opts(), {"127.0.0.1", 0}};
    c.start();
    auto client = from(c.port(), "10.0.0.1");
    BOOST_TEST(client.read_reply() ==
               "421 4.3.0 Rate limit service unavailable, try again later\r\n");
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(store_down_fails_open_when_asked) {
    smtp::policy::rate_limits l;
    l.connections = per_minute(1);
    l.messages = per_minute(1);
    l.fail_open = true;
    auto store = std::make_shared<broken_store>();
    smtp::controller<smtp::server<broken>> c{broken{{}, l, store}, opts(), {"127.0.0.1", 0}};
    c.start();
    for (int i = 0; i < 3; ++i) { // over every limit, but nothing counts
        auto client = from(c.port(), "10.0.0.1");
        BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
        client.command("EHLO a.test");
        BOOST_TEST(client.command("MAIL FROM:<a@a.test>") == "250 OK\r\n");
    }
}

BOOST_AUTO_TEST_CASE(no_limit_changes_nothing) {
    limited_accounts inner;
    smtp::controller<smtp::server<limited>> c{limited{inner, {}}, opts(), {"127.0.0.1", 0}};
    c.start();
    auto client = from(c.port(), "10.0.0.1");
    BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
    client.command("EHLO a.test");
    BOOST_TEST(client.command("MAIL FROM:<a@a.test>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<b@b.test>") == "250 OK\r\n");
    BOOST_TEST(client.command("RSET") == "250 OK\r\n");
    BOOST_TEST(client.command("AUTH PLAIN " + plain_response("alice", "nope")) ==
               "535 5.7.8 Authentication credentials invalid\r\n");
    BOOST_TEST(client.command("AUTH PLAIN " + plain_response("alice", "secret")) ==
               "235 2.7.0 Authentication successful\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
