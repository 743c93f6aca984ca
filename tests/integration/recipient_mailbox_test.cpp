// handlers::recipient_mailbox over loopback: a Maildir per recipient in SMTP and LMTP, each copy
// byte for byte, hostile addresses refused at RCPT, `smtpd -c Mailbox DIR --per-recipient`; and
// a RCPT hook that accepts without adding the recipient, named at DATA.
#include <smtp/handlers/recipient_mailbox.hpp>

#include "smtpd_process.hpp"
#include "temp_dir.hpp"
#include "test_client.hpp"

#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH ""
#endif

using smtp_test::temp_dir;
using smtp_test::test_client;
using namespace std::chrono_literals;

namespace {

using mailboxes = smtp::controller<smtp::server<smtp::handlers::recipient_mailbox>>;

smtp::options options(bool lmtp = false) {
    smtp::options o;
    o.hostname = "mx.test";
    o.lmtp = lmtp;
    return o;
}

/// The one message in `maildir`'s new/ (the test fails when there is not exactly one).
std::string only_message(const std::filesystem::path& maildir) {
    auto names = smtp_test::names_in(maildir / "new");
    BOOST_TEST_REQUIRE(names.size() == 1u, maildir);
    return smtp_test::read_file(maildir / "new" / names.front());
}

const std::string body = "Subject: per recipient\r\n\r\nline one\r\nline two\r\n";

// A RCPT hook that forgets envelope.add_recipient().
struct forgetful {
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>&, std::string_view,
                            std::span<const std::string>) {
        return smtp::reply::ok();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(recipient_mailbox)

BOOST_AUTO_TEST_CASE(smtp_delivers_a_copy_per_recipient) {
    temp_dir dir;
    mailboxes c{smtp::handlers::recipient_mailbox(dir.path), options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO client.test");
    BOOST_TEST(client.command("MAIL FROM:<sender@example.org>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<Alice@Example.COM>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<bob@example.com>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<carol@other.test>") == "250 OK\r\n");
    BOOST_TEST(client.command("DATA").starts_with("354"));
    BOOST_TEST(client.command(body + ".") == "250 OK\r\n");
    for (auto [folder, address] : {std::pair{"example.com/alice", "Alice@Example.COM"},
                                   {"example.com/bob", "bob@example.com"},
                                   {"other.test/carol", "carol@other.test"}}) {
        BOOST_TEST_CONTEXT(folder) {
            // Byte for byte, with LF line breaks as the Mailbox stores; each copy names its
            // recipient alone (the others may be Bcc). Only the client's port is not known here.
            std::string stored = only_message(dir.path / folder);
            std::string head = std::string("Delivered-To: ") + address +
                               "\nSubject: per recipient\nX-Peer: ('127.0.0.1', ";
            std::string tail = std::string(")\nX-MailFrom: sender@example.org\nX-RcptTo: ") +
                               address + "\n\nline one\nline two\n";
            BOOST_TEST_REQUIRE(stored.starts_with(head), stored);
            BOOST_TEST_REQUIRE(stored.ends_with(tail), stored);
            std::string port =
                stored.substr(head.size(), stored.size() - head.size() - tail.size());
            BOOST_TEST((!port.empty() && port.find_first_not_of("0123456789") == std::string::npos),
                       stored);
        }
    }
}

BOOST_AUTO_TEST_CASE(hostile_addresses_are_refused_at_rcpt) {
    temp_dir dir;
    mailboxes c{smtp::handlers::recipient_mailbox(dir.path / "mail"), options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO client.test");
    client.command("MAIL FROM:<a@example.org>");
    const std::string refused = "550 5.1.1 Error: no mailbox for this address\r\n";
    for (const char* address :
         {"../x@d.test", "a/b@d.test", ".x@d.test", "..@d.test", "\"a\\\\b\"@d.test", "postmaster"})
        BOOST_TEST(client.command(std::string("RCPT TO:<") + address + ">") == refused, address);
    // Some never reach the handler: the address parser refuses them first.
    for (const char* address : {"x@..", "x@a/b", "x@"})
        BOOST_TEST(client.command(std::string("RCPT TO:<") + address + ">").starts_with("5"),
                   address);
    BOOST_TEST(client.command("RCPT TO:<ok@d.test>") == "250 OK\r\n");
    // Nothing was made outside the root.
    BOOST_TEST(smtp_test::names_in(dir.path).size() == 1u);
}

BOOST_AUTO_TEST_CASE(lmtp_replies_per_recipient) {
    temp_dir dir;
    mailboxes c{smtp::handlers::recipient_mailbox(dir.path), options(true), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    BOOST_TEST(client.command("LHLO client.test").starts_with("250"));
    client.command("MAIL FROM:<a@example.org>");
    BOOST_TEST(client.command("RCPT TO:<alice@example.com>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<bob@example.com>") == "250 OK\r\n");
    // bob's Maildir cannot be made: a file stands where its folder would go.
    std::filesystem::create_directories(dir.path / "example.com");
    std::ofstream(dir.path / "example.com" / "bob") << "in the way";
    BOOST_TEST(client.command("DATA").starts_with("354"));
    client.send(body + ".\r\n");
    BOOST_TEST(client.read_reply() == "250 OK\r\n");
    BOOST_TEST(client.read_reply().starts_with("451 4.3.0 "));
    BOOST_TEST(only_message(dir.path / "example.com" / "alice").find("line two\n") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(smtpd_per_recipient_flag) {
    if (std::string_view(SMTPD_PATH).empty()) return;
    temp_dir dir;
    smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                   {"-c", "Mailbox", dir.path.string(), "--per-recipient"});
    auto result = smtpd.sendmail(body, {"alice@example.com", "bob@example.com"});
    BOOST_TEST(result.refused().empty());
    BOOST_TEST(only_message(dir.path / "example.com" / "alice").find("line one\n") !=
               std::string::npos);
    BOOST_TEST(only_message(dir.path / "example.com" / "bob").find("line one\n") !=
               std::string::npos);

    smtp_test::child_process sink({SMTPD_PATH, "-n", "-c", "Sink", "--per-recipient"});
    auto status = sink.wait(10s);
    BOOST_REQUIRE(status);
    BOOST_TEST(*status == 2);
    BOOST_TEST(sink.err().find("--per-recipient: handler class Sink does not deliver per "
                               "recipient") != std::string::npos,
               sink.err());
}

BOOST_AUTO_TEST_CASE(a_recipient_accepted_but_not_added_is_named_at_data) {
    smtp::controller<smtp::server<forgetful>> c{{}, options(), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO client.test");
    client.command("MAIL FROM:<a@example.org>");
    BOOST_TEST(client.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    BOOST_TEST(client.command("DATA") ==
               "503 Error: need RCPT command (handle_RCPT accepted recipients without adding "
               "them to the envelope)\r\n");
    BOOST_TEST(client.command("RSET") == "250 OK\r\n");
    client.command("MAIL FROM:<a@example.org>");
    BOOST_TEST(client.command("DATA") == "503 Error: need RCPT command\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
