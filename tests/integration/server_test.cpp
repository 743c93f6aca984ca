#include <smtp/server.hpp>

#include "fixture.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// The server over real loopback sockets: hooks (plain and coroutine), hook failures, timeouts,
// pipelining, and the two ways to run it.

using smtp_test::test_client;

namespace {

using smtp_test::running;
using smtp_test::test_options;

const std::string ehlo_reply = "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n";

// Records what handle_DATA saw and answers it "Queued"; the hooks run on the controller's thread.
struct queued : smtp_test::recorder {
    queued() { data_reply = {250, "2.0.0 Queued"}; }
};

void send_message(test_client& c) {
    BOOST_TEST(c.command("EHLO client") == ehlo_reply);
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
}

} // namespace

BOOST_AUTO_TEST_SUITE(server)

BOOST_AUTO_TEST_CASE(transaction_reaches_handle_DATA) {
    running<queued> r;
    auto c = r.greeted();
    send_message(c);
    BOOST_TEST(c.command("Subject: hi\r\n\r\nbody\r\n..dot\r\n.") == "250 2.0.0 Queued\r\n");
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
    BOOST_TEST(c.closed_by_server());
    auto messages = r.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].mail_from == "a@example.com");
    BOOST_TEST(messages[0].rcpt_tos == std::vector<std::string>{"b@example.com"});
    BOOST_TEST(messages[0].content == "Subject: hi\r\n\r\nbody\r\n.dot\r\n");
    BOOST_TEST(messages[0].peer_host == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(pipelined_batch_answered_in_order) {
    running<queued> r;
    auto c = r.greeted();
    c.send("EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nRCPT TO:<g@h.i>\r\nDATA\r\n"
           "hello\r\n.\r\nNOOP\r\nQUIT\r\n");
    std::string all = c.read_to_end();
    BOOST_TEST(all == ehlo_reply + "250 OK\r\n250 OK\r\n250 OK\r\n"
                                   "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Queued\r\n"
                                   "250 OK\r\n221 Bye\r\n");
    BOOST_TEST(r.handler().deliveries().at(0).rcpt_tos.size() == 2u);
}

// A handler of coroutine hooks, one of which waits on a timer before it answers.
struct coroutine_hooks {
    boost::asio::awaitable<smtp::reply> handle_RCPT(smtp::connection& conn, smtp::session&,
                                                    smtp::envelope<>& env, std::string_view address,
                                                    std::span<const std::string> options) {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor,
                                    std::chrono::milliseconds(20));
        co_await t.async_wait(boost::asio::use_awaitable);
        if (!address.ends_with("@example.com")) co_return smtp::reply{550, "5.7.1 Relaying denied"};
        env.add_recipient(address, options);
        co_return smtp::reply{250, "Recipient ok on " + std::string(conn.hostname())};
    }
    boost::asio::awaitable<smtp::reply> handle_NOOP(smtp::connection&, smtp::session&,
                                                    smtp::envelope<>&, std::string_view arg) {
        co_return smtp::reply{250, "noop " + std::string(arg)};
    }
};

BOOST_AUTO_TEST_CASE(coroutine_hooks_are_awaited) {
    running<coroutine_hooks> r;
    auto c = r.greeted();
    c.command("EHLO x");
    c.command("MAIL FROM:<a@b.c>");
    BOOST_TEST(c.command("RCPT TO:<x@elsewhere.org>") == "550 5.7.1 Relaying denied\r\n");
    BOOST_TEST(c.command("RCPT TO:<x@example.com>") == "250 Recipient ok on mx.test\r\n");
    BOOST_TEST(c.command("NOOP  hello there ") == "250 noop hello there\r\n");
    BOOST_TEST(c.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(c.command("x\r\n.") == "250 OK\r\n");
}

// aiosmtpd's old-style EHLO hook: extra lines pushed, the hook returns the last one.
struct ehlo_push {
    smtp::reply handle_EHLO(smtp::connection& conn, smtp::session&, smtp::envelope<>&,
                            std::string_view) {
        conn.push("250-XFOO");
        return {250, "HELP"};
    }
};

// aiosmtpd's new-style EHLO hook: gets the lines, returns the lines. Appending after
// "250 HELP" broke aiosmtpd's reply (its #280); here the reply comes out well formed.
struct ehlo_lines {
    std::vector<std::string> handle_EHLO(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                                         std::string_view hostname,
                                         std::vector<std::string> lines) {
        s.host_name = "custom:" + std::string(hostname);
        lines.push_back("250 XBAR");
        return lines;
    }
    smtp::reply handle_NOOP(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                            std::string_view) {
        return {250, s.host_name};
    }
};

BOOST_AUTO_TEST_CASE(ehlo_hook_push_form) {
    running<ehlo_push> r;
    auto c = r.greeted();
    BOOST_TEST(c.command("EHLO x") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-XFOO\r\n250 HELP\r\n");
    // The hook did not set host_name and accepted the greeting: the session is greeted anyway.
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(issue_280_ehlo_hook_output_normalised) {
    running<ehlo_lines> r;
    auto c = r.greeted();
    BOOST_TEST(c.command("EHLO x") == "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n"
                                      "250-HELP\r\n250 XBAR\r\n");
    BOOST_TEST(c.command("NOOP") == "250 custom:x\r\n");
}

// Hooks that fail in every way a hook can.
struct failing_hooks {
    smtp::reply handle_NOOP(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view arg) {
        if (arg == "throw") throw std::invalid_argument("kaboom");
        if (arg == "reply") throw smtp::reply{421, "4.3.2 Going away"};
        if (arg == "int") throw 42;
        return {}; // "no reply"
    }
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        throw std::runtime_error("disk full");
    }
};

BOOST_AUTO_TEST_CASE(hook_failures_get_clear_replies) {
    running<failing_hooks> r;
    auto c = r.greeted();
    BOOST_TEST(c.command("NOOP") == "451 Error: the handler gave no reply\r\n");
    BOOST_TEST(c.command("NOOP throw") == "500 Error: (std::invalid_argument) kaboom\r\n");
    BOOST_TEST(c.command("NOOP reply") == "421 4.3.2 Going away\r\n");
    BOOST_TEST(c.command("NOOP int") == "500 Error: Cannot describe error\r\n");
    // A failed DATA ends the transaction (aiosmtpd keeps it and the next MAIL is "nested").
    send_message(c);
    BOOST_TEST(c.command("x\r\n.") == "500 Error: (std::runtime_error) disk full\r\n");
    BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "503 Error: need MAIL command\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
}

struct with_exception_hook : failing_hooks {
    int calls = 0;
    smtp::reply handle_exception(const std::exception& e) {
        if (std::string_view(e.what()) == "disk full") throw std::logic_error("hook broke");
        return {451, std::string("4.3.0 Sorry: ") + e.what()};
    }
};

BOOST_AUTO_TEST_CASE(handle_exception_answers_for_hooks) {
    running<with_exception_hook> r;
    auto c = r.greeted();
    BOOST_TEST(c.command("NOOP throw") == "451 4.3.0 Sorry: kaboom\r\n");
    BOOST_TEST(c.command("NOOP int") == "451 4.3.0 Sorry: unknown exception\r\n");
    send_message(c);
    BOOST_TEST(c.command("x\r\n.") == "500 Error: (std::logic_error) hook broke\r\n");
    BOOST_TEST(c.command("NOOP") == "451 Error: the handler gave no reply\r\n");
}

struct no_hooks {};

BOOST_AUTO_TEST_CASE(idle_timeout_sends_421_and_closes) {
    auto opts = test_options();
    opts.timeout = std::chrono::milliseconds(300);
    running<no_hooks> r(opts);
    auto c = r.greeted();
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
    auto start = std::chrono::steady_clock::now();
    BOOST_TEST(c.read_reply() == "421 4.4.2 mx.test Error: timeout exceeded\r\n");
    BOOST_TEST((std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250)));
    BOOST_TEST(c.closed_by_server());
}

// The sessions of a thread share one timer (issue 22): each still times out on its own deadline,
// and a client that keeps talking is not cut off by another one's silence.
BOOST_AUTO_TEST_CASE(each_session_times_out_on_its_own_deadline) {
    auto opts = test_options();
    opts.timeout = std::chrono::milliseconds(300);
    running<no_hooks> r(opts);
    auto idle = r.greeted();
    auto busy = r.greeted();
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) { // 0.8 s of commands, well past the idle client's deadline
        BOOST_TEST(busy.command("NOOP") == "250 OK\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_TEST(idle.read_reply() == "421 4.4.2 mx.test Error: timeout exceeded\r\n");
    BOOST_TEST(idle.closed_by_server());
    BOOST_TEST(busy.read_reply() == "421 4.4.2 mx.test Error: timeout exceeded\r\n");
    BOOST_TEST((std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(1000)));
    BOOST_TEST(busy.closed_by_server());
}

// A partial command line does not count as activity (a slowloris cannot hold the session).
BOOST_AUTO_TEST_CASE(idle_timeout_not_reset_by_partial_line) {
    auto opts = test_options();
    opts.timeout = std::chrono::milliseconds(400);
    running<no_hooks> r(opts);
    auto c = r.greeted();
    for (char ch : std::string("NOOP")) {
        c.send(std::string(1, ch));
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    BOOST_TEST(c.read_reply() == "421 4.4.2 mx.test Error: timeout exceeded\r\n");
}

// While DATA bytes keep coming, a message slower than the timeout is not cut off.
BOOST_AUTO_TEST_CASE(timeout_rearmed_while_data_flows) {
    auto opts = test_options();
    opts.timeout = std::chrono::milliseconds(300);
    running<queued> r(opts);
    auto c = r.greeted();
    send_message(c);
    for (int i = 0; i < 8; ++i) {
        c.send("line " + std::to_string(i) + "\r\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_TEST(c.command(".") == "250 2.0.0 Queued\r\n");
    BOOST_TEST(r.handler().deliveries().at(0).content.starts_with("line 0\r\n"));
}

// A hook slower than the timeout is the server's business, not the client's: not cut off.
struct slow_hook {
    boost::asio::awaitable<smtp::reply> handle_NOOP(smtp::connection&, smtp::session&,
                                                    smtp::envelope<>&, std::string_view) {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor,
                                    std::chrono::milliseconds(700));
        co_await t.async_wait(boost::asio::use_awaitable);
        co_return smtp::reply{250, "slow"};
    }
};

BOOST_AUTO_TEST_CASE(timeout_spares_slow_hooks) {
    auto opts = test_options();
    opts.timeout = std::chrono::milliseconds(300);
    running<slow_hook> r(opts);
    auto c = r.greeted();
    BOOST_TEST(c.command("NOOP") == "250 slow\r\n");
}

BOOST_AUTO_TEST_CASE(data_over_size_limit_drained_and_session_survives) {
    auto opts = test_options();
    opts.data_size_limit = 1000;
    running<queued> r(opts);
    auto c = r.greeted();
    c.command("EHLO x");
    c.command("MAIL FROM:<a@b.c>");
    c.command("RCPT TO:<d@e.f>");
    c.command("DATA");
    std::string line(78, 'x');
    for (int i = 0; i < 2000; ++i)
        c.send(line + "\r\n");
    BOOST_TEST(c.command(".") == "552 Error: Too much mail data\r\n");
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
    BOOST_TEST(r.handler().deliveries().empty());
}

// A 10 MiB line without LF: one reply once the line ends, nothing buffered meanwhile.
BOOST_AUTO_TEST_CASE(huge_command_line_one_reply) {
    running<no_hooks> r;
    auto c = r.greeted();
    std::string chunk(1 << 20, 'A');
    for (int i = 0; i < 10; ++i)
        c.send(chunk);
    c.send("\r\n");
    BOOST_TEST(c.read_reply() == "500 Command line too long\r\n");
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
}

// The optional trace hook sees the raw conversation, in order.
BOOST_AUTO_TEST_CASE(trace_hook_sees_conversation) {
    running<smtp_test::recorder> r;
    {
        auto c = r.greeted();
        send_message(c);
        BOOST_TEST(c.command("hi\r\n.") == "250 OK\r\n");
        BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
        BOOST_TEST(c.closed_by_server());
    }
    r.controller.stop();
    std::string log;
    for (const auto& event : r.handler().events())
        log.append(event).append("|");
    BOOST_TEST(log == "connected:|reply:220 mx.test ESMTP smtp " SMTP_VERSION_STRING "\r\n|"
                      "command:EHLO client\r\n|reply:" +
                          ehlo_reply +
                          "|"
                          "command:MAIL FROM:<a@example.com>\r\n|reply:250 OK\r\n|"
                          "command:RCPT TO:<b@example.com>\r\n|reply:250 OK\r\n|"
                          "command:DATA\r\n|reply:354 End data with <CR><LF>.<CR><LF>\r\n|"
                          "data:hi\r\n.\r\n|reply:250 OK\r\n|"
                          "command:QUIT\r\n|reply:221 Bye\r\n|closed:|");
}

BOOST_AUTO_TEST_CASE(many_sessions_at_once) {
    running<queued> r;
    std::vector<test_client> clients;
    for (int i = 0; i < 50; ++i)
        clients.push_back(r.greeted());
    for (auto& c : clients)
        send_message(c);
    for (auto& c : clients)
        BOOST_TEST(c.command("hello\r\n.") == "250 2.0.0 Queued\r\n");
    BOOST_TEST(r.handler().deliveries().size() == 50u);
}

BOOST_AUTO_TEST_SUITE_END()
