#include <smtp/controller.hpp>

#include "test_client.hpp"

#include <smtp/handlers/sink.hpp>
#include <smtp/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <thread>

// Running a server: on a controller's thread, or on an io_context the caller runs.

using smtp_test::test_client;
using sink_server = smtp::server<smtp::handlers::sink>;

BOOST_AUTO_TEST_SUITE(controller)

BOOST_AUTO_TEST_CASE(issue_276_ephemeral_port) {
    smtp::controller<sink_server> c{{}, {.hostname = "mx.test"}, {"127.0.0.1", 0}};
    BOOST_TEST(!c.running());
    c.start();
    BOOST_TEST(c.running());
    BOOST_TEST(c.port() != 0);
    test_client client(c.port());
    BOOST_TEST(client.read_reply().starts_with("220 mx.test ESMTP smtp "));
    c.stop();
    BOOST_TEST(!c.running());
    BOOST_TEST(client.closed_by_server()); // stop() ends sessions too
    c.stop();                              // idempotent
}

// aiosmtpd's Controller cannot start again after stop() ("Event loop is closed").
BOOST_AUTO_TEST_CASE(controller_restarts_after_stop) {
    smtp::controller<sink_server> c{{}, {.hostname = "mx.test"}, {"127.0.0.1", 0}};
    for (int round = 0; round < 3; ++round) {
        c.start();
        test_client client(c.port());
        BOOST_TEST(client.read_reply().starts_with("220 "));
        BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
        c.stop();
    }
}

BOOST_AUTO_TEST_CASE(start_twice_throws) {
    smtp::controller<sink_server> c{{}, {}, {"127.0.0.1", 0}};
    c.start();
    BOOST_CHECK_THROW(c.start(), std::logic_error);
}

BOOST_AUTO_TEST_CASE(bind_error_thrown_from_start) {
    smtp::controller<sink_server> first{{}, {}, {"127.0.0.1", 0}};
    first.start();
    smtp::controller<sink_server> second{{}, {}, {"127.0.0.1", first.port()}};
    BOOST_CHECK_THROW(second.start(), boost::system::system_error);
    BOOST_TEST(!second.running());
}

BOOST_AUTO_TEST_CASE(issue_244_empty_hostname_is_machine_name) {
    smtp::controller<sink_server> c{{}, {}, {"127.0.0.1", 0}};
    c.start();
    test_client client(c.port());
    BOOST_TEST(client.read_reply() ==
               "220 " + boost::asio::ip::host_name() + " ESMTP smtp " SMTP_VERSION_STRING "\r\n");
}

// aiosmtpd's UnthreadedController: the caller runs the io_context.
BOOST_AUTO_TEST_CASE(serve_on_callers_io_context) {
    boost::asio::io_context io;
    sink_server server{{}, {.hostname = "mx.test"}};
    auto endpoint =
        server.listen(io.get_executor(), {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::string greeting, reply;
    std::thread client([&] {
        test_client c(endpoint.port());
        greeting = c.read_reply();
        reply = c.command("QUIT");
        boost::asio::post(io, [&] { server.close(); });
    });
    io.run(); // returns once the listener is closed and the session is over
    client.join();
    BOOST_TEST(greeting.starts_with("220 mx.test "));
    BOOST_TEST(reply == "221 Bye\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
