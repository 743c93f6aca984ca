// Safe defaults against one hostile client, over loopback (issue 16): the recipient limit, AUTH
// failure limits and delays, bare CRs, the null recipient, MAIL's AUTH parameter, LMTP's
// replies to a failed BDAT, PROXY before implicit TLS, TLS close_notify and the cipher policy.
#include <smtp/auth/builtin.hpp>
#include <smtp/detail/base64.hpp>

#include "certificates.hpp"
#include "fixture.hpp"
#include "run_command.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#ifndef SMTP_TEST_PYTHON_DIR
#define SMTP_TEST_PYTHON_DIR "tests/python"
#endif

using smtp_test::certificates;
using smtp_test::plain_response;
using smtp_test::running;
using namespace std::chrono_literals;

namespace {

smtp::options plain_options() {
    smtp::options o = smtp_test::test_options();
    o.auth_require_tls = false;
    return o;
}

// Accepts alice/secret; records MAIL's AUTH parameter.
struct guarded {
    std::shared_ptr<std::string> mail_auth = std::make_shared<std::string>();
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& lp) {
        return lp.login == "alice" && lp.password == "secret" ? smtp::auth_result::accept()
                                                              : smtp::auth_result::reject();
    }
    smtp::reply handle_MAIL(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        env.set_sender(address, options);
        *mail_auth = env.auth;
        return smtp::reply::ok();
    }
};

const std::string invalid = "535 5.7.8 Authentication credentials invalid\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(hardening)

BOOST_AUTO_TEST_CASE(recipients_are_limited_to_1000_by_default) {
    BOOST_TEST(smtp::options{}.max_recipients == 1000u);
    running<guarded> r(plain_options());
    auto c = r.ehloed("client.test");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    std::string batch;
    for (int i = 0; i < 1001; ++i)
        batch += "RCPT TO:<r" + std::to_string(i) + "@example.com>\r\n";
    c.send(batch);
    for (int i = 0; i < 1000; ++i)
        BOOST_REQUIRE_EQUAL(c.read_reply(), "250 OK\r\n");
    BOOST_TEST(c.read_reply() == "452 4.5.3 Too many recipients\r\n");
}

BOOST_AUTO_TEST_CASE(auth_failures_past_the_limit_close_the_connection) {
    auto o = plain_options();
    o.auth_failure_delay = 0ms;
    running<guarded> r(o);
    auto c = r.ehloed("client.test");
    for (int i = 0; i < 3; ++i)
        BOOST_TEST(c.command("AUTH PLAIN " + plain_response("alice", "guess")) == invalid);
    // The fourth wrong password, even the right one after it, is not tried.
    c.send("AUTH PLAIN " + plain_response("alice", "guess") + "\r\nAUTH PLAIN " +
           plain_response("alice", "secret") + "\r\n");
    BOOST_TEST(c.read_reply() == "421 4.7.0 Too many authentication failures\r\n");
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(auth_failure_limit_counts_login_exchanges_and_zero_disables_it) {
    auto o = plain_options();
    o.auth_failure_delay = 0ms;
    o.auth_failure_limit = 1;
    running<guarded> r(o);
    auto c = r.ehloed("client.test");
    BOOST_TEST(c.command("AUTH LOGIN").starts_with("334 "));
    BOOST_TEST(c.command(smtp::detail::base64_encode("alice")).starts_with("334 "));
    BOOST_TEST(c.command(smtp::detail::base64_encode("guess")) == invalid);
    BOOST_TEST(c.command("AUTH LOGIN").starts_with("334 "));
    BOOST_TEST(c.command(smtp::detail::base64_encode("alice")).starts_with("334 "));
    BOOST_TEST(c.command(smtp::detail::base64_encode("guess")) ==
               "421 4.7.0 Too many authentication failures\r\n");
    BOOST_TEST(c.closed_by_server());

    o.auth_failure_limit = 0;
    running<guarded> unlimited(o);
    auto d = unlimited.ehloed("client.test");
    for (int i = 0; i < 10; ++i)
        BOOST_TEST(d.command("AUTH PLAIN " + plain_response("alice", "guess")) == invalid);
    BOOST_TEST(d.command("AUTH PLAIN " + plain_response("alice", "secret")) ==
               "235 2.7.0 Authentication successful\r\n");
}

BOOST_AUTO_TEST_CASE(a_failed_auth_waits_without_holding_up_other_sessions) {
    auto o = plain_options();
    o.auth_failure_delay = 1500ms;
    running<guarded> r(o);
    auto guesser = r.ehloed("client.test");
    auto other = r.ehloed("client.test");
    auto started = std::chrono::steady_clock::now();
    auto elapsed_ms = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
            .count();
    };
    guesser.send("AUTH PLAIN " + plain_response("alice", "guess") + "\r\n");
    // While the guesser waits for its 535, another session is served.
    BOOST_TEST(other.command("NOOP") == "250 OK\r\n");
    BOOST_TEST(elapsed_ms() < 1500);
    BOOST_TEST(guesser.read_reply() == invalid);
    BOOST_TEST(elapsed_ms() >= 1400);
    // A right password is answered at once.
    started = std::chrono::steady_clock::now();
    BOOST_TEST(guesser.command("AUTH PLAIN " + plain_response("alice", "secret")) ==
               "235 2.7.0 Authentication successful\r\n");
    BOOST_TEST(elapsed_ms() < 1400);
}

BOOST_AUTO_TEST_CASE(a_bare_cr_in_a_command_line_is_refused) {
    running<guarded> r(plain_options());
    auto c = r.ehloed("client.test");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<a\rb@example.com>") == "500 Error: bad syntax\r\n");
    BOOST_TEST(c.command("RCPT TO:<a@b\rc>") == "500 Error: bad syntax\r\n");
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n"); // the session goes on
    BOOST_TEST(c.command("DATA") == "503 Error: need RCPT command\r\n");
}

BOOST_AUTO_TEST_CASE(the_null_path_is_no_recipient) {
    running<guarded> r(plain_options());
    auto c = r.ehloed("client.test");
    BOOST_TEST(c.command("MAIL FROM:<>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<>") == "501 5.1.3 Error: <> is not a valid recipient\r\n");
    BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(mail_takes_the_auth_parameter_when_auth_is_offered) {
    guarded h;
    running<guarded> r(plain_options(), h);
    auto c = r.ehloed("client.test");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com> AUTH=<>") == "250 OK\r\n");
    BOOST_TEST(*h.mail_auth == "<>");
    BOOST_TEST(c.command("RSET") == "250 OK\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com> AUTH=Alice+2Bmail@example.com") ==
               "250 OK\r\n");
    BOOST_TEST(*h.mail_auth == "Alice+mail@example.com");
    BOOST_TEST(c.command("RSET") == "250 OK\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com> AUTH=bad+zz") ==
               "501 Error: AUTH is not valid xtext\r\n");
    // Where AUTH is not offered (over plaintext by default) the parameter stays unknown.
    smtp::options tls_only;
    tls_only.hostname = "mx.test";
    running<guarded> no_auth(tls_only);
    auto d = no_auth.ehloed("client.test");
    BOOST_TEST(d.command("MAIL FROM:<a@example.com> AUTH=<>") ==
               "555 MAIL FROM parameters not recognized or not implemented\r\n");
}

BOOST_AUTO_TEST_CASE(lmtp_answers_a_failed_last_chunk_once_per_recipient) {
    auto o = plain_options();
    o.lmtp = true;
    o.chunking = true;
    o.data_size_limit = 100;
    running<guarded> r(o);
    auto c = r.greeted();
    BOOST_TEST(c.command("LHLO client.test").starts_with("250"));
    const std::string too_much = "552 Error: Too much mail data\r\n";
    auto start = [&] {
        BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
        BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
        BOOST_TEST(c.command("RCPT TO:<c@example.com>") == "250 OK\r\n");
    };
    // The last chunk over the limit: one reply per recipient.
    start();
    c.send("BDAT 200 LAST\r\n" + std::string(200, 'x'));
    BOOST_TEST(c.read_reply() == too_much);
    BOOST_TEST(c.read_reply() == too_much);
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
    // A chunk before the last over the limit: one reply; the last one that follows is owed a
    // reply per recipient, as the client pipelined it and waits for them.
    start();
    c.send("BDAT 200\r\n" + std::string(200, 'x') + "BDAT 5 LAST\r\nxxxxx");
    BOOST_TEST(c.read_reply() == too_much);
    BOOST_TEST(c.read_reply() == too_much);
    BOOST_TEST(c.read_reply() == too_much);
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
    // And a message that fits is still answered per recipient.
    start();
    c.send("BDAT 5 LAST\r\nxxxxx");
    BOOST_TEST(c.read_reply() == "250 OK\r\n");
    BOOST_TEST(c.read_reply() == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(a_client_hello_in_the_proxy_headers_segment_is_not_lost) {
    const auto& certs = certificates::get();
    auto o = plain_options();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    o.proxy_protocol_timeout = 5s;
    o.tls_handshake_timeout = 5s;
    running<guarded> r(o, {}, smtp_test::loopback(true));
    auto result = smtp_test::run_command(
        "python3 " SMTP_TEST_PYTHON_DIR "/proxy_then_tls.py " + std::to_string(r.port()), 20);
    BOOST_TEST(result.exit_code == 0, result.output);
    BOOST_TEST(result.output.starts_with("220 mx.test "), result.output);
}

BOOST_AUTO_TEST_CASE(tls_sessions_end_with_close_notify) {
    const auto& certs = certificates::get();
    auto o = plain_options();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    for (bool implicit : {false, true}) {
        BOOST_TEST_CONTEXT((implicit ? "SMTPS" : "STARTTLS")) {
            running<guarded> r(o, {}, smtp_test::loopback(implicit));
            auto c = r.connected();
            if (implicit) {
                c.start_tls();
                BOOST_TEST(c.read_reply().starts_with("220 "));
            } else {
                BOOST_TEST(c.read_reply().starts_with("220 "));
                BOOST_TEST(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
                c.start_tls();
            }
            BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
            BOOST_TEST(c.read_tls_end() == "close_notify");
        }
    }
    // openssl s_client, which reports a session cut short as "unexpected eof while reading".
    running<guarded> smtps(o, {}, smtp_test::loopback(true));
    auto result = smtp_test::run_command(
        "sh -c \"printf 'QUIT\\r\\n' | openssl s_client -connect 127.0.0.1:" +
            std::to_string(smtps.port()) + " -quiet -ign_eof\"",
        20);
    BOOST_TEST(result.output.find("221 Bye") != std::string::npos, result.output);
    BOOST_TEST(result.output.find("unexpected eof") == std::string::npos, result.output);
}

BOOST_AUTO_TEST_CASE(tls_refuses_cbc_suites_and_accepts_aead_ones) {
    const auto& certs = certificates::get();
    auto o = plain_options();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    running<guarded> r(o, {}, smtp_test::loopback(true));
    auto handshake = [&](const char* cipher) {
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket socket(io);
        socket.connect({boost::asio::ip::make_address("127.0.0.1"), r.port()});
        boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
        ::SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION);
        ::SSL_CTX_set_cipher_list(ctx.native_handle(), cipher);
        boost::asio::ssl::stream<boost::asio::ip::tcp::socket&> tls(socket, ctx);
        boost::system::error_code ec;
        tls.handshake(boost::asio::ssl::stream_base::client, ec);
        return !ec;
    };
    BOOST_TEST(!handshake("ECDHE-ECDSA-AES128-SHA256")); // CBC: LUCKY13's class
    BOOST_TEST(!handshake("ECDHE-ECDSA-AES256-SHA"));
    BOOST_TEST(handshake("ECDHE-ECDSA-AES128-GCM-SHA256"));
    BOOST_TEST(handshake("ECDHE-ECDSA-CHACHA20-POLY1305"));
}

BOOST_AUTO_TEST_SUITE_END()
