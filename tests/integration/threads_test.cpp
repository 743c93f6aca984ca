#include <smtp/controller.hpp>
#include <smtp/handlers/debugging.hpp>
#include <smtp/server.hpp>

#include "test_client.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// A controller on several threads: one io_context and one SO_REUSEPORT listener each, one shared
// handler, limits counted across threads.

using smtp_test::test_client;
using namespace std::chrono_literals;

namespace {

// Notes which thread serves each session.
class thread_recorder {
public:
    void connection_opened(const smtp::connection&) {
        std::lock_guard lock(state_->mutex);
        state_->threads.insert(std::this_thread::get_id());
    }
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        ++state_->messages;
        return smtp::reply::ok();
    }
    std::size_t threads_seen() const {
        std::lock_guard lock(state_->mutex);
        return state_->threads.size();
    }
    int messages() const { return state_->messages.load(); }

private:
    struct state {
        mutable std::mutex mutex;
        std::set<std::thread::id> threads;
        std::atomic<int> messages{0};
    };
    std::shared_ptr<state> state_ = std::make_shared<state>();
};

smtp::options threaded(std::size_t threads, auto&& set) {
    smtp::options o;
    o.hostname = "mx.test";
    o.threads = threads;
    set(o);
    return o;
}

void send_one(test_client& client) {
    BOOST_TEST(client.command("MAIL FROM:<a@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<b@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("DATA").starts_with("354"));
    BOOST_TEST(client.command("Subject: t\r\n\r\nhi\r\n.") == "250 OK\r\n");
}

} // namespace

BOOST_AUTO_TEST_SUITE(server_threads)

BOOST_AUTO_TEST_CASE(connections_spread_over_the_threads) {
    smtp::controller<smtp::server<thread_recorder>> c{
        {}, threaded(2, [](auto&) {}), {"127.0.0.1", 0}};
    c.start();
    BOOST_TEST(c.thread_count() == 2u);
    // The kernel hashes each connection's addresses and ports to a listener: 40 connections all
    // landing on one of two listeners would happen once in 2^39.
    std::vector<test_client> clients;
    for (int i = 0; i < 40; ++i) {
        clients.emplace_back(c.port());
        BOOST_TEST(clients.back().read_reply().starts_with("220 mx.test"));
    }
    for (auto& client : clients) {
        client.command("EHLO x");
        send_one(client);
    }
    BOOST_TEST(c.handler().threads_seen() == 2u);
    BOOST_TEST(c.handler().messages() == 40);
}

BOOST_AUTO_TEST_CASE(zero_means_one_per_core) {
    smtp::controller<smtp::server<thread_recorder>> c{
        {}, threaded(0, [](auto&) {}), {"127.0.0.1", 0}};
    c.start();
    BOOST_TEST(c.thread_count() == std::max(1u, std::thread::hardware_concurrency()));
    test_client client(c.port());
    BOOST_TEST(client.read_reply().starts_with("220 "));
}

BOOST_AUTO_TEST_CASE(concurrent_clients_on_a_shared_debugging_handler) {
    // The built-in Debugging handler prints each message whole, whichever thread serves it.
    std::ostringstream printed;
    smtp::controller<smtp::server<smtp::handlers::debugging>> c{
        smtp::handlers::debugging(printed), threaded(2, [](auto&) {}), {"127.0.0.1", 0}};
    c.start();
    constexpr int clients = 4, messages = 25;
    // Boost.Test's assertions are for the main thread: the clients note what went wrong.
    std::vector<std::string> failures(clients);
    std::vector<std::thread> pool;
    for (int i = 0; i < clients; ++i)
        pool.emplace_back([&, i] {
            try {
                test_client client(c.port(), 30s);
                client.read_reply();
                client.command("EHLO x");
                for (int n = 0; n < messages; ++n) {
                    client.command("MAIL FROM:<a@x>");
                    client.command("RCPT TO:<b@x>");
                    client.command("DATA");
                    std::string r = client.command("Subject: t\r\n\r\nhi\r\n.");
                    if (r != "250 OK\r\n") throw std::runtime_error("end of DATA: " + r);
                }
                client.command("QUIT");
            } catch (const std::exception& e) {
                failures[i] = e.what();
            }
        });
    for (auto& t : pool)
        t.join();
    for (const auto& failure : failures)
        BOOST_TEST(failure.empty(), failure);
    c.stop();
    std::string text = printed.str();
    std::size_t begins = 0, ends = 0;
    for (auto at = text.find("---------- MESSAGE FOLLOWS ----------"); at != std::string::npos;
         at = text.find("---------- MESSAGE FOLLOWS ----------", at + 1))
        ++begins;
    for (auto at = text.find("------------ END MESSAGE ------------"); at != std::string::npos;
         at = text.find("------------ END MESSAGE ------------", at + 1))
        ++ends;
    BOOST_TEST(begins == std::size_t(clients * messages));
    BOOST_TEST(ends == begins);
}

BOOST_AUTO_TEST_CASE(max_connections_counted_across_threads) {
    smtp::controller<smtp::server<thread_recorder>> c{
        {}, threaded(2, [](auto& o) { o.max_connections = 6; }), {"127.0.0.1", 0}};
    c.start();
    std::vector<test_client> open;
    for (int i = 0; i < 6; ++i) {
        open.emplace_back(c.port());
        BOOST_TEST(open.back().read_reply().starts_with("220 "));
    }
    // Whichever thread a seventh lands on, it is one too many.
    for (int i = 0; i < 6; ++i) {
        test_client extra(c.port());
        BOOST_TEST(extra.read_reply() == "421 mx.test Too many connections, try again later\r\n");
    }
    BOOST_TEST(c.handler().threads_seen() == 2u);
}

BOOST_AUTO_TEST_CASE(max_connections_per_client_counted_across_threads) {
    smtp::controller<smtp::server<thread_recorder>> c{
        {}, threaded(2, [](auto& o) { o.max_connections_per_client = 3; }), {"127.0.0.1", 0}};
    c.start();
    std::vector<test_client> open;
    for (int i = 0; i < 3; ++i) {
        open.emplace_back(c.port());
        BOOST_TEST(open.back().read_reply().starts_with("220 "));
    }
    for (int i = 0; i < 6; ++i) {
        test_client extra(c.port());
        BOOST_TEST(extra.read_reply() == "421 mx.test Too many connections, try again later\r\n");
    }
}

BOOST_AUTO_TEST_CASE(a_second_server_cannot_take_the_port) {
    smtp::controller<smtp::server<thread_recorder>> first{
        {}, threaded(2, [](auto&) {}), {"127.0.0.1", 0}};
    first.start();
    smtp::controller<smtp::server<thread_recorder>> second{
        {}, threaded(2, [](auto&) {}), {"127.0.0.1", first.port()}};
    BOOST_CHECK_THROW(second.start(), boost::system::system_error);
    BOOST_TEST(!second.running());
}

BOOST_AUTO_TEST_SUITE_END()
