// libFuzzer target: the DATA body reader (detail::data_reader).
//
// Input layout: byte 0 chooses the limits, byte 1 the number of pieces (0-7) and the next bytes
// their sizes; the rest is the body as the client sends it after the 354. The body is fed in
// those pieces, then whole, and both are compared with a plain line-by-line model of the rules
// in data_reader.hpp. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/detail/data_reader.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using smtp::detail::data_reader;
using outcome = data_reader::outcome;

struct state {
    std::string out;
    std::size_t consumed = 0;
    bool done = false;
    outcome result = outcome::ok;
    std::size_t raw = 0;
    friend bool operator==(const state&, const state&) = default;
};

// The rules of data_reader.hpp, one CRLF-terminated line at a time, written for clarity.
state model(std::string_view body, data_reader::limits limits) {
    state s;
    std::string content;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t crlf = body.find("\r\n", pos);
        if (crlf == std::string_view::npos) break;
        const std::string_view line = body.substr(pos, crlf + 2 - pos);
        pos = crlf + 2;
        if (line == ".\r\n") {
            s.done = true;
            break;
        }
        const std::size_t len = line.size();
        s.raw += len;
        if (s.result == outcome::ok) {
            if (limits.max_line != 0 && len - 2 > limits.max_line)
                s.result = outcome::line_too_long;
            else if (limits.max_size != 0 && s.raw > limits.max_size)
                s.result = outcome::too_much_data;
            else if (limits.max_line != 0 && len > limits.max_line)
                s.result = outcome::line_too_long;
            else
                content += line.front() == '.' ? line.substr(1) : line;
        }
    }
    s.consumed = s.done ? pos : body.size();
    if (s.result != outcome::ok) return s; // the content was dropped: `out` is empty
    s.out = std::move(content);
    if (!s.done && pos < body.size()) {
        // A partial line: appended as far as it is known, unless it is already sure to fail.
        const std::string_view partial = body.substr(pos);
        if (partial == "." || partial == ".\r") return s; // might still be the terminator
        const std::size_t known = partial.size() - (partial.back() == '\r' ? 1 : 0);
        if ((limits.max_line != 0 && known + 2 > limits.max_line) ||
            (limits.max_size != 0 && s.raw + known + 2 > limits.max_size)) {
            s.out.clear();
            return s;
        }
        s.out += partial.front() == '.' ? partial.substr(1) : partial;
    }
    return s;
}

state snapshot(const data_reader& reader, std::string out, std::size_t consumed) {
    return {std::move(out), consumed, reader.done(), reader.result(), reader.raw_size()};
}

// Feeds the pieces in order, as a connection does: after the body ends, the rest is not fed.
state feed_pieces(data_reader& reader, data_reader::limits limits,
                  const std::vector<std::string_view>& pieces) {
    reader.start(limits);
    std::string out;
    std::size_t consumed = 0;
    for (std::string_view piece : pieces) {
        // Each piece in its own exactly-sized buffer, so ASan sees reads past a piece's end.
        std::vector<char> copy(piece.begin(), piece.end());
        const std::size_t n = reader.feed(std::string_view(copy.data(), copy.size()), out);
        FUZZ_CHECK(n <= piece.size());
        consumed += n;
        // Normalizing adds at most one octet per octet received.
        const std::size_t grow =
            limits.bare == data_reader::limits::bare_newline::normalize ? 2 : 1;
        if (limits.max_size != 0) FUZZ_CHECK(out.size() <= grow * limits.max_size);
        if (limits.max_line != 0 && !reader.done())
            FUZZ_CHECK(out.size() <= grow * (reader.raw_size() + limits.max_line));
        if (n < piece.size()) FUZZ_CHECK(reader.done());
        if (reader.done()) {
            // Done: it takes nothing more.
            FUZZ_CHECK(reader.feed(std::string_view(copy.data(), copy.size()), out) == 0);
            break;
        }
        FUZZ_CHECK(n == piece.size());
    }
    return snapshot(reader, std::move(out), consumed);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static constexpr std::size_t sizes[] = {0, 1, 16, 1000};
    static constexpr std::size_t lines[] = {1001, 0, 3, 40};
    data_reader::limits limits;
    limits.max_size = sizes[data[0] & 3];
    limits.max_line = lines[(data[0] >> 2) & 3];
    std::size_t count = data[1] % 8;
    std::size_t header = 2 + count;
    if (header > size) return 0;
    const std::string_view body = smtp_fuzz::as_text(data + header, size - header);

    std::vector<std::string_view> pieces;
    std::string_view rest = body;
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t n = std::min<std::size_t>(data[2 + i], rest.size());
        pieces.push_back(rest.substr(0, n)); // may be empty: an empty feed changes nothing
        rest.remove_prefix(n);
    }
    pieces.push_back(rest);

    const state expected = model(body, limits);
    data_reader reader;
    const state whole = feed_pieces(reader, limits, {body});
    FUZZ_CHECK(whole == expected);
    // The same reader, restarted, fed in pieces: start() forgets the previous body.
    FUZZ_CHECK(feed_pieces(reader, limits, pieces) == expected);
    // One octet at a time (bounded, to keep executions fast).
    if (body.size() <= 512) {
        std::vector<std::string_view> octets;
        for (std::size_t i = 0; i < body.size(); ++i)
            octets.push_back(body.substr(i, 1));
        FUZZ_CHECK(feed_pieces(reader, limits, octets) == expected);
    }

    // Bare line ends refused or normalized (options::bare_newline): the framing is the same (the
    // body ends at the same octet, whole or in pieces); refused, the result is the first failure
    // met; normalized, the content has no bare CR or LF left.
    using bare = data_reader::limits::bare_newline;
    for (bare mode : {bare::reject, bare::normalize}) {
        data_reader::limits strict = limits;
        strict.bare = mode;
        const state one = feed_pieces(reader, strict, {body});
        const state split = feed_pieces(reader, strict, pieces);
        FUZZ_CHECK(one == split);
        FUZZ_CHECK(one.consumed == expected.consumed && one.done == expected.done);
        FUZZ_CHECK(one.raw == expected.raw);
        if (mode == bare::reject) {
            FUZZ_CHECK(one.result == expected.result || one.result == outcome::bare_newline);
            if (one.result == outcome::bare_newline) FUZZ_CHECK(one.out.empty());
        } else if (one.done && one.result == outcome::ok) {
            for (std::size_t i = 0; i < one.out.size(); ++i) {
                if (one.out[i] == '\n') FUZZ_CHECK(i > 0 && one.out[i - 1] == '\r');
                if (one.out[i] == '\r')
                    FUZZ_CHECK(i + 1 < one.out.size() && one.out[i + 1] == '\n');
            }
        }
    }
    return 0;
}
