// Postfix's XCLIENT and XFORWARD, RFC 9422's LIMITS and the bare-LF option over real sockets:
// every XCLIENT/XFORWARD reply from a scripted client, trust refused to untrusted addresses, the
// hooks seeing the overridden client; Postfix's own smtp client sending XFORWARD to smtpd; smtpd's
// --xclient, --xforward, --limits-ext and --bare-lf flags with the SMTP smuggling patterns.
#include <smtp/controller.hpp>
#include <smtp/handlers/relay.hpp>
#include <smtp/server.hpp>

#include "child_process.hpp"
#include "fixture.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: the smtpd tests are skipped
#endif

namespace {

using smtp_test::contains;
using smtp_test::smtpd_built;

using namespace std::chrono_literals;

// What MAIL's hook saw of the session and the envelope.
struct seen_client {
    std::string peer_host;
    std::uint16_t peer_port = 0;
    std::string helo;
    bool extended = false;
    bool authenticated = false;
    std::string login;
    std::shared_ptr<const smtp::forwarded_client> xclient;
    std::shared_ptr<const smtp::forwarded_client> xforward;
    std::string local_host = {};
    std::uint16_t local_port = 0;
};

struct client_recorder {
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    std::shared_ptr<std::vector<seen_client>> seen = std::make_shared<std::vector<seen_client>>();

    smtp::reply handle_MAIL(smtp::connection&, smtp::session& s, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        std::lock_guard lock(*mutex);
        seen->push_back({s.peer.host, s.peer.port, s.host_name, s.extended_smtp, s.authenticated,
                         s.login_data, s.xclient, env.xforward, s.local.host, s.local.port});
        env.set_sender(address, options);
        return smtp::reply::ok();
    }
    std::vector<seen_client> all() const {
        std::lock_guard lock(*mutex);
        return *seen;
    }
};

smtp::options trusting(std::vector<std::string> networks) {
    smtp::options o = smtp_test::test_options();
    o.xclient_trusted = networks;
    o.xforward_trusted = networks;
    return o;
}

const std::string greeting_tail = " " + smtp::options{}.ident + "\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(xclient_server)

BOOST_AUTO_TEST_CASE(every_xclient_reply_from_a_trusted_client) {
    client_recorder rec;
    smtp_test::running<client_recorder> r(trusting({"127.0.0.0/8"}), rec);
    auto c = r.greeted();
    std::string ehlo = c.command("EHLO proxy.test");
    BOOST_TEST(contains(ehlo, "250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT\r\n"));
    BOOST_TEST(contains(ehlo, "250-XFORWARD NAME ADDR PROTO HELO IDENT SOURCE PORT\r\n"));
    BOOST_TEST(c.command("XCLIENT") == "501 5.5.4 Syntax: XCLIENT attribute=value...\r\n");
    BOOST_TEST(c.command("XCLIENT NAME") == "501 5.5.4 Error: attribute=value expected\r\n");
    BOOST_TEST(c.command("XCLIENT FOO=1") == "501 5.5.4 Bad XCLIENT attribute name: FOO\r\n");
    BOOST_TEST(c.command("XCLIENT ADDR=1.2.3") == "501 5.5.4 Bad ADDR syntax: 1.2.3\r\n");
    BOOST_TEST(c.command("XCLIENT PORT=99999x") == "501 5.5.4 Bad PORT syntax: 99999x\r\n");
    BOOST_TEST(c.command("XCLIENT PROTO=UUCP") == "501 5.5.4 Bad PROTO syntax: UUCP\r\n");
    BOOST_TEST(c.command("XCLIENT NAME=bad_name-") == "501 5.5.4 Bad NAME syntax: bad_name-\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("XCLIENT ADDR=192.0.2.1") ==
               "503 5.5.1 Error: MAIL transaction in progress\r\n");
    BOOST_TEST(c.command("RSET") == "250 OK\r\n");
    // Accepted: a new greeting, and the session is the described client's.
    BOOST_TEST(c.command("XCLIENT NAME=mail.example ADDR=IPV6:2001:db8::7 PORT=4321 "
                         "LOGIN=anne DESTADDR=192.0.2.25 DESTPORT=25") ==
               "220 mx.test" + greeting_tail);
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "503 Error: send HELO first\r\n");
    BOOST_TEST(c.command("EHLO mail.example").starts_with("250-mx.test\r\n"));
    BOOST_TEST(c.command("MAIL FROM:<b@example.com>") == "250 OK\r\n");
    auto seen = rec.all();
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(seen[0].peer_host == "127.0.0.1");
    BOOST_TEST(seen[0].xclient == nullptr);
    const auto& s = seen[1];
    BOOST_TEST(s.peer_host == "2001:db8::7");
    BOOST_TEST(s.peer_port == 4321);
    BOOST_TEST(s.helo == "mail.example");
    BOOST_TEST(s.authenticated);
    BOOST_TEST(s.login == "anne");
    BOOST_TEST_REQUIRE(s.xclient != nullptr);
    BOOST_TEST(s.xclient->name == "mail.example");
    BOOST_TEST(s.xclient->dest_addr == "192.0.2.25");
    BOOST_TEST(s.xclient->dest_port == "25");
    // DESTADDR and DESTPORT are the server address the policy sees (session.local).
    BOOST_TEST(seen[0].local_host == "127.0.0.1");
    BOOST_TEST(s.local_host == "192.0.2.25");
    BOOST_TEST(s.local_port == 25);
}

BOOST_AUTO_TEST_CASE(xclient_helo_and_unavailable_values) {
    client_recorder rec;
    smtp_test::running<client_recorder> r(trusting({"127.0.0.1"}), rec);
    auto c = r.greeted();
    BOOST_TEST(c.command("XCLIENT NAME=[TEMPUNAVAIL] ADDR=[UNAVAILABLE] HELO=helo+2Eexample "
                         "PROTO=ESMTP") == "220 mx.test" + greeting_tail);
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n"); // HELO named: greeted
    auto seen = rec.all();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].peer_host.empty());
    BOOST_TEST(seen[0].helo == "helo.example");
    BOOST_TEST(seen[0].extended);
    BOOST_TEST(!seen[0].authenticated);
    BOOST_TEST(seen[0].xclient->name == "unknown");
    BOOST_TEST(seen[0].xclient->addr == "unknown");
}

BOOST_AUTO_TEST_CASE(every_xforward_reply_and_the_transaction_sees_it) {
    client_recorder rec;
    smtp_test::running<client_recorder> r(trusting({"::1", "127.0.0.0/8"}), rec);
    auto c = r.ehloed("filter.test");
    BOOST_TEST(c.command("XFORWARD") == "501 5.5.4 Syntax: XFORWARD attribute=value...\r\n");
    BOOST_TEST(c.command("XFORWARD LOGIN=x") == "501 5.5.4 Bad XFORWARD attribute name: LOGIN\r\n");
    BOOST_TEST(c.command("XFORWARD SOURCE=NEARBY") == "501 5.5.4 Bad SOURCE syntax: NEARBY\r\n");
    BOOST_TEST(c.command("XFORWARD NAME=mail.example ADDR=192.0.2.7 PORT=25 PROTO=ESMTP") ==
               "250 2.0.0 Ok\r\n");
    BOOST_TEST(c.command("XFORWARD HELO=[UNAVAILABLE] IDENT=4Q2yLb SOURCE=REMOTE") ==
               "250 2.0.0 Ok\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("XFORWARD NAME=other.example") ==
               "503 5.5.1 Error: MAIL transaction in progress\r\n");
    BOOST_TEST(c.command("RSET") == "250 OK\r\n");
    BOOST_TEST(c.command("MAIL FROM:<b@example.com>") == "250 OK\r\n"); // forgotten after RSET
    auto seen = rec.all();
    BOOST_TEST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(seen[0].peer_host == "127.0.0.1"); // XFORWARD does not change the session
    BOOST_TEST_REQUIRE(seen[0].xforward != nullptr);
    BOOST_TEST(seen[0].xforward->name == "mail.example");
    BOOST_TEST(seen[0].xforward->addr == "192.0.2.7");
    BOOST_TEST(seen[0].xforward->port == "25");
    BOOST_TEST(seen[0].xforward->proto == "ESMTP");
    BOOST_TEST(seen[0].xforward->ident == "4Q2yLb");
    BOOST_TEST(seen[0].xforward->source == "REMOTE");
    BOOST_TEST(seen[1].xforward == nullptr);
}

BOOST_AUTO_TEST_CASE(untrusted_clients_do_not_see_them) {
    client_recorder rec;
    smtp_test::running<client_recorder> r(trusting({"192.0.2.0/24", "2001:db8::/32"}), rec);
    auto c = r.greeted();
    std::string ehlo = c.command("EHLO proxy.test");
    BOOST_TEST(!contains(ehlo, "XCLIENT"));
    BOOST_TEST(!contains(ehlo, "XFORWARD"));
    BOOST_TEST(c.command("XCLIENT ADDR=192.0.2.1") ==
               "500 Error: command \"XCLIENT\" not recognized\r\n");
    BOOST_TEST(c.command("XFORWARD ADDR=192.0.2.1") ==
               "500 Error: command \"XFORWARD\" not recognized\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    auto seen = rec.all();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].peer_host == "127.0.0.1");
    BOOST_TEST(seen[0].xclient == nullptr);
    BOOST_TEST(seen[0].xforward == nullptr);
}

BOOST_AUTO_TEST_CASE(bare_newline_normalized_for_the_handler) {
    smtp::options o = smtp_test::test_options();
    o.bare_newline = smtp::bare_newline_policy::normalize;
    smtp_test::running<smtp_test::recorder> r(o);
    auto c = r.ehloed();
    c.command("MAIL FROM:<a@example.com>");
    c.command("RCPT TO:<b@example.com>");
    BOOST_TEST(c.command("DATA").starts_with("354"));
    BOOST_TEST(c.command("Subject: x\r\n\r\none\ntwo\rthree\n.\nfour\r\n.") == "250 OK\r\n");
    auto contents = r.handler().contents();
    BOOST_TEST_REQUIRE(contents.size() == 1u);
    BOOST_TEST(contents[0] == "Subject: x\r\n\r\none\r\ntwo\r\nthree\r\n.\r\nfour\r\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(xforward_upstream)

// The Proxy handler (smtp::handlers::relay) tells an upstream of ours that offers XFORWARD who the
// original client was; with send_xclient, XCLIENT too.
BOOST_AUTO_TEST_CASE(relay_sends_xforward_and_xclient_when_offered) {
    for (bool xclient : {false, true}) {
        BOOST_TEST_CONTEXT("send_xclient " << xclient) {
            client_recorder rec;
            smtp_test::running<client_recorder> upstream(trusting({"127.0.0.0/8"}), rec);
            smtp::handlers::relay_options o{.helo_name = "relay.test"};
            o.send_xclient = xclient;
            smtp_test::running<smtp::handlers::relay> relay(
                smtp_test::test_options(),
                smtp::handlers::relay("127.0.0.1", upstream.port(), std::move(o)));
            smtp::sendmail_options client{.helo_name = "original.test"};
            auto sent = smtp::sendmail("127.0.0.1", relay.port(), "anne@example.com",
                                       {"bart@example.com"}, "Subject: x\r\n\r\nHi.\r\n", client);
            BOOST_TEST(sent.data.code == 250);
            auto seen = rec.all();
            BOOST_TEST_REQUIRE(seen.size() == 1u);
            BOOST_TEST_REQUIRE(seen[0].xforward != nullptr);
            const auto& xf = *seen[0].xforward;
            BOOST_TEST(xf.name == "unknown"); // [UNAVAILABLE]: no DNS lookup
            BOOST_TEST(xf.addr == "127.0.0.1");
            BOOST_TEST(!xf.port.empty());
            BOOST_TEST(xf.proto == "ESMTP");
            BOOST_TEST(xf.helo == "original.test");
            BOOST_TEST(xf.source == "REMOTE");
            BOOST_TEST((seen[0].xclient != nullptr) == xclient);
            if (xclient) {
                BOOST_TEST(seen[0].xclient->helo == "original.test");
                BOOST_TEST(seen[0].xclient->addr == "127.0.0.1");
                BOOST_TEST(seen[0].helo == "relay.test"); // greeted again after XCLIENT
            }
        }
    }
    // An upstream that does not offer them gets neither (the wire stays aiosmtpd's).
    client_recorder rec;
    smtp_test::running<client_recorder> upstream(smtp_test::test_options(), rec);
    smtp::handlers::relay_options o;
    o.send_xclient = true;
    smtp_test::running<smtp::handlers::relay> relay(
        smtp_test::test_options(), smtp::handlers::relay("127.0.0.1", upstream.port(), o));
    auto sent = smtp::sendmail("127.0.0.1", relay.port(), "anne@example.com", {"bart@example.com"},
                               "Subject: x\r\n\r\nHi.\r\n");
    BOOST_TEST(sent.data.code == 250);
    auto seen = rec.all();
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    BOOST_TEST(seen[0].xforward == nullptr);
    BOOST_TEST(seen[0].xclient == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(xclient_smtpd)

// smtpd's flags: --xclient/--xforward trust, --limits-ext, --bare-lf reject with the smuggling
// patterns (each message read to its end and refused; the session goes on).
BOOST_AUTO_TEST_CASE(flags_limits_and_bare_lf_reject) {
    if (!smtpd_built()) return;
    smtp_test::smtpd_process smtpd(
        SMTPD_PATH, {"--hostname", "mx.test", "--xclient", "127.0.0.0/8", "--xforward", "192.0.2.1",
                     "--limits-ext", "--max-recipients", "7", "--max-messages-per-connection", "3",
                     "--bare-lf", "reject"});
    auto c = smtpd.connect();
    c.read_reply();
    std::string ehlo = c.command("EHLO client.test");
    BOOST_TEST(contains(ehlo, "250-LIMITS RCPTMAX=7 MAILMAX=3\r\n"));
    BOOST_TEST(contains(ehlo, "250-XCLIENT NAME ADDR"));
    BOOST_TEST(!contains(ehlo, "XFORWARD")); // 192.0.2.1 only
    for (std::string smuggled : {"\n.\n", "\n.\r\n", "\r.\r\n"}) {
        BOOST_TEST_CONTEXT("pattern of " << smuggled.size() << " octets") {
            BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
            BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
            BOOST_TEST(c.command("DATA").starts_with("354"));
            std::string bare = smuggled.find('\n') == 0 ? "LF" : "CR";
            BOOST_TEST(c.command("Subject: x\r\n\r\nA" + smuggled +
                                 "MAIL FROM:<evil@example.com>\r\nRCPT TO:<x@example.com>\r\n"
                                 "DATA\r\nsmuggled\r\n.") ==
                       "550 5.6.11 mx.test Error: bare <" + bare + "> received\r\n");
            BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
        }
    }
    BOOST_TEST(!smtpd.child.wait(0ms).has_value()); // still serving
}

BOOST_AUTO_TEST_CASE(flags_refuse_what_is_no_network) {
    if (!smtpd_built()) return;
    auto bad = smtp_test::run_command(std::string(SMTPD_PATH) + " --xclient 10.0.0.0/99 2>&1");
    BOOST_TEST(
        contains(bad.output, "argument --xclient: not an address or network: '10.0.0.0/99'"));
    bad = smtp_test::run_command(std::string(SMTPD_PATH) + " --bare-lf maybe 2>&1");
    BOOST_TEST(contains(bad.output, "argument --bare-lf: invalid choice: 'maybe'"));
}

// --received: the Mailbox stores the message with a Received: header first, parsed back here.
BOOST_AUTO_TEST_CASE(received_header_in_mailbox_output) {
    if (!smtpd_built()) return;
    std::string dir = "/tmp/smtp-received-" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                   {"--hostname", "mx.test", "--received", "-c", "Mailbox", dir});
    auto sent = smtpd.sendmail("Subject: traced\r\n\r\nHello.\r\n");
    BOOST_TEST(sent.data.code == 250);
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir + "/new"))
        files.push_back(e.path());
    BOOST_TEST_REQUIRE(files.size() == 1u);
    std::string stored;
    {
        std::FILE* f = std::fopen(files[0].c_str(), "rb");
        BOOST_TEST_REQUIRE(f != nullptr);
        char buffer[4096];
        while (std::size_t n = std::fread(buffer, 1, sizeof buffer, f))
            stored.append(buffer, n);
        std::fclose(f);
    }
    std::filesystem::remove_all(dir);
    // The first header field, unfolded (Mailbox writes LF line breaks).
    BOOST_TEST_REQUIRE(stored.starts_with("Received: "), stored);
    std::string field;
    std::size_t pos = 0;
    for (;;) {
        std::size_t lf = stored.find('\n', pos);
        BOOST_TEST_REQUIRE(lf != std::string::npos);
        field.append(stored, pos, lf - pos);
        pos = lf + 1;
        if (stored[pos] != '\t' && stored[pos] != ' ') break;
    }
    BOOST_TEST(field.starts_with("Received: from "), field);
    BOOST_TEST(contains(field, " (unknown [127.0.0.1])\tby mx.test with ESMTP\tfor "
                               "<bart@example.com>; "),
               field);
    // `; Thu, 03 Dec 2026 19:13:58 +0000`: a day name, two-digit day, month, year, time, zone.
    std::string date = field.substr(field.rfind("; ") + 2);
    int day = 0, year = 0, h = 0, m = 0, sec = 0;
    char weekday[4] = {}, month[4] = {}, zone[6] = {};
    BOOST_TEST(std::sscanf(date.c_str(), "%3s, %d %3s %d %d:%d:%d %5s", weekday, &day, month, &year,
                           &h, &m, &sec, zone) == 8,
               date);
    BOOST_TEST(std::string(zone) == "+0000");
    BOOST_TEST(year >= 2024);
    BOOST_TEST(contains(stored, "\nSubject: traced\n"));
}

// Postfix's own smtp client (smtp_send_xforward_command = yes), relaying a message it received
// over SMTP to smtpd: XFORWARD carries the original client, which the Debugging handler prints.
BOOST_AUTO_TEST_CASE(postfix_sends_xforward) {
    if (!smtpd_built()) return;
    if (::geteuid() != 0 || !std::filesystem::exists("/usr/sbin/postfix")) {
        BOOST_TEST_MESSAGE("skipped: Postfix is not installed or not root");
        return;
    }
    smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                   {"--xforward", "127.0.0.1", "-c", "Debugging", "stdout"});
    smtpd.connect().command("QUIT"); // it listens
    std::string work = "/tmp/smtp-postfix-" + std::to_string(::getpid());
    std::filesystem::remove_all(work);
    std::filesystem::create_directories(work);
    auto relay =
        smtp_test::run_command("python3 " SMTP_TEST_PYTHON_DIR "/postfix_relay.py " + work + " " +
                                   std::to_string(smtpd.port) + " smtp_send_xforward_command=yes",
                               150);
    std::filesystem::remove_all(work);
    BOOST_TEST_REQUIRE(contains(relay.output, "queue empty"), relay.output);
    BOOST_TEST(contains(relay.output, "status=sent (250 OK)"), relay.output);
    BOOST_TEST_REQUIRE(smtpd.child.wait_for_output(
        [&] { return contains(smtpd.child.out(), "END MESSAGE"); }, 10s));
    const std::string& out = smtpd.child.out();
    BOOST_TEST(contains(out, "xforward: NAME='localhost' ADDR='127.0.0.1' PORT='"), out);
    BOOST_TEST(contains(out, "PROTO='ESMTP' HELO='original.client.test' IDENT='"), out);
    BOOST_TEST(contains(out, "SOURCE='LOCAL'"), out);
    BOOST_TEST(contains(out, "Subject: through Postfix"), out);
}

BOOST_AUTO_TEST_SUITE_END()
