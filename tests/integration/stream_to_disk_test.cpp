#include "child_process.hpp"
#include "temp_dir.hpp"
#include "test_client.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

// examples/stream_to_disk as a user runs it: a message by DATA and one by BDAT end up in new/,
// byte for byte, and a message whose client vanishes leaves nothing behind in tmp/.

#ifndef STREAM_TO_DISK_PATH
#define STREAM_TO_DISK_PATH "" // examples not built: skipped
#endif

using namespace std::chrono_literals;

namespace {

bool example_built() {
    return std::string_view(STREAM_TO_DISK_PATH) != "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(stream_to_disk_example,
                      *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                          return boost::unit_test::assertion_result(example_built());
                      }))

BOOST_AUTO_TEST_CASE(messages_are_stored_and_aborted_ones_removed) {
    smtp_test::temp_dir dir;
    smtp_test::child_process server({STREAM_TO_DISK_PATH, dir.path.string(), "0"});
    BOOST_REQUIRE(
        server.wait_for_output([&] { return server.out().find('\n') != std::string::npos; }));
    auto port = std::uint16_t(std::stoi(server.out().substr(server.out().rfind(':') + 1)));

    smtp_test::test_client client(port);
    BOOST_TEST(client.read_reply().starts_with("220 "));
    client.command("EHLO client");
    const std::string body = "Subject: by DATA\r\n\r\n.dot line\r\n";
    client.command("MAIL FROM:<a@example.com>");
    client.command("RCPT TO:<b@example.com>");
    BOOST_TEST(client.command("DATA").starts_with("354"));
    client.send("Subject: by DATA\r\n\r\n..dot line\r\n.\r\n");
    BOOST_TEST(client.read_reply() == "250 2.0.0 Stored as 0.eml\r\n");
    client.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 4\r\nbdatBDAT 5 "
                "LAST\r\n body");
    client.read_reply();
    client.read_reply();
    BOOST_TEST(client.read_reply() == "250 2.0.0 4 octets received\r\n");
    BOOST_TEST(client.read_reply() == "250 2.0.0 Stored as 1.eml\r\n");
    BOOST_TEST(smtp_test::read_file(dir.path / "new" / "0.eml") == body);
    BOOST_TEST(smtp_test::read_file(dir.path / "new" / "1.eml") == "bdat body");

    client.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    client.read_reply();
    client.read_reply();
    client.read_reply();
    client.send("Subject: never finished\r\n\r\nhalf");
    client.abort();
    bool tmp_empty = false;
    for (int i = 0; i < 500 && !tmp_empty; ++i) {
        std::this_thread::sleep_for(10ms);
        tmp_empty = std::filesystem::is_empty(dir.path / "tmp");
    }
    BOOST_TEST(tmp_empty);
    BOOST_TEST(std::distance(std::filesystem::directory_iterator(dir.path / "new"),
                             std::filesystem::directory_iterator{}) == 2);
    server.signal(SIGTERM);
    BOOST_TEST(server.wait(5s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_SUITE_END()
