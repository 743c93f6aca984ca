#include <smtp/controller.hpp>

#include <smtp/handlers/debugging.hpp>
#include <smtp/server.hpp>

#include <boost/test/unit_test.hpp>

#include "run_command.hpp"

#include <cstdio>
#include <mutex>
#include <sstream>
#include <string>

// Python's smtplib as a real client (tests/python/smtplib_client.py), against the Debugging
// handler: what smtplib sends must arrive as aiosmtpd's Debugging would print it.

namespace {

// An ostream the server thread writes to while the test thread reads it afterwards.
struct shared_stream {
    std::ostringstream out;
};

} // namespace

BOOST_AUTO_TEST_SUITE(smtplib)

BOOST_AUTO_TEST_CASE(smtplib_sends_through_debugging_handler) {
    shared_stream stream;
    smtp::controller<smtp::server<smtp::handlers::debugging>> c{
        smtp::handlers::debugging{stream.out}, {.hostname = "mx.test"}, {"127.0.0.1", 0}};
    c.start();
    auto python = smtp_test::run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_client.py " +
                                         std::to_string(c.port()));
    c.stop();
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST_REQUIRE(python.exit_code == 0);
    BOOST_TEST(python.output == "ok\n");
    std::string printed = stream.out.str();
    BOOST_TEST_INFO("printed: " << printed);
    // The first message, exactly as aiosmtpd's Debugging prints it (peer port varies).
    auto first_end = printed.find("------------ END MESSAGE ------------\n");
    BOOST_TEST_REQUIRE(first_end != std::string::npos);
    std::string first = printed.substr(0, first_end);
    auto peer = first.find("X-Peer: ('127.0.0.1', ");
    BOOST_TEST_REQUIRE(peer != std::string::npos);
    auto peer_end = first.find(")\n", peer);
    first.replace(peer, peer_end + 2 - peer, "X-Peer: PEER\n");
    BOOST_TEST(first == "---------- MESSAGE FOLLOWS ----------\n"
                        "mail options: ['SIZE=39']\n"
                        "\n"
                        "Subject: plain\n"
                        "X-Peer: PEER\n"
                        "\n"
                        "Hello\n"
                        ".leading dot\n");
    // The second, sent with send_message: 8-bit UTF-8 body printed as text.
    BOOST_TEST(printed.find("Subject: utf-8 body\n") != std::string::npos);
    BOOST_TEST(printed.find("Grüße aus Köln") != std::string::npos);
    BOOST_TEST(printed.find("mail options: ['SIZE=") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
