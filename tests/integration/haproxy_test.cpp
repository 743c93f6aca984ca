// Scale-out as operators run it: HAProxy in front of two examples/smtpd processes, passing the
// client's address with the PROXY protocol v2. Both instances must get mail, and each must see
// the original client's address (its source port), not HAProxy's.
#include <boost/test/unit_test.hpp>

#include "child_process.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"
#include "test_client.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH ""
#endif

using namespace std::chrono_literals;
using smtp_test::child_process;
using smtp_test::free_port;

namespace {

void wait_until_listening(std::uint16_t port, child_process& child, const char* what) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    for (;;) {
        boost::asio::io_context io;
        boost::asio::ip::tcp::socket s(io);
        boost::system::error_code ec;
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
        if (!ec) return;
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline && !child.wait(0ms),
                              what << " is not listening; stderr: " << child.err());
        std::this_thread::sleep_for(20ms);
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(haproxy)

BOOST_AUTO_TEST_CASE(two_instances_behind_haproxy_see_real_clients) {
    if (std::string(SMTPD_PATH).empty()) return; // examples not built
    const char* haproxy_binary = "/usr/sbin/haproxy";
    BOOST_REQUIRE_MESSAGE(std::filesystem::exists(haproxy_binary),
                          "haproxy is not installed (scripts/install-deps.sh installs it)");
    std::uint16_t front = free_port(), a = free_port(), b = free_port();
    auto instance = [](std::uint16_t port) {
        return child_process({SMTPD_PATH, "-n", "-c", "Debugging", "--proxy-protocol", "5",
                              "--proxy-trusted", "127.0.0.1", "-l",
                              "127.0.0.1:" + std::to_string(port)});
    };
    child_process first = instance(a), second = instance(b);
    wait_until_listening(a, first, "smtpd a");
    wait_until_listening(b, second, "smtpd b");

    std::string config = std::filesystem::temp_directory_path() /
                         ("smtp-haproxy-" + std::to_string(::getpid()) + ".cfg");
    std::ofstream(config) << "global\n  maxconn 200\n"
                             "defaults\n  mode tcp\n  timeout connect 5s\n"
                             "  timeout client 30s\n  timeout server 30s\n"
                             "frontend smtp\n  bind 127.0.0.1:"
                          << front
                          << "\n"
                             "  default_backend mx\n"
                             "backend mx\n  balance roundrobin\n"
                             "  server a 127.0.0.1:"
                          << a
                          << " send-proxy-v2\n"
                             "  server b 127.0.0.1:"
                          << b << " send-proxy-v2\n";
    child_process proxy({haproxy_binary, "-db", "-f", config});
    wait_until_listening(front, proxy, "haproxy");

    auto python = smtp_test::run_command("python3 " SMTP_TEST_PYTHON_DIR "/send_messages.py " +
                                         std::to_string(front) + " 6");
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_REQUIRE(python.exit_code == 0);
    std::vector<std::string> client_ports;
    std::istringstream lines(python.output);
    for (std::string line; std::getline(lines, line);)
        client_ports.push_back(line);
    BOOST_REQUIRE(client_ports.size() == 6u);

    first.signal(SIGTERM);
    second.signal(SIGTERM);
    first.wait(5s);
    second.wait(5s);
    std::string printed = first.out() + second.out();
    auto count = [](const std::string& text, const std::string& what) {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
            ++n;
        return n;
    };
    BOOST_TEST(count(first.out(), "---------- MESSAGE FOLLOWS") >= 1u); // both got mail
    BOOST_TEST(count(second.out(), "---------- MESSAGE FOLLOWS") >= 1u);
    BOOST_TEST(count(printed, "---------- MESSAGE FOLLOWS") == 6u);
    for (const auto& port : client_ports) // each saw the client's own address
        BOOST_TEST(count(printed, "X-Peer: ('127.0.0.1', " + port + ")") == 1u, "port " << port);
    std::filesystem::remove(config);
}

BOOST_AUTO_TEST_SUITE_END()
