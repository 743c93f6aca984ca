#include <smtp/testing/session.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// smtp::testing::session: a real server's session driven from the test's thread, without
// sockets to bind, with a small handler that refuses "nobody@" at RCPT and keeps what DATA saw.

namespace {

using strings = std::vector<std::string>;

struct small_handler {
    strings contents; // what handle_DATA saw; the test reads the server's copy, s.handler()
    int closed = 0;

    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (address.starts_with("nobody@")) return {550, "5.1.1 No such user"};
        env.add_recipient(address, options);
        return smtp::reply::ok();
    }
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>& env) {
        contents.emplace_back(env.content);
        return {250, "2.0.0 Queued"};
    }
    // A coroutine hook: it resumes on the io_context the session drives.
    boost::asio::awaitable<smtp::reply> handle_NOOP(smtp::connection&, smtp::session&,
                                                    smtp::envelope<>&, std::string_view) {
        auto executor = co_await boost::asio::this_coro::executor;
        co_await boost::asio::post(executor, boost::asio::use_awaitable);
        co_return smtp::reply{250, "2.0.0 Waited"};
    }
    void connection_closed(const smtp::connection&, const smtp::connection_stats&) { ++closed; }
};

using test_session = smtp::testing::session<small_handler>;

smtp::options mx_test() {
    return {.hostname = "mx.test"};
}

// The predicate BOOST_CHECK_EXCEPTION takes: the message contains `part`.
auto says(std::string part) {
    return [part](const std::runtime_error& e) {
        BOOST_TEST_INFO("what(): " << e.what());
        return std::string_view(e.what()).find(part) != std::string_view::npos;
    };
}

} // namespace

BOOST_AUTO_TEST_SUITE(testing_session)

BOOST_AUTO_TEST_CASE(greeting_and_ehlo_parsed_into_lines) {
    test_session s({}, mx_test());
    auto ehlo = s.ehlo("client.test"); // reads the greeting first
    BOOST_TEST(s.greeting().code == 220);
    BOOST_TEST(s.greeting().lines.at(0).starts_with("mx.test ESMTP"));
    BOOST_TEST(ehlo.code == 250);
    BOOST_TEST(ehlo.lines == (strings{"mx.test", "SIZE 33554432", "8BITMIME", "HELP"}),
               boost::test_tools::per_element());
    BOOST_TEST(ehlo.has_line("8BITMIME"));
    BOOST_TEST(!ehlo.has_line("PIPELINING"));
    BOOST_TEST(ehlo.text() == "mx.test\nSIZE 33554432\n8BITMIME\nHELP");
    BOOST_TEST(ehlo.wire == "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
}

BOOST_AUTO_TEST_CASE(transaction_reaches_the_handler) {
    test_session s({}, mx_test());
    s.ehlo();
    BOOST_TEST(s.mail("anne@example.com").code == 250);
    auto refused = s.rcpt("nobody@example.com");
    BOOST_TEST(refused.code == 550);
    BOOST_TEST(refused.text() == "5.1.1 No such user");
    BOOST_TEST(s.rcpt("bart@example.com").code == 250);
    auto queued = s.data("Subject: hi\n\n.leading dot\nbody"); // stuffed and ended for us
    BOOST_TEST(queued.wire == "250 2.0.0 Queued\r\n");
    BOOST_TEST(s.handler().contents == strings{"Subject: hi\r\n\r\n.leading dot\r\nbody\r\n"},
               boost::test_tools::per_element());
    BOOST_TEST(s.quit().code == 221);
    BOOST_TEST(s.closed());
}

BOOST_AUTO_TEST_CASE(data_answers_with_the_data_reply_when_refused) {
    test_session s({}, mx_test());
    s.ehlo();
    auto reply = s.data("never sent");
    BOOST_TEST(reply.code == 503);
    BOOST_TEST(s.expect(s.command("NOOP"), 250).text() == "2.0.0 Waited"); // the session goes on
    BOOST_TEST(s.handler().contents.empty());
}

BOOST_AUTO_TEST_CASE(expect_fails_with_the_reply_that_came) {
    test_session s({}, mx_test());
    s.expect(220);
    BOOST_CHECK_EXCEPTION(s.expect(s.command("HELO"), 250), std::runtime_error,
                          says("expected a 250 reply, got \"501 Syntax: HELO hostname\\r\\n\""));
    s.expect(s.command("HELO client.test"), 250);
}

BOOST_AUTO_TEST_CASE(a_missing_reply_fails_after_the_timeout) {
    test_session s({}, mx_test());
    s.set_timeout(std::chrono::milliseconds(200));
    s.greeting();
    s.send("NOOP"); // no line end: the server waits for the rest
    auto start = std::chrono::steady_clock::now();
    BOOST_CHECK_EXCEPTION(s.read_reply(), std::runtime_error,
                          says("no reply within 200 ms; received \"\""));
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(3)));
    s.send("\r\n");
    BOOST_TEST(s.read_reply().code == 250); // and the session is still usable
}

// Each send() is read by the server before the next: a command line and the end of data can be
// split where the test likes.
BOOST_AUTO_TEST_CASE(send_splits_input_where_the_test_likes) {
    test_session s({}, mx_test());
    s.greeting();
    s.send("EH");
    s.send("LO client.test\r");
    s.send("\n");
    BOOST_TEST(s.read_reply().code == 250);
    s.expect(s.mail(""), 250); // the null sender
    s.expect(s.rcpt("bart@example.com", "NOTIFY=NEVER"), 555);
    s.expect(s.rcpt("bart@example.com"), 250);
    s.expect(s.command("DATA"), 354);
    s.send("line one\r\n.");
    s.send(".two\r");
    s.send("\n.");
    s.send("\r\n");
    BOOST_TEST(s.read_reply().code == 250);
    BOOST_TEST(s.handler().contents == strings{"line one\r\n.two\r\n"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_closed_connection_fails_a_read_at_once) {
    test_session s({}, mx_test());
    s.ehlo();
    s.send("QUIT\r\n");
    BOOST_TEST(s.closed());
    BOOST_TEST(s.read_reply().wire == "221 Bye\r\n"); // what came before the end is kept
    BOOST_CHECK_EXCEPTION(s.read_reply(), std::runtime_error,
                          says("the server closed the connection"));
}

BOOST_AUTO_TEST_CASE(close_hangs_up_like_a_vanishing_client) {
    test_session s({}, mx_test());
    s.ehlo();
    s.mail("anne@example.com");
    s.close();
    BOOST_TEST(s.handler().closed == 1); // the server has ended the session
    BOOST_TEST(s.handler().contents.empty());
}

// The peer is a local socket; a PROXY header gives the session the client's address.
struct peer_echo {
    smtp::reply handle_NOOP(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                            std::string_view) {
        bool local = s.peer.family == smtp::peer_address::family_type::local;
        return {250, (local ? "local " : "inet ") + s.peer.host};
    }
};

BOOST_AUTO_TEST_CASE(peer_is_local_unless_a_proxy_header_says_otherwise) {
    smtp::testing::session<peer_echo> plain({}, mx_test());
    plain.greeting();
    BOOST_TEST(plain.command("NOOP").text() == "local ");
    smtp::options o = mx_test();
    o.proxy_protocol_timeout = std::chrono::seconds(1);
    smtp::testing::session<peer_echo> proxied({}, o);
    proxied.send("PROXY TCP4 192.0.2.1 198.51.100.1 40000 25\r\n");
    BOOST_TEST(proxied.greeting().code == 220);
    BOOST_TEST(proxied.command("NOOP").text() == "inet 192.0.2.1");
}

BOOST_AUTO_TEST_SUITE_END()
