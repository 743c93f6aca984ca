#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include "test_client.hpp"

#include <boost/test/unit_test.hpp>

#include <mutex>
#include <string>
#include <vector>

// The observability hooks: connection opened/closed with its figures, message accepted/rejected
// with its figures.

using smtp_test::test_client;

namespace {

class observer {
public:
    struct record {
        int opened = 0;
        std::vector<smtp::connection_stats> closed;
        std::vector<smtp::message_stats> accepted, rejected;
    };

    void connection_opened(const smtp::connection&) {
        std::lock_guard lock(state_->mutex);
        ++state_->seen.opened;
    }
    void connection_closed(const smtp::connection&, const smtp::connection_stats& stats) {
        std::lock_guard lock(state_->mutex);
        state_->seen.closed.push_back(stats);
    }
    void message_accepted(const smtp::connection&, const smtp::message_stats& stats) {
        std::lock_guard lock(state_->mutex);
        state_->seen.accepted.push_back(stats);
    }
    void message_rejected(const smtp::connection&, const smtp::message_stats& stats) {
        std::lock_guard lock(state_->mutex);
        state_->seen.rejected.push_back(stats);
    }
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>& env) {
        if (env.original_content.find("spam") != std::string::npos) return {550, "5.7.1 No spam"};
        return smtp::reply::ok();
    }

    record seen() const {
        std::lock_guard lock(state_->mutex);
        return state_->seen;
    }

private:
    struct state {
        mutable std::mutex mutex;
        record seen;
    };
    std::shared_ptr<state> state_ = std::make_shared<state>();
};

std::string send(test_client& client, const std::string& body, int recipients = 1) {
    client.command("MAIL FROM:<a@x>");
    for (int i = 0; i < recipients; ++i)
        client.command("RCPT TO:<r" + std::to_string(i) + "@x>");
    client.command("DATA");
    return client.command(body + ".");
}

} // namespace

BOOST_AUTO_TEST_SUITE(observability)

BOOST_AUTO_TEST_CASE(figures_of_connections_and_messages) {
    smtp::options o;
    o.hostname = "mx.test";
    o.data_size_limit = 1000;
    smtp::controller<smtp::server<observer>> c{{}, o, {"127.0.0.1", 0}};
    c.start();
    {
        test_client client(c.port());
        client.read_reply();
        client.command("EHLO x");
        BOOST_TEST(send(client, "Subject: fine\r\n\r\nhello\r\n", 3) == "250 OK\r\n");
        BOOST_TEST(send(client, "Subject: spam\r\n\r\nbuy\r\n") == "550 5.7.1 No spam\r\n");
        std::string big;
        for (int i = 0; i < 20; ++i)
            big += std::string(98, 'x') + "\r\n";
        BOOST_TEST(send(client, big) == "552 Error: Too much mail data\r\n");
        client.command("QUIT");
        BOOST_TEST(client.closed_by_server());
    }
    c.stop(); // every connection_closed has been called by now
    auto seen = c.handler().seen();
    BOOST_TEST(seen.opened == 1);
    BOOST_REQUIRE(seen.closed.size() == 1u);
    BOOST_REQUIRE(seen.accepted.size() == 1u);
    BOOST_REQUIRE(seen.rejected.size() == 2u);

    BOOST_TEST(seen.accepted[0].reply_code == 250);
    BOOST_TEST(seen.accepted[0].recipients == 3u);
    BOOST_TEST(seen.accepted[0].size == std::string("Subject: fine\r\n\r\nhello\r\n").size());
    BOOST_TEST(seen.rejected[0].reply_code == 550);
    BOOST_TEST(seen.rejected[1].reply_code == 552);
    BOOST_TEST(seen.rejected[1].recipients == 1u);

    const auto& conn = seen.closed[0];
    BOOST_TEST(conn.messages_accepted == 1u);
    BOOST_TEST(conn.messages_rejected == 2u);
    BOOST_TEST(conn.bytes_received > 1200u);
    BOOST_TEST(conn.bytes_sent > 100u);
    BOOST_TEST(conn.duration >= seen.accepted[0].duration);
}

BOOST_AUTO_TEST_CASE(refused_connections_are_opened_and_closed) {
    smtp::options o;
    o.hostname = "mx.test";
    o.max_connections = 1;
    smtp::controller<smtp::server<observer>> c{{}, o, {"127.0.0.1", 0}};
    c.start();
    test_client first(c.port());
    first.read_reply();
    test_client second(c.port());
    BOOST_TEST(second.read_reply().starts_with("421 "));
    BOOST_TEST(second.closed_by_server());
    c.stop();
    auto seen = c.handler().seen();
    BOOST_TEST(seen.opened == 2);
    BOOST_TEST(seen.closed.size() == 2u); // the open one closed by stop()
}

BOOST_AUTO_TEST_SUITE_END()
