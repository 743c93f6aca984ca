#include <smtp/detail/line_reader.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using smtp::detail::line_reader;

namespace {

// Feeds `input` in pieces of `piece` octets, the way a connection's buffer fills; returns the
// events as text: the line itself, or "<too long>".
std::vector<std::string> frame(const std::string& input, std::size_t piece, std::size_t max = 10) {
    line_reader reader(max);
    std::vector<std::string> events;
    std::string buffer;
    for (std::size_t fed = 0; fed < input.size() || !buffer.empty();) {
        if (fed < input.size()) {
            buffer += input.substr(fed, piece);
            fed += piece;
        }
        for (;;) {
            auto e = reader.next(buffer);
            if (e.what == line_reader::kind::line) events.emplace_back(e.line);
            if (e.what == line_reader::kind::too_long) events.emplace_back("<too long>");
            buffer.erase(0, e.consumed);
            if (e.what == line_reader::kind::need_more) break;
        }
        if (fed >= input.size()) break;
    }
    return events;
}

} // namespace

BOOST_AUTO_TEST_SUITE(line_reader_suite)

BOOST_AUTO_TEST_CASE(next_frames_lines_in_any_pieces) {
    struct row {
        std::string input;
        std::vector<std::string> events;
    };
    const std::vector<row> rows = {
        {"NOOP\r\n", {"NOOP\r\n"}},
        {"A\nB\r\n", {"A\n", "B\r\n"}},
        {"0123456789\n", {"0123456789\n"}},            // exactly max before LF
        {"0123456789X\nOK\n", {"<too long>", "OK\n"}}, // one over
        {std::string(100, 'x') + "\nNEXT\n", {"<too long>", "NEXT\n"}},
        {"partial", {}},
        {"", {}},
    };
    for (const auto& r : rows) {
        for (std::size_t piece = 1; piece <= r.input.size() + 1; ++piece) {
            BOOST_TEST_CONTEXT("input " << r.input << " piece " << piece) {
                BOOST_TEST(frame(r.input, piece) == r.events, boost::test_tools::per_element());
            }
        }
    }
}

// A line with no LF never makes the reader keep more than `max` octets.
BOOST_AUTO_TEST_CASE(next_drains_endless_line) {
    line_reader reader(10);
    auto e = reader.next(std::string(50, 'x'));
    BOOST_TEST((e.what == line_reader::kind::need_more));
    BOOST_TEST(e.consumed == 50u);
    e = reader.next(std::string(50, 'x'));
    BOOST_TEST(e.consumed == 50u);
    e = reader.next("tail\nNOOP\n");
    BOOST_TEST((e.what == line_reader::kind::too_long));
    BOOST_TEST(e.consumed == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
