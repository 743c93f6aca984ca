// The room a connection keeps for its wait for the next command (detail/operation_slot.hpp).
#include <smtp/detail/operation_slot.hpp>
#include <smtp/detail/served_connection.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>

BOOST_AUTO_TEST_SUITE(operation_slot)

BOOST_AUTO_TEST_CASE(one_operation_at_a_time_is_built_in_the_slot_the_next_on_the_heap) {
    smtp::detail::operation_slot<64> slot;
    smtp::detail::slot_allocator<char, 64> chars(slot);
    char* first = chars.allocate(64);
    char* second = chars.allocate(8); // the slot is in use
    BOOST_TEST(slot.overflows() == 1u);
    chars.deallocate(second, 8);
    chars.deallocate(first, 64);
    char* again = chars.allocate(64); // free again: the same room
    BOOST_TEST(static_cast<void*>(again) == static_cast<void*>(first));
    chars.deallocate(again, 64);
    char* big = chars.allocate(65); // larger than the slot
    BOOST_TEST(slot.overflows() == 2u);
    chars.deallocate(big, 65);
}

// The wait a connection holds while its client is silent fits in the room the connection keeps
// for it: when Asio's operation grows, this fails and connection.hpp's wait_slot_ wants more.
BOOST_AUTO_TEST_CASE(a_connections_wait_for_a_command_fits_in_its_slot) {
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket ours(io), client(io);
    boost::asio::local::connect_pair(ours, client);
    smtp::options options{.hostname = "mx.test"};
    smtp::detail::served_connection conn(
        smtp::connection::socket_type(io, boost::asio::generic::stream_protocol(AF_UNIX, 0),
                                      ours.release()),
        options, "mx.test");
    int woken = 0;
    auto wait_twice = [&]() -> boost::asio::awaitable<void> {
        for (int i = 0; i < 2; ++i) {
            auto [ec] = co_await conn.wait_readable(false);
            if (conn.readable(ec)) ++woken;
            co_await conn.read_some();
        }
    };
    boost::asio::co_spawn(io, wait_twice(), boost::asio::detached);
    io.poll(); // waiting now
    boost::asio::write(client, boost::asio::buffer("NOOP\r\n", 6));
    io.poll();
    boost::asio::write(client, boost::asio::buffer("QUIT\r\n", 6));
    io.run();
    BOOST_TEST(woken == 2);
    BOOST_TEST(conn.wait_slot_overflows() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
