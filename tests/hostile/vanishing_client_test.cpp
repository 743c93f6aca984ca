// Clients that vanish in the middle of DATA, with a FIN or a reset: nothing of their messages
// is delivered, nothing of them stays in memory, and others' messages are delivered meanwhile.
#include "hostile.hpp"

#include "integration/temp_dir.hpp"

using namespace hostile;
using smtp_test::names_in;
using smtp_test::temp_dir;

BOOST_AUTO_TEST_SUITE(client_vanishing_mid_data)

BOOST_AUTO_TEST_CASE(half_sent_messages_are_not_delivered) {
    if (!smtpd_built()) return;
    temp_dir dir;
    const auto maildir = dir.path / "Maildir";
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Mailbox", maildir.string()});
    memory_baseline baseline(smtpd); // one message delivered
    const std::string chunk = "Subject: never finished\r\n\r\n" + std::string(60000, 'z') + "\r\n";
    std::size_t served = 1;
    for (int i = 0; i < 100; ++i) {
        raw_socket s(smtpd.port);
        s.send("EHLO vanishing.example\r\nMAIL FROM:<anne@example.com>\r\n"
               "RCPT TO:<bart@example.com>\r\nDATA\r\n");
        BOOST_TEST_REQUIRE(s.read_until("354 ", 30s), s.in());
        // Up to 1 MiB of content, then gone: a reset or an orderly close, before the final dot.
        for (int k = 0; k <= i % 17; ++k)
            s.send(chunk);
        if (i % 2) s.reset();
        if (i % 10 == 0) {
            expect_served(smtpd);
            ++served;
        }
    }
    expect_served(smtpd);
    ++served;
    // Only what was served is there; tmp/ holds nothing left over either.
    BOOST_TEST(names_in(maildir / "new").size() == served);
    BOOST_TEST(names_in(maildir / "tmp").empty());
    BOOST_TEST(baseline.peak_growth_kib() < 64 * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()
