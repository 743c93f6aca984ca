#include <smtp/connect.hpp>

#include "test_client.hpp"

#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

// handle_CONNECT over a real socket: each decision, the pre-greet test, a coroutine hook that
// waits without holding up other sessions, and session.local.

using smtp_test::test_client;
using namespace std::chrono_literals;

namespace {

smtp::options named() {
    smtp::options o;
    o.hostname = "mx.test";
    return o;
}

// Decides what the test says, and records what the hook saw.
struct deciding {
    struct shared {
        smtp::connect_decision decision;
        std::atomic<int> calls{0};
        std::atomic<int> local_port{0};
        std::string peer_host;
    };
    std::shared_ptr<shared> state = std::make_shared<shared>();

    smtp::connect_decision handle_CONNECT(smtp::connection&, smtp::session& s) {
        state->local_port = s.local.port;
        state->peer_host = s.peer.host;
        ++state->calls;
        return state->decision;
    }
};

using deciding_server = smtp::controller<smtp::server<deciding>>;

} // namespace

BOOST_AUTO_TEST_SUITE(connect_hook)

BOOST_AUTO_TEST_CASE(greet_sees_peer_and_local_endpoint) {
    deciding h;
    auto state = h.state;
    deciding_server c{h, named(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
    BOOST_TEST(state->calls == 1);
    BOOST_TEST(state->local_port == int(c.port())); // the port the client reached
    BOOST_TEST(state->peer_host == "127.0.0.1");
    BOOST_TEST(client.command("QUIT") == "221 Bye\r\n");
}

BOOST_AUTO_TEST_CASE(refuse_answers_554_and_closes) {
    deciding h;
    h.state->decision = smtp::connect_decision::refuse("5.7.1 Listed at dnsbl.test");
    deciding_server c{h, named(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_reply() == "554 5.7.1 Listed at dnsbl.test\r\n");
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(defer_answers_421_and_closes) {
    deciding h;
    h.state->decision = smtp::connect_decision::defer();
    deciding_server c{h, named(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_reply() ==
               "421 4.3.2 Service not available, closing transmission channel\r\n");
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(drop_closes_without_a_word) {
    deciding h;
    h.state->decision = smtp::connect_decision::drop();
    deciding_server c{h, named(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_to_end() == "");
}

BOOST_AUTO_TEST_CASE(delay_then_greeting) {
    deciding h;
    h.state->decision = smtp::connect_decision::greet(200ms);
    deciding_server c{h, named(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
    BOOST_TEST(client.command("EHLO client.test").starts_with("250-mx.test\r\n"));
}

BOOST_AUTO_TEST_CASE(early_talker_during_the_delay_is_refused) {
    deciding h;
    h.state->decision = smtp::connect_decision::greet(300ms);
    deciding_server c{h, named(), {"127.0.0.1", 0}};
    c.start();
    test_client bot(c.port());
    bot.send("EHLO bot.test\r\n"); // before the greeting
    BOOST_TEST(bot.read_reply() == "554 5.5.1 Error: talking before the greeting\r\n");
    BOOST_TEST(bot.closed_by_server());
}

BOOST_AUTO_TEST_CASE(thrown_reply_refuses) {
    struct throwing {
        smtp::connect_decision handle_CONNECT(smtp::connection&, smtp::session&) {
            throw smtp::reply{550, "5.7.1 No thanks"};
        }
    };
    smtp::controller<smtp::server<throwing>> c{{}, named(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_reply() == "554 5.7.1 No thanks\r\n");
    BOOST_TEST(client.closed_by_server());
}

namespace {

// A coroutine hook, as a DNSBL lookup would be: the first connection's lookup does not end
// until the test says so; the others answer at once.
struct slow_first {
    struct shared {
        std::atomic<int> started{0};
        std::atomic<bool> first_waiting{false};
        std::atomic<bool> release{false};
    };
    std::shared_ptr<shared> state = std::make_shared<shared>();

    boost::asio::awaitable<smtp::connect_decision> handle_CONNECT(smtp::connection&,
                                                                  smtp::session&) {
        if (state->started++ == 0) {
            state->first_waiting = true;
            boost::asio::steady_timer lookup(co_await boost::asio::this_coro::executor);
            while (!state->release) {
                lookup.expires_after(5ms);
                co_await lookup.async_wait(boost::asio::use_awaitable);
            }
        }
        co_return smtp::connect_decision::greet();
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(coroutine_hook_does_not_block_other_sessions) {
    slow_first h;
    auto state = h.state;
    smtp::options o = named();
    o.threads = 1; // one thread: the waiting hook and the other session share it
    smtp::controller<smtp::server<slow_first>> c{h, o, {"127.0.0.1", 0}};
    c.start();
    test_client first(c.port());
    while (!state->first_waiting)
        std::this_thread::sleep_for(1ms);
    // The first connection's hook is waiting; a second is served from start to end.
    test_client second(c.port());
    BOOST_TEST(second.read_reply().starts_with("220 mx.test "));
    BOOST_TEST(second.command("EHLO b.test").starts_with("250-mx.test\r\n"));
    BOOST_TEST(second.command("MAIL FROM:<a@b.test>") == "250 OK\r\n");
    BOOST_TEST(second.command("QUIT") == "221 Bye\r\n");
    BOOST_TEST(!state->release); // the first's lookup had not ended meanwhile
    state->release = true;
    BOOST_TEST(first.read_reply().starts_with("220 mx.test "));
}

BOOST_AUTO_TEST_CASE(proxy_destination_is_the_local_endpoint) {
    deciding h;
    auto state = h.state;
    smtp::options o = named();
    o.proxy_protocol_timeout = std::chrono::seconds(5);
    deciding_server c{h, o, {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.send("PROXY TCP4 192.0.2.7 198.51.100.1 40000 587\r\n");
    BOOST_TEST(client.read_reply().starts_with("220 mx.test "));
    BOOST_TEST(state->local_port == 587);
    BOOST_TEST(state->peer_host == "192.0.2.7");
}

BOOST_AUTO_TEST_SUITE_END()
