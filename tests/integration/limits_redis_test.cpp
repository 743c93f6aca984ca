#include "redis_process.hpp"

#include "smtpd_process.hpp"
#include "test_client.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

// smtpd's rate limits over real sockets: in the process (each --limit-* flag, --greeting-delay),
// and shared through a real redis-server by two smtpd processes (issue 17's acceptance test),
// with Redis stopped (--limits-fail-open or not), stalled, and back again.

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built
#endif

using smtp_test::redis_process;
using smtp_test::test_client;
using namespace std::chrono_literals;

namespace {

struct smtpd : smtp_test::smtpd_process {
    explicit smtpd(std::vector<std::string> options)
        : smtpd_process(SMTPD_PATH, with_defaults(std::move(options))) {}

    static std::vector<std::string> with_defaults(std::vector<std::string> options) {
        options.insert(options.begin(), {"-c", "Sink", "--hostname", "mx.test"});
        return options;
    }

    /// A connection's first reply.
    std::string first_reply() {
        test_client c = connect();
        return c.read_reply();
    }
};

const std::string too_many =
    "421 4.7.0 Too many connections from your address, try again later\r\n";
const std::string unavailable = "421 4.3.0 Rate limit service unavailable, try again later\r\n";

bool greeted(const std::string& reply) {
    return reply.starts_with("220 mx.test ");
}

} // namespace

BOOST_AUTO_TEST_SUITE(smtpd_limits)

BOOST_AUTO_TEST_CASE(limit_connections_in_process) {
    smtpd server({"--limit-connections", "2/600"});
    BOOST_TEST(greeted(server.first_reply()));
    BOOST_TEST(greeted(server.first_reply()));
    test_client third = server.connect();
    BOOST_TEST(third.read_reply() == too_many);
    BOOST_TEST(third.closed_by_server());
}

BOOST_AUTO_TEST_CASE(limit_messages_and_recipients) {
    smtpd server({"--limit-messages", "1/600", "--limit-recipients", "2/600"});
    test_client c = server.connect();
    BOOST_TEST(greeted(c.read_reply()));
    c.command("EHLO a.test");
    BOOST_TEST(c.command("MAIL FROM:<a@a.test>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<1@b.test>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<2@b.test>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<3@b.test>") ==
               "450 4.7.1 Too many recipients from your address, try again later\r\n");
    BOOST_TEST(c.command("RSET") == "250 OK\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@a.test>") ==
               "450 4.7.1 Too many messages from your address, try again later\r\n");
}

BOOST_AUTO_TEST_CASE(limit_auth_failures) {
    smtpd server({"--limit-auth-failures", "1/600", "--auth", "alice:secret",
                  "--no-auth-require-tls", "--auth-failure-delay", "0"});
    test_client c = server.connect();
    BOOST_TEST(greeted(c.read_reply()));
    c.command("EHLO a.test");
    BOOST_TEST(c.command("AUTH PLAIN AGFsaWNlAGd1ZXNz") == // alice / guess
               "535 5.7.8 Authentication credentials invalid\r\n");
    BOOST_TEST(c.command("AUTH PLAIN AGFsaWNlAHNlY3JldA==") == // alice / secret
               "421 4.7.0 Too many authentication failures, try again later\r\n");
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(greeting_delay_refuses_early_talkers) {
    smtpd server({"--greeting-delay", "0.3"});
    test_client patient = server.connect();
    BOOST_TEST(greeted(patient.read_reply()));
    test_client bot = server.connect();
    bot.send("EHLO bot.test\r\n");
    BOOST_TEST(bot.read_reply() == "554 5.5.1 Error: talking before the greeting\r\n");
    BOOST_TEST(bot.closed_by_server());
}

BOOST_AUTO_TEST_CASE(bad_flags_are_usage_errors) {
    for (std::vector<std::string> flags : {std::vector<std::string>{"--limit-connections", "5"},
                                           {"--limit-messages", "0/60"},
                                           {"--limits-redis", "127.0.0.1"},
                                           {"--limits-fail-open"}}) {
        smtpd server(flags);
        auto status = server.child.wait(10s);
        BOOST_TEST_REQUIRE(status.has_value());
        BOOST_TEST(*status == 2);
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(limits_redis)

// Two smtpd processes on different ports, one redis-server: one budget per client address.
BOOST_AUTO_TEST_CASE(two_servers_share_one_connection_rate) {
    redis_process redis;
    std::vector<std::string> flags{"--limit-connections", "3/600", "--limits-redis",
                                   redis.address()};
    smtpd a(flags), b(flags);
    BOOST_TEST_REQUIRE(a.port != b.port);
    BOOST_TEST(greeted(a.first_reply()));
    BOOST_TEST(greeted(b.first_reply()));
    BOOST_TEST(greeted(a.first_reply()));
    // The fourth connection within the window, to either of them, is one too many.
    test_client fourth = b.connect();
    BOOST_TEST(fourth.read_reply() == too_many);
    BOOST_TEST(fourth.closed_by_server());
    BOOST_TEST(a.first_reply() == too_many);
}

BOOST_AUTO_TEST_CASE(redis_down_fails_closed) {
    redis_process redis;
    smtpd server({"--limit-connections", "100/600", "--limits-redis", redis.address()});
    BOOST_TEST(greeted(server.first_reply()));
    redis.stop();
    test_client c = server.connect();
    BOOST_TEST(c.read_reply() == unavailable);
    BOOST_TEST(c.closed_by_server());
    // Still serving (nothing hangs), and still closed.
    BOOST_TEST(server.first_reply() == unavailable);
}

BOOST_AUTO_TEST_CASE(redis_down_fails_open) {
    redis_process redis;
    smtpd server({"--limit-connections", "1/600", "--limit-messages", "1/600", "--limits-redis",
                  redis.address(), "--limits-fail-open"});
    BOOST_TEST(greeted(server.first_reply()));
    BOOST_TEST(server.first_reply() == too_many);
    redis.stop();
    // Nothing counts while Redis is gone: the client is let on, and served.
    for (int i = 0; i < 2; ++i) {
        test_client c = server.connect();
        BOOST_TEST(greeted(c.read_reply()));
        c.command("EHLO a.test");
        BOOST_TEST(c.command("MAIL FROM:<a@a.test>") == "250 OK\r\n");
        BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
    }
}

BOOST_AUTO_TEST_CASE(redis_stalled_times_out) {
    redis_process redis;
    smtpd server({"--limit-connections", "100/600", "--limits-redis", redis.address()});
    BOOST_TEST(greeted(server.first_reply()));
    redis.server->signal(SIGSTOP); // connected, but it answers nothing
    BOOST_TEST(server.first_reply() == unavailable);
    redis.server->signal(SIGCONT);
}

BOOST_AUTO_TEST_CASE(redis_back_again_counts_again) {
    redis_process redis;
    smtpd server({"--limit-connections", "2/600", "--limits-redis", redis.address()});
    BOOST_TEST(greeted(server.first_reply()));
    redis.stop();
    BOOST_TEST(server.first_reply() == unavailable);
    redis.start(); // empty: the counts start again
    // The store reconnects at most once a second: until then, connections are turned away.
    std::string reply;
    for (int attempt = 0; attempt < 100 && !greeted(reply); ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(50ms);
        reply = server.first_reply();
        BOOST_TEST_REQUIRE((greeted(reply) || reply == unavailable));
    }
    BOOST_TEST_REQUIRE(greeted(reply));
    BOOST_TEST(greeted(server.first_reply()));
    BOOST_TEST(server.first_reply() == too_many);
}

BOOST_AUTO_TEST_SUITE_END()
