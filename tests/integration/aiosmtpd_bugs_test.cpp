// aiosmtpd's security advisories and known bugs (AIOSMTPD.md §9), one regression test each,
// named after the item, over loopback. Items already pinned by a test elsewhere are not repeated
// here: docs/reliability.md maps every §9 item to its test.
#include <smtp/server.hpp>

#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using smtp_test::test_client;
using smtp_test::test_options;
using namespace std::chrono_literals;

namespace {

// Records what handle_DATA saw and the trace of every session (smtp_test::recorder), and counts
// the exceptions the handle_exception hook was asked about. Hooks run on the controller's thread.
struct observer : smtp_test::recorder {
    std::shared_ptr<std::atomic<int>> exceptions_seen = std::make_shared<std::atomic<int>>(0);

    smtp::reply handle_exception(const std::exception&) {
        ++*exceptions_seen;
        return {451, "4.3.0 Sorry"};
    }
    int exceptions() const { return *exceptions_seen; }
};

using observed_server = smtp_test::running<observer>;

void start_transaction(test_client& c) {
    BOOST_TEST_REQUIRE(c.command("EHLO client.example").starts_with("250-mx.test\r\n"));
    BOOST_TEST_REQUIRE(c.command("MAIL FROM:<anne@example.com>") == "250 OK\r\n");
    BOOST_TEST_REQUIRE(c.command("RCPT TO:<bart@example.com>") == "250 OK\r\n");
    BOOST_TEST_REQUIRE(c.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
}

} // namespace

BOOST_AUTO_TEST_SUITE(aiosmtpd_known_bugs)

// CVE-2024-27305: a dot on a line ended by a bare LF or CR, or after a bare LF or CR, ended
// DATA in aiosmtpd < 1.4.5, and what followed was read as commands (a second, spoofed message).
// Only <CRLF>.<CRLF> ends DATA; the smuggled commands stay content.
BOOST_AUTO_TEST_CASE(cve_2024_27305_smtp_smuggling) {
    const std::string smuggled = "MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.com>\r\n"
                                 "DATA\r\nSubject: spoofed\r\n\r\nevil\r\n";
    const std::string ends[] = {"\n.\r\n", "\n.\n",   "\r.\r\n", "\r.\r",
                                "\r\n.\n", "\r\n.\r", "\n.\r",   "\r.\n"};
    observed_server r;
    auto c = r.greeted();
    for (const auto& end : ends) {
        start_transaction(c);
        const std::string content = "Subject: real\r\n\r\nbody" + end + smuggled;
        c.send(content + "\r\n.\r\n");
        BOOST_TEST(c.read_reply() == "250 OK\r\n"); // one reply: one message
        BOOST_TEST(c.command("NOOP") == "250 OK\r\n", "something was left to answer");
    }
    auto contents = r.handler().contents();
    BOOST_TEST_REQUIRE(contents.size() == std::size(ends));
    for (std::size_t i = 0; i < contents.size(); ++i) {
        // A line that starts with a dot loses it (transparency, RFC 5321 §4.5.2): the dot of
        // "\r\n.\n" and "\r\n.\r" begins a CRLF line; in the others it is inside one.
        std::string end = ends[i];
        if (end.starts_with("\r\n.")) end.erase(2, 1);
        BOOST_TEST(contents[i] == "Subject: real\r\n\r\nbody" + end + smuggled + "\r\n");
    }
}

// #280 companion, #406: a custom EHLO hook need not set session.host_name for MAIL to work.
struct greeting_hook : observer {
    smtp::reply handle_EHLO(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view) {
        return {250, "HELP"};
    }
};

BOOST_AUTO_TEST_CASE(issue_406_greeting_hooks_need_not_set_host_name) {
    smtp_test::running<greeting_hook> r;
    auto c = r.greeted();
    BOOST_TEST(c.command("EHLO client.example").starts_with("250-mx.test\r\n"));
    BOOST_TEST(c.command("MAIL FROM:<anne@example.com>") == "250 OK\r\n");
}

// #389: the EHLO reply lines went out as separate writes (and packets). One write here.
BOOST_AUTO_TEST_CASE(issue_389_ehlo_reply_in_one_write) {
    observed_server r;
    {
        auto c = r.greeted();
        BOOST_TEST(c.command("EHLO client.example") ==
                   "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
        BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
        BOOST_TEST(c.closed_by_server());
    }
    r.controller.stop();
    const auto trace = r.handler().events();
    auto ehlo = std::find(trace.begin(), trace.end(), "command:EHLO client.example\r\n");
    BOOST_TEST_REQUIRE((ehlo != trace.end() && ehlo + 1 != trace.end()));
    BOOST_TEST(ehlo[1] == "reply:250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
}

// Shared, cumulative command_size_limits: in aiosmtpd every EHLO raised the limit of MAIL
// again, for every connection. Here the limit is per session and fixed: 512 + 26 (SIZE=).
BOOST_AUTO_TEST_CASE(command_size_limits_neither_shared_nor_cumulative) {
    observed_server r;
    auto a = r.greeted();
    for (int i = 0; i < 10; ++i)
        a.command("EHLO client.example");
    auto b = r.greeted();
    b.command("HELO client.example");
    const std::string local(512 + 26 - std::string("MAIL FROM:<@example.com>").size(), 'a');
    const std::string fits = "MAIL FROM:<" + local + "@example.com>";
    BOOST_TEST(a.command(fits) == "250 OK\r\n");
    BOOST_TEST(a.command("RSET") == "250 OK\r\n");
    BOOST_TEST(a.command("MAIL FROM:<a" + local + "@example.com>") ==
               "500 Command line too long\r\n");
    // HELO: no ESMTP allowance at all, however many EHLOs the other connection sent.
    BOOST_TEST(b.command(fits) == "500 Command line too long\r\n");
}

// handle_exception returning None silently killed the session (the docs promise 451).
struct exception_hook_without_reply {
    smtp::reply handle_NOOP(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view) {
        throw std::runtime_error("broken hook");
    }
    smtp::reply handle_exception(const std::exception&) { return {}; }
};

BOOST_AUTO_TEST_CASE(handle_exception_returning_nothing_still_replies) {
    smtp_test::running<exception_hook_without_reply> r;
    auto c = r.greeted();
    BOOST_TEST(c.command("NOOP").starts_with("451 "));
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
}

// Idle timer: aiosmtpd did not re-arm it during AUTH (nor DATA) and closed without a 421.
// Each step of an AUTH exchange gets the whole timeout; silence gets the 421.
BOOST_AUTO_TEST_CASE(idle_timer_rearmed_during_auth_and_421_sent) {
    auto o = test_options();
    o.timeout = 3s;
    o.auth_require_tls = false;
    observed_server r(o);
    auto c = r.greeted();
    c.command("EHLO client.example");
    BOOST_TEST(c.command("AUTH LOGIN") == "334 VXNlciBOYW1lAA==\r\n");
    std::this_thread::sleep_for(2s);
    BOOST_TEST(c.command("YWxpY2U=") == "334 UGFzc3dvcmQA\r\n");
    std::this_thread::sleep_for(2s); // 4 s into AUTH: past the timeout if it were not re-armed
    BOOST_TEST(c.command("c2VjcmV0") == "535 5.7.8 Authentication credentials invalid\r\n");
    BOOST_TEST(c.read_reply() == "421 4.4.2 mx.test Error: timeout exceeded\r\n");
    BOOST_TEST(c.closed_by_server());
}

// #492: the Controller's readiness check was a connection the handler saw. None here.
BOOST_AUTO_TEST_CASE(issue_492_no_trigger_connection) {
    observed_server r;
    r.controller.stop();
    BOOST_TEST(r.handler().events().empty());
}

// #272: binding 0.0.0.0 timed out on some systems (the readiness check connected to it).
BOOST_AUTO_TEST_CASE(issue_272_bind_any_address) {
    observed_server r(test_options(), {}, {"0.0.0.0", 0});
    auto c = r.greeted(); // through 127.0.0.1
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
}

// #394: stop() hung with sessions open (Python 3.12). It ends them and returns.
BOOST_AUTO_TEST_CASE(issue_394_stop_with_open_sessions) {
    observed_server r;
    std::vector<test_client> clients;
    for (int i = 0; i < 5; ++i)
        clients.push_back(r.greeted());
    start_transaction(clients.back());
    r.controller.stop();
    for (auto& c : clients)
        BOOST_TEST(c.closed_by_server());
}

// #8: the connection stayed open after QUIT.
BOOST_AUTO_TEST_CASE(issue_8_quit_closes_the_connection) {
    observed_server r;
    auto c = r.greeted();
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
    BOOST_TEST(c.closed_by_server());
}

// #127/#162: handle_exception was called when a client disconnected. A client vanishing
// anywhere (between commands, in DATA, in AUTH) is no exception to report.
BOOST_AUTO_TEST_CASE(issue_127_disconnect_is_not_an_exception) {
    auto o = test_options();
    o.auth_require_tls = false;
    observed_server r(o);
    { auto c = r.greeted(); }
    {
        auto c = r.greeted();
        start_transaction(c);
        c.send("Subject: cut short\r\n\r\nhalf a mess");
    }
    {
        auto c = r.greeted();
        c.command("EHLO client.example");
        c.command("AUTH LOGIN");
        c.abort();
    }
    // The next session is served, and by then the server has seen the others end.
    auto c = r.greeted();
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
    BOOST_TEST(c.closed_by_server());
    r.controller.stop();
    BOOST_TEST(r.handler().exceptions() == 0);
    BOOST_TEST(r.handler().contents().empty());
}

BOOST_AUTO_TEST_SUITE_END()
