// Slowloris: clients that send one octet every second or so and never finish a line. The idle
// timeout runs from the last complete command, not the last octet, so each gets `421 4.4.2
// ... timeout exceeded` and is closed; others are served while they dribble.
#include "hostile.hpp"

#include <algorithm>

using namespace hostile;

BOOST_AUTO_TEST_SUITE(slowloris)

BOOST_AUTO_TEST_CASE(one_octet_a_second_is_timed_out_with_421) {
    if (!smtpd_built()) return;
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink", "--timeout", "3"});
    memory_baseline baseline(smtpd);
    std::vector<raw_socket> slow;
    for (int i = 0; i < 50; ++i) {
        slow.emplace_back(smtpd.port);
        BOOST_TEST_REQUIRE(slow.back().read_until("\r\n"));
    }
    const std::string line = "EHLO a-very-slow-client.example.com\r\n";
    std::size_t sent = 0;
    auto all_closed = [&] {
        return std::all_of(slow.begin(), slow.end(), [](auto& s) { return s.closed(); });
    };
    // At most 30 s (a dozen timeouts' worth), never a whole line.
    for (; sent < 30 && !all_closed(); ++sent) {
        for (auto& s : slow) {
            s.read_to_end(0ms); // first what came: writing to a closed connection may reset it
            if (!s.closed()) s.send(line.substr(sent % line.size(), 1), 1s);
        }
        if (sent == 1) expect_served(smtpd, "among slow clients");
        std::this_thread::sleep_for(1s);
    }
    for (auto& s : slow) {
        BOOST_TEST(s.read_to_end(15s));
        BOOST_TEST(s.in().ends_with(" Error: timeout exceeded\r\n"), s.in());
        BOOST_TEST(s.in().find("\r\n421 4.4.2 ") != std::string::npos, s.in());
    }
    BOOST_TEST(sent < line.size() - 2, "the slow clients were not cut off before a whole line");
    expect_served(smtpd);
    BOOST_TEST(baseline.peak_growth_kib() < 64 * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()
