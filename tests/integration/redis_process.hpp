#ifndef SMTP_TEST_REDIS_PROCESS_HPP
#define SMTP_TEST_REDIS_PROCESS_HPP

// A real redis-server (Debian's redis-server package) on a free loopback port, without
// persistence, stopped at the end.

#include "child_process.hpp"
#include "smtpd_process.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace smtp_test {

inline constexpr const char* redis_server_path = "/usr/bin/redis-server";

struct redis_process {
    redis_process() : port(free_port()) { start(); }

    /// Starts it (again, on the same port), and waits until it answers.
    void start() {
        server = std::make_unique<child_process>(std::vector<std::string>{
            redis_server_path, "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--loglevel", "warning"});
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        for (;;) {
            boost::asio::io_context io;
            boost::asio::ip::tcp::socket probe(io);
            boost::system::error_code ec;
            probe.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
            if (!ec) return;
            if (std::chrono::steady_clock::now() >= deadline ||
                server->wait(std::chrono::milliseconds(0)))
                BOOST_FAIL("redis-server did not start: " << server->err() << server->out());
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    /// Stops it (SIGTERM) and waits until it has exited.
    void stop() {
        server->signal(SIGTERM);
        BOOST_TEST_REQUIRE(server->wait(std::chrono::seconds(10)).has_value());
    }

    /// `HOST:PORT` for --limits-redis.
    std::string address() const { return "127.0.0.1:" + std::to_string(port); }

    std::uint16_t port;
    std::unique_ptr<child_process> server;
};

} // namespace smtp_test

#endif
