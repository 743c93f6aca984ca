#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include "certificates.hpp"
#include "test_client.hpp"

#include <smtp/tls.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

// Graceful shutdown (controller::stop(grace), server::shutdown()): idle sessions hear 421 at
// once, transactions in flight finish, and nothing the server acknowledged is lost.

using smtp_test::test_client;
using namespace std::chrono_literals;

namespace {

const std::string shutting_down = "421 mx.test Service shutting down\r\n";

// Keeps every message it is given; takes a little while over each (an asynchronous wait, as a
// handler that writes to disk or relays would), so that stopping finds messages in flight.
class keeper {
public:
    boost::asio::awaitable<smtp::reply> handle_DATA(smtp::connection&, smtp::session&,
                                                    smtp::envelope<>& env) {
        boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor, 2ms);
        co_await pause.async_wait(boost::asio::use_awaitable);
        std::lock_guard lock(state_->mutex);
        state_->messages.insert(env.original_content);
        co_return smtp::reply::ok();
    }

    std::multiset<std::string> messages() const {
        std::lock_guard lock(state_->mutex);
        return state_->messages;
    }

private:
    struct state {
        mutable std::mutex mutex;
        std::multiset<std::string> messages;
    };
    std::shared_ptr<state> state_ = std::make_shared<state>();
};

smtp::options options_with(std::size_t threads) {
    smtp::options o;
    o.hostname = "mx.test";
    o.threads = threads;
    return o;
}

// One client sending messages one after another until the server says 421 (or closes).
struct sender {
    std::vector<std::string> acknowledged; // contents that got 250 after DATA
    bool saw_421 = false;
    std::string failure;

    void run(std::uint16_t port, int id, std::atomic<int>& total_acknowledged) {
        try {
            test_client client(port, 30s);
            if (!client.read_reply().starts_with("220")) throw std::runtime_error("no greeting");
            client.command("EHLO sender.test");
            for (int n = 0; n < 100000; ++n) {
                std::string content =
                    "Subject: " + std::to_string(id) + "/" + std::to_string(n) + "\r\n\r\nbody\r\n";
                std::string r = client.command("MAIL FROM:<a@sender.test>");
                if (r.starts_with("421")) {
                    saw_421 = r == shutting_down;
                    return;
                }
                r = client.command("RCPT TO:<b@mx.test>");
                if (r != "250 OK\r\n") throw std::runtime_error("RCPT: " + r);
                r = client.command("DATA");
                if (r.starts_with("354") == false) throw std::runtime_error("DATA: " + r);
                r = client.command(content + ".");
                if (r != "250 OK\r\n") throw std::runtime_error("end of DATA: " + r);
                acknowledged.push_back(content);
                ++total_acknowledged;
            }
            failure = "never stopped";
        } catch (const std::exception& e) {
            failure = e.what();
        }
    }
};

void stop_under_load(std::size_t threads) {
    smtp::controller<smtp::server<keeper>> c{{}, options_with(threads), {"127.0.0.1", 0}};
    c.start();
    constexpr int clients = 6;
    std::vector<sender> senders(clients);
    std::atomic<int> acknowledged{0};
    std::vector<std::thread> pool;
    for (int i = 0; i < clients; ++i)
        pool.emplace_back([&, i] { senders[i].run(c.port(), i, acknowledged); });
    // Stop while every client is busy: once some messages have gone through.
    for (int i = 0; i < 3000 && acknowledged.load() < clients * 5; ++i)
        std::this_thread::sleep_for(10ms);
    BOOST_TEST(acknowledged.load() >= clients * 5);
    BOOST_TEST(c.stop(60s)); // every session ended by itself
    for (auto& t : pool)
        t.join();

    std::multiset<std::string> delivered = c.handler().messages();
    std::size_t total = 0;
    for (const auto& s : senders) {
        BOOST_TEST_INFO("client failure: " << s.failure);
        BOOST_TEST(s.failure.empty());
        BOOST_TEST(s.saw_421);
        for (const auto& content : s.acknowledged)
            BOOST_TEST(delivered.count(content) == 1u); // acknowledged means delivered
        total += s.acknowledged.size();
    }
    // Nothing was delivered twice or unasked; a message may have been delivered without the
    // client reading its 250 only if the connection broke, which it did not here.
    BOOST_TEST(delivered.size() == total);
}

} // namespace

BOOST_AUTO_TEST_SUITE(graceful_shutdown)

BOOST_AUTO_TEST_CASE(idle_session_hears_421_at_once) {
    smtp::controller<smtp::server<keeper>> c{{}, options_with(1), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    BOOST_TEST(client.command("EHLO x").starts_with("250-"));
    BOOST_TEST(c.stop(60s));
    BOOST_TEST(client.read_reply() == shutting_down);
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(transaction_finishes_then_421) {
    smtp::controller<smtp::server<keeper>> c{{}, options_with(1), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO x");
    BOOST_TEST(client.command("MAIL FROM:<a@x>") == "250 OK\r\n");
    std::thread stopper([&] { c.stop(60s); });
    // Wait until the shutdown has begun: new connections are then refused or told 421.
    for (int i = 0; i < 3000 && !c.server().shutting_down(); ++i)
        std::this_thread::sleep_for(1ms);
    BOOST_TEST(c.server().shutting_down());
    BOOST_TEST(client.command("RCPT TO:<b@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("DATA").starts_with("354"));
    BOOST_TEST(client.command("Subject: in flight\r\n\r\nhello\r\n.") == "250 OK\r\n");
    BOOST_TEST(client.read_reply() == shutting_down);
    BOOST_TEST(client.closed_by_server());
    stopper.join();
    BOOST_TEST(c.handler().messages().count("Subject: in flight\r\n\r\nhello\r\n") == 1u);
}

BOOST_AUTO_TEST_CASE(deadline_closes_what_is_left) {
    smtp::controller<smtp::server<keeper>> c{{}, options_with(1), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO x");
    client.command("MAIL FROM:<a@x>"); // a transaction that the client never finishes
    BOOST_TEST(!c.stop(200ms));
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(pipelined_command_after_the_transaction_gets_421) {
    smtp::controller<smtp::server<keeper>> c{{}, options_with(1), {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO x");
    client.command("MAIL FROM:<a@x>");
    client.command("RCPT TO:<b@x>");
    client.command("DATA");
    std::thread stopper([&] { c.stop(60s); });
    for (int i = 0; i < 3000 && !c.server().shutting_down(); ++i)
        std::this_thread::sleep_for(1ms);
    client.send("x\r\n.\r\nMAIL FROM:<a@x>\r\n");
    BOOST_TEST(client.read_reply() == "250 OK\r\n");
    BOOST_TEST(client.read_reply() == shutting_down);
    BOOST_TEST(client.closed_by_server());
    stopper.join();
}

BOOST_AUTO_TEST_CASE(idle_session_over_tls_hears_421) {
    smtp::options o = options_with(1);
    const auto& certs = smtp_test::certificates::get();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    smtp::controller<smtp::server<keeper>> c{{}, o, {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    client.read_reply();
    client.command("EHLO x");
    BOOST_TEST(client.command("STARTTLS").starts_with("220"));
    client.start_tls();
    BOOST_TEST(client.command("EHLO x").starts_with("250-"));
    BOOST_TEST(c.stop(60s)); // the TLS read is interrupted like a plaintext wait
    BOOST_TEST(client.read_reply() == shutting_down);
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(restart_after_graceful_stop) {
    smtp::controller<smtp::server<keeper>> c{{}, options_with(1), {"127.0.0.1", 0}};
    c.start();
    BOOST_TEST(c.stop(10s));
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_reply().starts_with("220 "));
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(every_acknowledged_message_delivered_one_thread) {
    stop_under_load(1);
}

BOOST_AUTO_TEST_CASE(every_acknowledged_message_delivered_two_threads) {
    stop_under_load(2);
}

BOOST_AUTO_TEST_SUITE_END()
