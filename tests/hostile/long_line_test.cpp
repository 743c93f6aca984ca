// A 10 MiB command line with no LF: the server keeps none of it beyond the line limit, answers
// `500 Command line too long` once the line ends, goes on with the session, and serves others
// while the line is still coming.
#include "hostile.hpp"

using namespace hostile;

BOOST_AUTO_TEST_SUITE(long_line_without_lf)

BOOST_AUTO_TEST_CASE(ten_mib_line_is_drained_and_refused) {
    if (!smtpd_built()) return;
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    memory_baseline baseline(smtpd);
    raw_socket attacker(smtpd.port);
    BOOST_TEST_REQUIRE(attacker.read_until("\r\n"));
    const std::string mebibyte(1 << 20, 'x');
    std::size_t sent = attacker.send("EHLO ");
    for (int i = 0; i < 10; ++i) {
        sent += attacker.send(mebibyte, 30s);
        if (i == 4) expect_served(smtpd, "halfway through the long line");
    }
    BOOST_TEST_REQUIRE(sent == 5 + 10 * mebibyte.size());
    BOOST_TEST(attacker.in() == attacker.in().substr(0, attacker.in().find("\r\n") + 2),
               "no reply before the line ends");
    attacker.send("\r\nNOOP\r\n");
    BOOST_TEST_REQUIRE(attacker.read_until("250 OK\r\n", 30s), attacker.in());
    const std::string& replies = attacker.in();
    BOOST_TEST(replies.substr(replies.find("\r\n") + 2) ==
               "500 Command line too long\r\n250 OK\r\n");
    expect_served(smtpd);
    BOOST_TEST(baseline.peak_growth_kib() < 64 * 1024u);
}

BOOST_AUTO_TEST_CASE(ten_mib_data_line_is_refused_after_the_terminator) {
    if (!smtpd_built()) return;
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    memory_baseline baseline(smtpd);
    auto client = smtpd.connect(30s);
    client.read_reply();
    BOOST_TEST(client.command("EHLO client.example").starts_with("250-"));
    BOOST_TEST(client.command("MAIL FROM:<anne@example.com>").starts_with("250 "));
    BOOST_TEST(client.command("RCPT TO:<bart@example.com>").starts_with("250 "));
    BOOST_TEST(client.command("DATA").starts_with("354 "));
    const std::string mebibyte(1 << 20, 'y');
    for (int i = 0; i < 10; ++i)
        client.send(mebibyte);
    expect_served(smtpd, "during the long DATA line");
    BOOST_TEST(client.command("\r\n.") == "500 Line too long (see RFC5321 4.5.3.1.6)\r\n");
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
    BOOST_TEST(baseline.peak_growth_kib() < 64 * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()
