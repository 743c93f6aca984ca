// A client that pipelines commands without ever reading the replies. The server must stop
// reading once its replies cannot be sent (its pending output is bounded, and TCP pushes back),
// not buffer replies without limit, and must serve others meanwhile.
#include "hostile.hpp"

#include <algorithm>
#include <thread>
#include <vector>

using namespace hostile;

BOOST_AUTO_TEST_SUITE(pipelining_flood)

BOOST_AUTO_TEST_CASE(unread_replies_make_the_server_stop_reading) {
    if (!smtpd_built()) return;
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    memory_baseline baseline(smtpd);
    // HELP: each 6-octet command draws a reply of about 80, so unread replies pile up on the
    // server's side more than ten times faster than commands on the client's.
    std::string commands;
    for (int i = 0; i < 10000; ++i)
        commands += "HELP\r\n";
    std::vector<raw_socket> flooders;
    for (int f = 0; f < 4; ++f) {
        raw_socket& flooder = flooders.emplace_back(smtpd.port);
        // Until the server stops taking commands (2 s without progress), or 256 MiB: a server
        // that read without bound would take all of it.
        std::size_t total = 0;
        while (total < (256u << 20)) {
            std::size_t n = flooder.send(commands, 2s);
            total += n;
            if (n < commands.size()) break;
        }
        BOOST_TEST_MESSAGE("flooder " << f << " sent " << total / 1024 << " KiB before blocking");
        BOOST_TEST(total < (256u << 20), "the server kept reading unanswered commands");
        expect_served(smtpd, "while flooders are blocked");
    }
    BOOST_TEST(baseline.peak_growth_kib() < 64 * 1024u);
    // The first flooder reads at last: its replies come, in order, the first one first.
    raw_socket& first = flooders.front();
    BOOST_TEST(first.read_until("\r\n250 Supported commands:", 30s));
    BOOST_TEST(first.in().starts_with("220 "));
}

// The replies to one read's worth of commands go straight to the socket when it takes them, and
// through Asio when it does not (tests/unit/direct_socket_io_test.cpp drives that part alone):
// ~900 KiB of replies to a client that reads nothing for a while must each arrive once, whole
// and in order.
BOOST_AUTO_TEST_CASE(replies_sent_in_parts_arrive_whole_and_in_order) {
    if (!smtpd_built()) return;
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    expect_served(smtpd, "warm-up"); // it listens
    constexpr int count = 10000;
    std::string commands;
    for (int i = 0; i < count; ++i)
        commands += "HELP\r\n";
    commands += "QUIT\r\n";
    raw_socket client(smtpd.port);
    BOOST_TEST(client.send(commands, 10s) == commands.size());
    std::this_thread::sleep_for(500ms); // the server's replies fill both sockets' buffers
    BOOST_TEST(client.read_to_end(30s));

    std::vector<std::string_view> lines;
    std::string_view in = client.in();
    for (std::size_t end; (end = in.find("\r\n")) != std::string_view::npos;
         in.remove_prefix(end + 2))
        lines.push_back(in.substr(0, end));
    BOOST_TEST(in.empty(), "a reply was cut short");
    BOOST_TEST_REQUIRE(lines.size() == std::size_t(count) + 2);
    BOOST_TEST(lines.front().starts_with("220 "));
    BOOST_TEST(lines[1].starts_with("250 Supported commands:"));
    std::size_t same = std::count(lines.begin() + 1, lines.end() - 1, lines[1]);
    BOOST_TEST(same == std::size_t(count));
    BOOST_TEST(lines.back().starts_with("221 "));
}

BOOST_AUTO_TEST_SUITE_END()
