#include <smtp/client.hpp>

#include "certificates.hpp"
#include "child_process.hpp"
#include "fixture.hpp"
#include "python.hpp"
#include "run_command.hpp"
#include "scripted_server.hpp"
#include "smtpd_process.hpp"
#include "unit/reply_printer.hpp"

#include <smtp/client/sendmail.hpp>
#include <smtp/controller.hpp>
#include <smtp/server.hpp>
#include <smtp/tls.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// smtp::client over real sockets: against our server, against Python's aiosmtpd, and against a
// scripted server for the replies neither gives.

using smtp_test::certificates;
using smtp_test::from_hex;
using smtp_test::python_with_aiosmtpd;
using smtp_test::scripted_server;
using smtp_test::split;
using strings = std::vector<std::string>;
namespace asio = boost::asio;

namespace {

// Our server's handler: smtp_test::refusing_rules (the sender "blocked@*", recipients "refuse*"
// and "later*"; logins user/secret), a message that says "reject-me" gets 554; all recorded.
struct our_handler : smtp_test::refusing_rules, smtp_test::recorder {
    our_handler() { data_reply = {250, "2.0.0 Stored"}; }
    smtp::reply handle_DATA(smtp::connection& conn, smtp::session& s, smtp::envelope<>& env) {
        smtp::reply stored = recorder::handle_DATA(conn, s, env);
        if (env.original_content.find("reject-me") != std::string::npos)
            return {554, "5.6.0 Rejected"};
        return stored;
    }
};

smtp::options server_options() {
    const auto& certs = certificates::get();
    smtp::options o = smtp_test::test_options();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    return o;
}

using our_server = smtp_test::running<our_handler>;

asio::ssl::context unverified_tls() {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_none);
    return ctx;
}

// Runs a coroutine test body on an io_context of its own; rethrows its exception.
void run(std::function<asio::awaitable<void>(asio::any_io_executor)> body) {
    asio::io_context io;
    auto done = asio::co_spawn(io, body(io.get_executor()), asio::use_future);
    io.run();
    done.get();
}

} // namespace

BOOST_AUTO_TEST_SUITE(client)

BOOST_AUTO_TEST_CASE(connect_and_ehlo_record_greeting_and_extensions) {
    our_server server(server_options());
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        smtp::reply greeting = co_await c.connect("127.0.0.1", server.port());
        BOOST_TEST(greeting.code == 220);
        BOOST_TEST(greeting.text.starts_with("mx.test "));
        BOOST_TEST(c.greeting() == greeting);
        smtp::reply r = co_await c.ehlo("client.test");
        BOOST_TEST(r.code == 250);
        BOOST_TEST(c.extended());
        BOOST_TEST(c.server_extensions().size_limit().value() == 33554432u);
        BOOST_TEST(c.server_extensions().has("8BITMIME"));
        BOOST_TEST(c.server_extensions().has("STARTTLS"));
        BOOST_TEST(!c.server_extensions().has("AUTH")); // only over TLS
        auto r1 = co_await c.command("NOOP");
        BOOST_TEST(r1 == smtp::reply::ok());
        auto r2 = co_await c.quit();
        BOOST_TEST(r2.code == 221);
        BOOST_TEST(!c.is_open());
    });
}

BOOST_AUTO_TEST_CASE(send_reports_each_recipient) {
    our_server server(server_options());
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", server.port());
        co_await c.ehlo("client.test");
        const strings rcpts{"ok@example.com", "refuse@example.com", "later@example.com"};
        auto result = co_await c.send("a@example.com", rcpts, "Subject: hi\r\n\r\nbody\r\n");
        BOOST_TEST(result.mail == smtp::reply::ok());
        BOOST_TEST_REQUIRE(result.recipients.size() == 3u);
        BOOST_TEST(result.recipients[0].accepted());
        BOOST_TEST(result.recipients[1].reply == (smtp::reply{550, "5.1.1 No such user"}));
        BOOST_TEST(result.recipients[2].reply == (smtp::reply{451, "4.2.0 Try later"}));
        BOOST_TEST(result.data == (smtp::reply{250, "2.0.0 Stored"}));
        BOOST_TEST(result.sent());
        BOOST_TEST(result.refused().size() == 2u);
        co_await c.quit();
    });
    auto messages = server.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].mail_from == "a@example.com");
    BOOST_TEST(messages[0].rcpt_tos == strings{"ok@example.com"});
    BOOST_TEST(messages[0].content == "Subject: hi\r\n\r\nbody\r\n");
    BOOST_TEST(messages[0].mail_options == strings{"SIZE=21"});
}

BOOST_AUTO_TEST_CASE(send_dot_stuffs_and_normalizes_line_breaks) {
    our_server server(server_options());
    auto result = smtp::sendmail("127.0.0.1", server.port(), "<>", {"b@example.com"},
                                 ".leading\n..two\r\nbare\rCR\r\n.\r\nlast");
    BOOST_TEST(result.sent());
    auto messages = server.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].mail_from == "<>");
    BOOST_TEST(messages[0].content == ".leading\r\n..two\r\nbare\r\nCR\r\n.\r\nlast\r\n");
}

BOOST_AUTO_TEST_CASE(send_adds_body_8bitmime_for_8bit_content) {
    our_server server(server_options());
    smtp::sendmail("127.0.0.1", server.port(), "a@example.com", {"b@example.com"},
                   "Subject: x\r\n\r\nGr\xc3\xbc\xc3\x9f"
                   "e\r\n");
    auto messages = server.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].mail_options == (strings{"SIZE=23", "BODY=8BITMIME"}));
}

BOOST_AUTO_TEST_CASE(refused_transactions_are_reset_and_the_client_goes_on) {
    our_server server(server_options());
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", server.port());
        co_await c.ehlo("client.test");
        const strings to_refuse{"refuse@example.com"};
        auto none = co_await c.send("a@example.com", to_refuse, "x");
        BOOST_TEST(!none.sent());
        BOOST_TEST(none.data.empty());
        const strings to_b{"b@example.com"};
        auto rejected = co_await c.send("a@example.com", to_b, "reject-me\r\n");
        BOOST_TEST(rejected.data == (smtp::reply{554, "5.6.0 Rejected"}));
        auto fine = co_await c.send("a@example.com", to_b, "fine\r\n");
        BOOST_TEST(fine.sent());
        auto bad_sender = co_await c.send("blocked@example.com", to_b, "x");
        BOOST_TEST(bad_sender.mail == (smtp::reply{550, "5.7.1 Sender blocked"}));
        BOOST_TEST(bad_sender.recipients.empty());
        auto r3 = co_await c.send("a@example.com", to_b, "again");
        BOOST_TEST(r3.sent());
        co_await c.quit();
    });
    BOOST_TEST(server.handler().deliveries().size() == 3u);
}

BOOST_AUTO_TEST_CASE(starttls_then_login_plain) {
    our_server server(server_options());
    auto tls = unverified_tls();
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", server.port());
        co_await c.ehlo("client.test");
        auto r4 = co_await c.starttls(tls);
        BOOST_TEST(r4);
        BOOST_TEST(c.tls_active());
        BOOST_TEST(!c.server_extensions().has("STARTTLS")); // from the EHLO after TLS
        BOOST_TEST(c.server_extensions().auth_mechanisms() == (strings{"LOGIN", "PLAIN"}));
        auto r5 = co_await c.starttls(tls);
        BOOST_TEST(!r5); // already on
        co_await c.login("user", "secret");
        const strings to_b{"b@example.com"};
        auto r6 = co_await c.send("a@example.com", to_b, "secure\r\n");
        BOOST_TEST(r6.sent());
        co_await c.quit();
    });
    auto messages = server.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].tls);
    BOOST_TEST(messages[0].authenticated);
}

BOOST_AUTO_TEST_CASE(login_falls_back_to_LOGIN) {
    auto options = server_options();
    options.auth_exclude_mechanism = {"PLAIN"};
    our_server server(options);
    auto tls = unverified_tls();
    smtp::sendmail_options how{
        .tls = &tls, .require_tls = true, .credentials = smtp::login_password{"user", "secret"}};
    auto result = smtp::sendmail("127.0.0.1", server.port(), "a@example.com", {"b@example.com"},
                                 "via LOGIN\r\n", how);
    BOOST_TEST(result.sent());
    BOOST_TEST(server.handler().deliveries().at(0).authenticated);
}

BOOST_AUTO_TEST_CASE(login_failure_throws_with_the_reply) {
    our_server server(server_options());
    auto tls = unverified_tls();
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", server.port());
        co_await c.ehlo("client.test");
        try {
            co_await c.login("user", "secret");
            BOOST_ERROR("AUTH is not offered without TLS, yet login succeeded");
        } catch (const smtp::client_error& e) {
            BOOST_TEST(e.server_reply().empty());
            BOOST_TEST(std::string(e.what()).find("does not offer AUTH") != std::string::npos);
        }
        co_await c.starttls(tls);
        try {
            co_await c.login("user", "wrong");
            BOOST_ERROR("a wrong password was accepted");
        } catch (const smtp::client_error& e) {
            BOOST_TEST(e.server_reply().code == 535);
            BOOST_TEST(e.command() == "AUTH PLAIN");
        }
        co_await c.quit();
    });
}

BOOST_AUTO_TEST_CASE(implicit_tls_connect) {
    our_server server(server_options(), {}, smtp_test::loopback(true));
    auto tls = unverified_tls();
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        auto r7 = co_await c.connect("127.0.0.1", server.port(), tls);
        BOOST_TEST(r7.code == 220);
        BOOST_TEST(c.tls_active());
        co_await c.ehlo("client.test");
        co_await c.login("user", "secret");
        const strings to_b{"b@example.com"};
        auto r8 = co_await c.send("a@example.com", to_b, "smtps\r\n");
        BOOST_TEST(r8.sent());
        co_await c.quit();
    });
    BOOST_TEST(server.handler().deliveries().at(0).tls);
}

BOOST_AUTO_TEST_CASE(certificate_verification_is_enforced_when_asked) {
    our_server server(server_options());
    asio::ssl::context verifying(asio::ssl::context::tls_client);
    verifying.set_verify_mode(asio::ssl::verify_peer);
    verifying.load_verify_file(certificates::get().mx_cert); // trusted, but for mx.test only
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", server.port());
        co_await c.ehlo("client.test");
        BOOST_CHECK_THROW(co_await c.starttls(verifying), boost::system::system_error);
        BOOST_TEST(!c.is_open());
    });
}

BOOST_AUTO_TEST_CASE(connection_refused_throws_system_error) {
    std::uint16_t port = smtp_test::free_port();
    BOOST_CHECK_THROW(smtp::sendmail("127.0.0.1", port, "a@b.c", {"d@e.f"}, "x"),
                      boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(command_injection_is_refused_before_sending) {
    our_server server(server_options());
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", server.port());
        co_await c.ehlo("client.test");
        BOOST_CHECK_THROW(co_await c.command("NOOP\r\nRSET"), std::invalid_argument);
        const strings to_d{"d@e.f"};
        BOOST_CHECK_THROW(co_await c.send("a@b.c\r\nRCPT TO:<x@y.z>", to_d, "x"),
                          std::invalid_argument);
        BOOST_CHECK_THROW(co_await c.ehlo("x\nMAIL FROM:<a@b.c>"), std::invalid_argument);
        auto r9 = co_await c.command("NOOP");
        BOOST_TEST(r9 == smtp::reply::ok()); // still in step
        co_await c.quit();
    });
}

BOOST_AUTO_TEST_CASE(helo_fallback_when_ehlo_is_refused) {
    scripted_server s(
        {scripted_server::say("220-old.test\r\n220 no ESMTP here\r\n"), scripted_server::expect(),
         scripted_server::say("502 5.5.2 Command not recognized\r\n"), scripted_server::expect(),
         scripted_server::say("250 old.test\r\n"), scripted_server::expect(),
         scripted_server::say("250 OK\r\n"), scripted_server::expect(),
         scripted_server::say("250 OK\r\n"), scripted_server::expect(),
         scripted_server::say("354 go\r\n"), scripted_server::expect(), scripted_server::expect(),
         scripted_server::say("250 done\r\n"), scripted_server::expect(),
         scripted_server::say("221 bye\r\n")});
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        smtp::reply greeting = co_await c.connect("127.0.0.1", s.port());
        BOOST_TEST(greeting.text == "old.test\nno ESMTP here");
        auto r10 = co_await c.ehlo("me.test");
        BOOST_TEST(r10 == (smtp::reply{250, "old.test"}));
        BOOST_TEST(!c.extended());
        const strings to_d{"d@e.f"};
        auto r11 = co_await c.send("a@b.c", to_d, "hi");
        BOOST_TEST(r11.sent());
        co_await c.quit();
    });
    BOOST_TEST(s.received() == (strings{"EHLO me.test", "HELO me.test", "MAIL FROM:<a@b.c>",
                                        "RCPT TO:<d@e.f>", "DATA", "hi", ".", "QUIT"}));
}

BOOST_AUTO_TEST_CASE(multi_line_reply_with_enhanced_codes) {
    scripted_server s(
        {scripted_server::say("220 x\r\n"), scripted_server::expect(),
         scripted_server::say("250-x greets you\r\n250-SIZE 100\r\n250 PIPELINING\r\n"),
         scripted_server::expect(),
         scripted_server::say("550-5.7.1 first line\r\n550 5.7.1 second line\r\n")});
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", s.port());
        co_await c.ehlo("me");
        BOOST_TEST(c.server_extensions().size_limit().value() == 100u);
        auto r12 = co_await c.command("VRFY x");
        BOOST_TEST(r12 == (smtp::reply{550, "5.7.1 first line\n5.7.1 second line"}));
    });
}

BOOST_AUTO_TEST_CASE(malformed_reply_is_a_client_error) {
    scripted_server s({scripted_server::say("220 x\r\n"), scripted_server::expect(),
                       scripted_server::say("hello there\r\n")});
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", s.port());
        BOOST_CHECK_THROW(co_await c.ehlo("me"), smtp::client_error);
        BOOST_TEST(!c.is_open());
    });
}

BOOST_AUTO_TEST_CASE(greeting_other_than_220_is_a_client_error) {
    scripted_server s({scripted_server::say("554 5.3.2 No service\r\n")});
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        try {
            co_await c.connect("127.0.0.1", s.port());
            BOOST_ERROR("connect accepted a 554 greeting");
        } catch (const smtp::client_error& e) {
            BOOST_TEST(e.server_reply().code == 554);
        }
    });
}

BOOST_AUTO_TEST_CASE(silent_server_times_out) {
    scripted_server s(
        {scripted_server::say("220 x\r\n"), scripted_server::expect(), scripted_server::pause()});
    auto started = std::chrono::steady_clock::now();
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex, {.timeout = std::chrono::milliseconds(200)});
        co_await c.connect("127.0.0.1", s.port());
        try {
            co_await c.ehlo("me");
            BOOST_ERROR("no timeout");
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == asio::error::timed_out);
        }
        BOOST_TEST(!c.is_open());
    });
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1500)));
}

// Bytes that arrive with the 220 to STARTTLS were sent before TLS: they must not be read as
// the reply to the EHLO sent after it (the client side of the STARTTLS injection bugs).
BOOST_AUTO_TEST_CASE(starttls_drops_bytes_injected_before_tls) {
    const auto& certs = certificates::get();
    scripted_server s({scripted_server::say("220 x\r\n"), scripted_server::expect(),
                       scripted_server::say("250-x\r\n250 STARTTLS\r\n"), scripted_server::expect(),
                       scripted_server::say("220 go ahead\r\n250-injected\r\n250 AUTH EVIL\r\n"),
                       scripted_server::start_tls(certs.mx_cert, certs.mx_key),
                       scripted_server::expect(),
                       scripted_server::say("250-x\r\n250 AUTH PLAIN\r\n"),
                       scripted_server::expect(), scripted_server::say("221 bye\r\n")});
    auto tls = unverified_tls();
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", s.port());
        co_await c.ehlo("me");
        auto r13 = co_await c.starttls(tls);
        BOOST_TEST(r13);
        BOOST_TEST(c.server_extensions().auth_mechanisms() == strings{"PLAIN"});
        auto r14 = co_await c.quit();
        BOOST_TEST(r14.code == 221);
    });
    BOOST_TEST(s.received() == (strings{"EHLO me", "STARTTLS", "EHLO me", "QUIT"}));
}

BOOST_AUTO_TEST_CASE(service_closing_on_rcpt_stops_the_transaction) {
    scripted_server s({scripted_server::say("220 x\r\n"), scripted_server::expect(),
                       scripted_server::say("250 x\r\n"), scripted_server::expect(),
                       scripted_server::say("250 OK\r\n"), scripted_server::expect(),
                       scripted_server::say("421 4.3.2 Shutting down\r\n"),
                       scripted_server::hang_up()});
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", s.port());
        co_await c.ehlo("me");
        const strings rcpts{"d@e.f", "g@h.i"};
        auto result = co_await c.send("a@b.c", rcpts, "x");
        BOOST_TEST_REQUIRE(result.recipients.size() == 1u);
        BOOST_TEST(result.recipients[0].reply.code == 421);
        BOOST_TEST(!result.sent());
        BOOST_TEST(!c.is_open());
        auto r15 = co_await c.quit();
        BOOST_TEST(r15.empty());
    });
}

// Python's aiosmtpd as the server: STARTTLS required, AUTH only over TLS.
BOOST_AUTO_TEST_CASE(against_aiosmtpd_with_starttls_and_auth) {
    std::string python = python_with_aiosmtpd();
    if (python.empty()) {
        BOOST_TEST_MESSAGE("aiosmtpd is not installed (apt-get install python3-aiosmtpd): skipped");
        return;
    }
    const auto& certs = certificates::get();
    smtp_test::child_process server(
        {python, SMTP_TEST_PYTHON_DIR "/aiosmtpd_server.py", certs.mx_cert, certs.mx_key});
    auto port_line = server.read_line();
    BOOST_TEST_REQUIRE(port_line.has_value(), "aiosmtpd did not start: " << server.pending());
    auto port = std::uint16_t(std::stoi(*port_line));
    auto tls = unverified_tls();
    run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
        smtp::client c(ex);
        co_await c.connect("127.0.0.1", port);
        co_await c.ehlo("client.test");
        BOOST_TEST(c.server_extensions().has("STARTTLS"));
        BOOST_CHECK_THROW(co_await c.login("user", "secret"), smtp::client_error);
        const strings to_b{"b@example.com"};
        auto plain = co_await c.send("a@example.com", to_b, "x");
        BOOST_TEST(plain.mail.code == 530); // aiosmtpd: Must issue a STARTTLS command first
        auto r16 = co_await c.starttls(tls);
        BOOST_TEST(r16);
        co_await c.login("user", "secret");
        const strings rcpts{"b@example.com", "refuse@example.com"};
        auto result = co_await c.send("a@example.com", rcpts,
                                      "Subject: from C++\r\n\r\n.dot line\nbare LF\r\n");
        BOOST_TEST(result.sent());
        BOOST_TEST(result.data == (smtp::reply{250, "2.0.0 Recorded"}));
        BOOST_TEST_REQUIRE(result.recipients.size() == 2u);
        BOOST_TEST(result.recipients[1].reply == (smtp::reply{550, "5.1.1 No such user"}));
        co_await c.quit();
    });
    // aiosmtpd may log warnings first (its own use of the deprecated login_data).
    auto line = server.read_line();
    while (line && !line->starts_with("MESSAGE\t"))
        line = server.read_line();
    BOOST_TEST_REQUIRE(line.has_value(), "no message line: " << server.pending());
    auto fields = split(*line, '\t');
    BOOST_TEST_REQUIRE(fields.size() == 7u, *line);
    BOOST_TEST(fields[0] == "MESSAGE");
    BOOST_TEST(fields[1] == "True"); // TLS
    BOOST_TEST(fields[2] == "user");
    BOOST_TEST(fields[3] == "a@example.com");
    BOOST_TEST(fields[4] == "b@example.com");
    BOOST_TEST(fields[5] == "SIZE=41");
    BOOST_TEST(from_hex(fields[6]) == "Subject: from C++\r\n\r\n.dot line\r\nbare LF\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
