// NUL bytes, 8-bit bytes and binary garbage where commands are expected: every line gets a 5xx
// reply, a NUL never gets into an address or a name (RFC 5321 has no NUL in any command), the
// unrecognised-command limit ends a garbage stream, and others are served all along.
#include "hostile.hpp"

#include <random>

using namespace hostile;

BOOST_AUTO_TEST_SUITE(junk_in_commands)

BOOST_AUTO_TEST_CASE(nul_and_8bit_bytes_get_clear_replies) {
    if (!smtpd_built()) return;
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    auto client = smtpd.connect();
    BOOST_TEST(client.read_reply().starts_with("220 "));
    struct exchange {
        std::string line, reply;
    };
    using namespace std::string_literals;
    const exchange exchanges[] = {
        {"EHLO a\0b"s, "500 Error: bad syntax\r\n"},
        {"HELO \x80\xff", "500 Error: strict ASCII mode\r\n"},
        {"EHLO client.example", "250-"},
        {"\0\0\0"s, "500 Error: bad syntax\r\n"},
        {"NO\0OP"s, "500 Error: bad syntax\r\n"},
        {"\xc3\xa9HLO x", "500 Error: bad syntax\r\n"},
        {"NOOP \xfe\xff", "500 Error: strict ASCII mode\r\n"},
        {"MAIL FROM:<a\0@example.com>"s, "500 Error: bad syntax\r\n"},
        {"MAIL FROM:<\xe9@example.com>", "500 Error: strict ASCII mode\r\n"},
        {"MAIL FROM:<anne@example.com>", "250 OK\r\n"},
        {"RCPT TO:<bart@example.com\0>"s, "500 Error: bad syntax\r\n"},
        {"RCPT TO:<bart@example.com>", "250 OK\r\n"},
        {"\x80\x81\x82 \x83", "500 Error: bad syntax\r\n"},
        {"DATA", "354 "},
    };
    for (const auto& e : exchanges) {
        std::string reply = client.command(e.line);
        BOOST_TEST(reply.starts_with(e.reply), reply);
    }
    // NUL and 8-bit bytes in the content are the handler's business (8BITMIME): accepted.
    BOOST_TEST(client.command("a\0b \xff\r\n."s).starts_with("250 "));
    BOOST_TEST(client.command("QUIT").starts_with("221 "));
}

BOOST_AUTO_TEST_CASE(binary_garbage_is_cut_off_by_the_unrecognised_command_limit) {
    if (!smtpd_built()) return;
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    memory_baseline baseline(smtpd);
    std::mt19937 random(20261129);
    std::uniform_int_distribution<int> byte(0, 255);
    for (int connection = 0; connection < 20; ++connection) {
        raw_socket junk(smtpd.port);
        BOOST_TEST_REQUIRE(junk.read_until("\r\n"));
        // 1 MiB of random octets (with their random LFs): at most 5 unrecognised lines, then
        // the 502 and the close; the rest of the garbage is not read.
        std::string garbage(1 << 20, '\0');
        for (char& c : garbage)
            c = char(byte(random));
        junk.send(garbage, 5s);
        BOOST_TEST(junk.read_to_end(30s));
        BOOST_TEST(junk.in().find("502 5.5.1 Too many unrecognized commands, goodbye.\r\n") !=
                       std::string::npos,
                   junk.in().substr(0, 400));
        if (connection % 5 == 0) expect_served(smtpd);
    }
    expect_served(smtpd);
    BOOST_TEST(baseline.peak_growth_kib() < 64 * 1024u);
}

BOOST_AUTO_TEST_SUITE_END()
