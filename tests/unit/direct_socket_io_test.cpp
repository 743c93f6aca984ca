// Replies written and commands read straight on the socket when that can be done at once
// (detail/socket_now.hpp), with Asio taking over only for what cannot.
#include <smtp/detail/served_connection.hpp>
#include <smtp/detail/socket_now.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

#include <optional>
#include <string>

namespace {

// A connection on one end of a UNIX socket pair; the test plays the client on the other.
struct socket_pair {
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket client{io};
    smtp::options options{.hostname = "mx.test"};
    std::optional<smtp::detail::served_connection> conn;

    explicit socket_pair(int send_buffer = 0) {
        boost::asio::local::stream_protocol::socket ours(io);
        boost::asio::local::connect_pair(ours, client);
        if (send_buffer)
            ::setsockopt(ours.native_handle(), SOL_SOCKET, SO_SNDBUF, &send_buffer,
                         sizeof send_buffer);
        conn.emplace(smtp::connection::socket_type(
                         io, boost::asio::generic::stream_protocol(AF_UNIX, 0), ours.release()),
                     options, "mx.test");
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(direct_socket_io)

// A batch far larger than the socket's buffer: the kernel takes part of it at once, the rest is
// written by Asio as the client reads. Every byte arrives once, in order.
BOOST_AUTO_TEST_CASE(a_batch_the_socket_cannot_take_at_once_arrives_whole) {
    socket_pair pair(4096);
    std::string batch;
    for (int i = 0; batch.size() < 256 * 1024; ++i)
        batch += "250-line " + std::to_string(i) + " of a long reply\r\n";
    pair.conn->output() = batch;
    std::optional<bool> flushed;
    boost::asio::co_spawn(
        pair.io, [&]() -> boost::asio::awaitable<void> { flushed = co_await pair.conn->flush(); },
        boost::asio::detached);
    pair.io.poll();
    BOOST_TEST(!flushed.has_value(), "the whole batch fit: the test proves nothing");

    std::string received;
    pair.client.non_blocking(true);
    for (int rounds = 0; received.size() < batch.size() && rounds < 100000; ++rounds) {
        char chunk[8192];
        boost::system::error_code ec;
        std::size_t n = pair.client.read_some(boost::asio::buffer(chunk), ec);
        received.append(chunk, n);
        pair.io.poll();
    }
    pair.io.poll();
    BOOST_TEST((flushed == std::optional<bool>(true)));
    BOOST_TEST(received.size() == batch.size());
    BOOST_TEST((received == batch), "the bytes arrived changed, repeated or out of order");
    BOOST_TEST(pair.conn->stats().bytes_sent == batch.size());
    BOOST_TEST(pair.conn->output().empty());
}

BOOST_AUTO_TEST_CASE(a_read_without_waiting_tells_nothing_yet_from_bytes_and_from_the_end) {
    socket_pair pair;
    BOOST_TEST((pair.conn->read_now() == smtp::detail::io_now::would_block));
    BOOST_TEST(pair.conn->input().empty());

    boost::asio::write(pair.client, boost::asio::buffer(std::string_view("EHLO a\r\n")));
    BOOST_TEST((pair.conn->read_now() == smtp::detail::io_now::done));
    BOOST_TEST(pair.conn->input().data() == "EHLO a\r\n");
    BOOST_TEST(pair.conn->stats().bytes_received == 8u);

    pair.client.close();
    BOOST_TEST((pair.conn->read_now() == smtp::detail::io_now::ended));
    BOOST_TEST(pair.conn->input().data() == "EHLO a\r\n"); // what was read stays
}

// read_some() on a socket that holds nothing waits for the client instead of failing or
// blocking the thread, then reads what came.
BOOST_AUTO_TEST_CASE(read_some_waits_until_the_client_sends) {
    socket_pair pair;
    std::optional<bool> got;
    boost::asio::co_spawn(
        pair.io, [&]() -> boost::asio::awaitable<void> { got = co_await pair.conn->read_some(); },
        boost::asio::detached);
    pair.io.poll();
    BOOST_TEST(!got.has_value()); // nothing to read: waiting
    boost::asio::write(pair.client, boost::asio::buffer(std::string_view("NOOP\r\n")));
    pair.io.run_one();
    pair.io.poll();
    BOOST_TEST((got == std::optional<bool>(true)));
    BOOST_TEST(pair.conn->input().data() == "NOOP\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
