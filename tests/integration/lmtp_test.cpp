#include <smtp/server.hpp>

#include "certificates.hpp"
#include "run_command.hpp"
#include "test_client.hpp"

#include <smtp/controller.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

// LMTP (RFC 2033): LHLO, and after DATA one reply per accepted recipient (aiosmtpd sends one,
// its #517), over TCP and a UNIX socket, with Python's smtplib.LMTP.

using smtp_test::run_command;
using smtp_test::test_client;

namespace {

smtp::options lmtp_options() {
    smtp::options o;
    o.hostname = "mx.test";
    o.lmtp = true;
    return o;
}

// Delivers to mailboxes that exist; "full@" is over quota; "nobody@" does not exist.
struct mailboxes {
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (address.starts_with("nobody@")) return {550, "5.1.1 No such user"};
        env.add_recipient(address, options);
        return smtp::reply::ok();
    }
    smtp::reply handle_DATA_recipient(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                      std::string_view recipient) {
        if (recipient.starts_with("full@")) return {452, "4.2.2 Mailbox full"};
        return {250, "2.1.5 Delivered to " + std::string(recipient)};
    }
};

struct whole_message {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        return {250, "2.0.0 Stored"};
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(lmtp)

BOOST_AUTO_TEST_CASE(lhlo_replaces_helo_and_ehlo) {
    smtp::controller<smtp::server<mailboxes>> c{{}, lmtp_options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    BOOST_TEST(client.command("HELO x") == "500 Error: command \"HELO\" not recognized\r\n");
    BOOST_TEST(client.command("EHLO x") == "500 Error: command \"EHLO\" not recognized\r\n");
    BOOST_TEST(client.command("LHLO x") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
    BOOST_TEST(client.command("HELP") ==
               "250 Supported commands: AUTH DATA HELP LHLO MAIL NOOP QUIT RCPT RSET VRFY\r\n");
    BOOST_TEST(client.command("HELP LHLO") == "250 Syntax: LHLO hostname\r\n");
    // HELO/EHLO are refused, not unknown: they spend no unknown-command budget.
    for (int i = 0; i < 6; ++i)
        client.command("HELO x");
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(issue_517_lmtp_reply_per_recipient) {
    smtp::controller<smtp::server<mailboxes>> c{{}, lmtp_options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("LHLO x");
    client.command("MAIL FROM:<a@b.c>");
    BOOST_TEST(client.command("RCPT TO:<one@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<nobody@x>") == "550 5.1.1 No such user\r\n");
    BOOST_TEST(client.command("RCPT TO:<full@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<two@x>") == "250 OK\r\n");
    client.command("DATA");
    client.send("hello\r\n.\r\n");
    BOOST_TEST(client.read_reply() == "250 2.1.5 Delivered to one@x\r\n");
    BOOST_TEST(client.read_reply() == "452 4.2.2 Mailbox full\r\n");
    BOOST_TEST(client.read_reply() == "250 2.1.5 Delivered to two@x\r\n");
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(whole_message_reply_repeated_and_errors_too) {
    auto o = lmtp_options();
    o.data_size_limit = 100;
    smtp::controller<smtp::server<whole_message>> c{{}, o, {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("LHLO x");
    for (int round = 0; round < 2; ++round) {
        client.command("MAIL FROM:<a@b.c>");
        client.command("RCPT TO:<one@x>");
        client.command("RCPT TO:<two@x>");
        client.command("DATA");
        client.send(round == 0 ? "small\r\n.\r\n" : std::string(200, 'x') + "\r\n.\r\n");
        const char* expected =
            round == 0 ? "250 2.0.0 Stored\r\n" : "552 Error: Too much mail data\r\n";
        BOOST_TEST(client.read_reply() == expected);
        BOOST_TEST(client.read_reply() == expected);
    }
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(lmtp_lhlo_allowed_under_require_starttls) {
    // aiosmtpd answers LHLO with 530 under require_starttls.
    const auto& certs = smtp_test::certificates::get();
    auto o = lmtp_options();
    o.require_starttls = true;
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    smtp::controller<smtp::server<mailboxes>> c{{}, o, {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    BOOST_TEST(client.command("LHLO x").starts_with("250-mx.test"));
    BOOST_TEST(client.command("MAIL FROM:<a@b.c>") ==
               "530 Must issue a STARTTLS command first\r\n");
}

BOOST_AUTO_TEST_CASE(smtplib_lmtp_over_tcp_and_unix_socket) {
    smtp::controller<smtp::server<mailboxes>> tcp{{}, lmtp_options(), {"127.0.0.1", 0}};
    tcp.start();
    std::string path = std::filesystem::temp_directory_path() /
                       ("smtp-lmtp-test-" + std::to_string(::getpid()) + ".sock");
    smtp::controller<smtp::server<mailboxes>> local{{}, lmtp_options(), {"unix:" + path, 0}};
    local.start();
    BOOST_TEST(std::filesystem::exists(path));
    const std::string expected = "one@example.com 250 2.1.5 Delivered to one@example.com\n"
                                 "full@example.com 452 4.2.2 Mailbox full\n"
                                 "two@example.com 250 2.1.5 Delivered to two@example.com\n";
    for (const std::string& where : {"127.0.0.1 " + std::to_string(tcp.port()), path}) {
        auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/lmtp_client.py " + where +
                                  " one@example.com nobody@example.com full@example.com "
                                  "two@example.com");
        BOOST_TEST_INFO("python said: " << python.output);
        BOOST_TEST(python.exit_code == 0);
        BOOST_TEST(python.output == expected);
    }
    local.stop();
    BOOST_TEST(!std::filesystem::exists(path)); // removed on stop (aiosmtpd leaves it)
}

BOOST_AUTO_TEST_SUITE_END()
