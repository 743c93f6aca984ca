#include <smtp/handlers/relay.hpp>

#include "certificates.hpp"
#include "fixture.hpp"
#include "run_command.hpp"
#include "scripted_server.hpp"
#include "smtpd_process.hpp"
#include "unit/reply_printer.hpp"

#include <smtp/client.hpp>
#include <smtp/client/sendmail.hpp>
#include <smtp/controller.hpp>
#include <smtp/server.hpp>
#include <smtp/tls.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: the command-line tests are skipped
#endif

// The Proxy handler relaying to a second in-process server (the "upstream"), which refuses
// what the tests ask it to.

using smtp_test::certificates;
using strings = std::vector<std::string>;

namespace {

// The upstream: smtp_test::refusing_rules ("refuse*" recipients get 550, "later*" 451, a sender
// "blocked@*" 550; logins user/secret); a message saying "too-big" gets 552. It records the rest.
struct upstream_handler : smtp_test::refusing_rules, smtp_test::recorder {
    upstream_handler() { data_reply = {250, "2.0.0 Relayed"}; }
    smtp::reply handle_DATA(smtp::connection& conn, smtp::session& s, smtp::envelope<>& env) {
        if (env.original_content.find("too-big") != std::string::npos)
            return {552, "5.3.4 Message too big for system"};
        return recorder::handle_DATA(conn, s, env);
    }
};

using upstream = smtp_test::running<upstream_handler>;
using relay_server = smtp_test::running<smtp::handlers::relay>;

smtp::options upstream_options() {
    return {.hostname = "upstream.test"};
}

// The Proxy handler, relaying to 127.0.0.1:`upstream_port`.
relay_server relay_to(std::uint16_t upstream_port, smtp::handlers::relay_options o = {}) {
    return relay_server({.hostname = "proxy.test"},
                        smtp::handlers::relay("127.0.0.1", upstream_port, std::move(o)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(relay)

BOOST_AUTO_TEST_CASE(relays_with_x_peer_and_the_same_envelope) {
    upstream up(upstream_options());
    auto p = relay_to(up.port());
    auto result = p.sendmail({"bart@example.com", "cate@example.com"});
    BOOST_TEST(result.data == smtp::reply::ok());
    auto messages = up.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].mail_from == "anne@example.com");
    BOOST_TEST(messages[0].rcpt_tos == (strings{"bart@example.com", "cate@example.com"}));
    BOOST_TEST(messages[0].content == "Subject: hi\r\nX-Peer: 127.0.0.1\r\n\r\nbody\r\n");
    BOOST_TEST(messages[0].helo == "proxy.test"); // the proxy greets with its host name
}

BOOST_AUTO_TEST_CASE(null_sender_and_dots_survive_the_relay) {
    upstream up(upstream_options());
    auto p = relay_to(up.port());
    BOOST_TEST(p.sendmail({"bart@example.com"}, "Subject: x\r\n\r\n.\r\n..two\r\n", "<>").sent());
    auto messages = up.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].mail_from == "<>");
    BOOST_TEST(messages[0].content == "Subject: x\r\nX-Peer: 127.0.0.1\r\n\r\n.\r\n..two\r\n");
}

BOOST_AUTO_TEST_CASE(some_refused_gives_250_counting_them) {
    upstream up(upstream_options());
    auto p = relay_to(up.port());
    auto result = p.sendmail({"bart@example.com", "refuse@example.com"});
    BOOST_TEST(result.data == (smtp::reply{250, "OK (1 of 2 recipients refused upstream)"}));
    BOOST_TEST(up.handler().deliveries().at(0).rcpt_tos == strings{"bart@example.com"});
}

BOOST_AUTO_TEST_CASE(all_refused_permanently_gives_554) {
    upstream up(upstream_options());
    auto p = relay_to(up.port());
    auto result = p.sendmail({"refuse1@example.com", "refuse2@example.com"});
    BOOST_TEST(result.data == (smtp::reply{554, "5.1.1 No such user"}));
    BOOST_TEST(up.handler().deliveries().empty());
}

BOOST_AUTO_TEST_CASE(all_refused_with_a_temporary_one_gives_451) {
    upstream up(upstream_options());
    auto p = relay_to(up.port());
    auto result = p.sendmail({"refuse@example.com", "later@example.com"});
    BOOST_TEST(result.data == (smtp::reply{451, "4.2.0 Try later"}));
}

BOOST_AUTO_TEST_CASE(refused_sender_and_message_pass_through) {
    upstream up(upstream_options());
    auto p = relay_to(up.port());
    BOOST_TEST(p.sendmail({"bart@example.com"}, "x\r\n", "blocked@example.com").data ==
               (smtp::reply{550, "5.7.1 Sender blocked"}));
    BOOST_TEST(p.sendmail({"bart@example.com"}, "too-big\r\n").data ==
               (smtp::reply{552, "5.3.4 Message too big for system"}));
    BOOST_TEST(up.handler().deliveries().empty());
}

BOOST_AUTO_TEST_CASE(upstream_down_gives_451) {
    auto p = relay_to(smtp_test::free_port());
    BOOST_TEST(p.sendmail({"bart@example.com"}).data ==
               (smtp::reply{451, "4.4.1 Upstream server unavailable, try again later"}));
}

BOOST_AUTO_TEST_CASE(silent_upstream_times_out_with_451) {
    smtp_test::scripted_server silent({smtp_test::scripted_server::pause()});
    smtp::handlers::relay_options o;
    o.client.timeout = std::chrono::milliseconds(200);
    auto p = relay_to(silent.port(), o);
    BOOST_TEST(p.sendmail({"bart@example.com"}).data.code == 451);
}

BOOST_AUTO_TEST_CASE(upstream_refusing_the_session) {
    upstream up({.hostname = "upstream.test", .auth_required = true});
    auto p = relay_to(up.port()); // no credentials: the upstream refuses MAIL
    BOOST_TEST(p.sendmail({"bart@example.com"}).data ==
               (smtp::reply{554, "5.7.0 Authentication required"}));
    smtp::handlers::relay_options wrong;
    wrong.credentials = smtp::login_password{"user", "wrong"};
    auto q = relay_to(up.port(), wrong); // AUTH not offered without TLS
    BOOST_TEST(q.sendmail({"bart@example.com"}).data ==
               (smtp::reply{451, "4.4.0 Upstream session failed, try again later"}));
}

BOOST_AUTO_TEST_CASE(starttls_and_auth_to_the_upstream) {
    const auto& certs = certificates::get();
    upstream up({.hostname = "upstream.test",
                 .tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key),
                 .require_starttls = true,
                 .auth_required = true});
    auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    tls->set_verify_mode(boost::asio::ssl::verify_none);
    smtp::handlers::relay_options o{.tls = tls,
                                    .require_tls = true,
                                    .credentials = smtp::login_password{"user", "secret"},
                                    .helo_name = "relay.test"};
    auto p = relay_to(up.port(), o);
    BOOST_TEST(p.sendmail({"bart@example.com"}).data == smtp::reply::ok());
    auto messages = up.handler().deliveries();
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0].tls);
    BOOST_TEST(messages[0].authenticated);
    BOOST_TEST(messages[0].helo == "relay.test");
}

BOOST_AUTO_TEST_CASE(requiring_tls_from_an_upstream_without_it_gives_451) {
    upstream up(upstream_options());
    auto tls = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
    auto p = relay_to(up.port(), {.tls = tls, .require_tls = true});
    BOOST_TEST(p.sendmail({"bart@example.com"}).data.code == 451);
    BOOST_TEST(up.handler().deliveries().empty());
}

// Other connections go on while one relays: the relay is asynchronous.
BOOST_AUTO_TEST_CASE(a_slow_upstream_does_not_hold_up_other_clients) {
    smtp_test::scripted_server slow({smtp_test::scripted_server::pause()});
    smtp::handlers::relay_options o;
    o.client.timeout = std::chrono::seconds(5);
    auto p = relay_to(slow.port(), o);
    std::thread relaying([&] { p.sendmail({"bart@example.com"}); });
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the relay is waiting now
    auto started = std::chrono::steady_clock::now();
    boost::asio::io_context io;
    auto f = boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<smtp::reply> {
            smtp::client c(co_await boost::asio::this_coro::executor);
            co_await c.connect("127.0.0.1", p.port());
            co_await c.ehlo("other.test");
            co_return co_await c.quit();
        },
        boost::asio::use_future);
    io.run();
    BOOST_TEST(f.get().code == 221);
    BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1000)));
    relaying.join();
}

BOOST_AUTO_TEST_CASE(smtpd_proxy_from_the_command_line) {
    if (std::string_view(SMTPD_PATH).empty()) return;
    auto none = smtp_test::run_command(SMTPD_PATH " -n -c Proxy");
    BOOST_TEST(none.exit_code == 2);
    BOOST_TEST(none.output.find("smtpd: error: The remote host and port are required\n") !=
                   std::string::npos,
               none.output);
    auto port = smtp_test::run_command(SMTPD_PATH " -n -c Proxy localhost x");
    BOOST_TEST(port.exit_code == 2);
    BOOST_TEST(port.output.find("smtpd: error: Invalid port number: x\n") != std::string::npos);
    auto many = smtp_test::run_command(SMTPD_PATH " -n -c Proxy a 25 b");
    BOOST_TEST(many.output.find("smtpd: error: Too many arguments for Proxy handler\n") !=
               std::string::npos);

    // And it relays: smtpd -c Proxy 127.0.0.1 <upstream>.
    upstream up(upstream_options());
    smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                   {"-c", "Proxy", "127.0.0.1", std::to_string(up.port())});
    auto result = smtpd.sendmail("Subject: via smtpd\r\n\r\nhi\r\n");
    BOOST_TEST(result.data == smtp::reply::ok());
    BOOST_TEST(up.handler().deliveries().at(0).content.find("X-Peer: 127.0.0.1\r\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
