#include <smtp/detail/input_buffer.hpp>

#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>
#include <string_view>

// The receive buffer: commands read into its inline space while the connection waits, moved to
// a pooled block when more room is needed, and the block given back when the buffer empties.

namespace {

using smtp::detail::buffer_pool;
using smtp::detail::input_buffer;

void put(input_buffer& in, std::pair<char*, std::size_t> space, std::string_view bytes) {
    BOOST_REQUIRE(space.second >= bytes.size());
    std::memcpy(space.first, bytes.data(), bytes.size());
    in.commit(bytes.size());
}

} // namespace

BOOST_AUTO_TEST_SUITE(input_buffer_suite)

BOOST_AUTO_TEST_CASE(a_waiting_read_uses_the_inline_space) {
    input_buffer in;
    auto space = in.prepare_small();
    BOOST_TEST(space.second == input_buffer::small_size);
    put(in, space, "MAIL FROM:<a@example.com>\r\n");
    BOOST_TEST(!in.holds_block());
    BOOST_TEST(in.data() == "MAIL FROM:<a@example.com>\r\n");
}

BOOST_AUTO_TEST_CASE(more_room_moves_the_bytes_to_a_block) {
    input_buffer in;
    std::string partial(input_buffer::small_size, 'x');
    put(in, in.prepare_small(), partial);
    in.consume(10);
    put(in, in.prepare(4096), "\r\n");
    BOOST_TEST(in.holds_block());
    BOOST_TEST(in.capacity() == buffer_pool::block_size);
    BOOST_TEST(in.data() == partial.substr(10) + "\r\n");
}

BOOST_AUTO_TEST_CASE(a_partial_line_keeps_its_block_for_the_next_read) {
    input_buffer in;
    put(in, in.prepare(4096), "RCPT TO:<b@exa");
    auto space = in.prepare_small(); // something is buffered: no inline read behind it
    BOOST_TEST(space.second >= 4096u);
    put(in, space, "mple.com>\r\n");
    BOOST_TEST(in.data() == "RCPT TO:<b@example.com>\r\n");
}

BOOST_AUTO_TEST_CASE(an_empty_buffer_gives_its_block_back) {
    buffer_pool::trim(0);
    input_buffer in;
    put(in, in.prepare(4096), "QUIT\r\n");
    in.consume(6);
    auto space = in.prepare_small();
    BOOST_TEST(space.second == input_buffer::small_size);
    BOOST_TEST(!in.holds_block());
    BOOST_TEST(buffer_pool::spare() == 1u);
}

BOOST_AUTO_TEST_CASE(a_line_longer_than_a_block_grows_and_keeps_its_bytes) {
    input_buffer in;
    std::string long_line(buffer_pool::block_size + 100, 'y');
    put(in, in.prepare_small(), long_line.substr(0, 50));
    put(in, in.prepare(long_line.size() - 50), long_line.substr(50));
    BOOST_TEST(in.capacity() > buffer_pool::block_size);
    BOOST_TEST(in.data() == long_line);
    in.consume(long_line.size());
    in.release(); // not pooled: a grown buffer is freed
    BOOST_TEST(!in.holds_block());
}

BOOST_AUTO_TEST_SUITE_END()
