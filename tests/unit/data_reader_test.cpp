#include <smtp/detail/data_reader.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using reader_t = smtp::detail::data_reader;
using outcome = reader_t::outcome;
using limits = reader_t::limits;

const char* outcome_name(outcome o) {
    switch (o) {
    case outcome::ok: return "ok";
    case outcome::line_too_long: return "line_too_long";
    case outcome::too_much_data: return "too_much_data";
    case outcome::bare_newline: return "bare_newline";
    }
    return "?";
}

// Everything a run of the reader is judged on. `contract` names the first broken promise of
// feed() seen during the run (empty if none), so a split-dependent bug shows which one.
struct run_result {
    std::string content;
    outcome result = outcome::ok;
    std::size_t consumed = 0;
    std::size_t raw = 0;
    bool done = false;
    std::string contract;

    bool operator==(const run_result&) const = default;
};

std::string escape(std::string_view s) {
    std::string r;
    for (char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\r')
            r += "\\r";
        else if (c == '\n')
            r += "\\n";
        else if (byte < 0x20 || byte >= 0x7f) {
            r += "\\x";
            r += "0123456789abcdef"[byte >> 4];
            r += "0123456789abcdef"[byte & 15];
        } else
            r += c;
    }
    return r;
}

std::ostream& operator<<(std::ostream& os, const run_result& r) {
    const std::string_view content = r.content;
    os << "{content=\"" << escape(content.substr(0, 80)) << (content.size() > 80 ? "...\"" : "\"")
       << " (" << content.size() << " bytes), result=" << outcome_name(r.result)
       << ", consumed=" << r.consumed << ", raw=" << r.raw << ", done=" << r.done;
    if (!r.contract.empty()) os << ", broken: " << r.contract;
    return os << '}';
}

// Feeds `input` cut at the (ascending) offsets in `cuts`, as a connection would: every piece is
// offered even after the end, and each feed() is checked against the promises of the interface.
run_result run(std::string_view input, limits lim, const std::vector<std::size_t>& cuts) {
    reader_t reader;
    reader.start(lim);
    run_result r;
    std::size_t begin = 0;
    auto broken = [&](const char* what) {
        if (r.contract.empty()) r.contract = what;
    };
    for (std::size_t i = 0; i <= cuts.size(); ++i) {
        const std::size_t end = i < cuts.size() ? cuts[i] : input.size();
        const std::string_view piece = input.substr(begin, end - begin);
        const bool was_done = reader.done();
        const std::size_t used = reader.feed(piece, r.content);
        if (used > piece.size()) broken("consumed more than offered");
        if (was_done && used != 0) broken("consumed after done");
        if (used < piece.size() && !reader.done()) broken("stopped early without done");
        if (lim.max_size != 0 && r.content.size() > lim.max_size) broken("out above max_size");
        if (r.content.size() > r.consumed + used) broken("out larger than input");
        r.consumed += used;
        begin = end;
    }
    if (reader.result() != outcome::ok && !r.content.empty()) broken("out kept after an error");
    r.result = reader.result();
    r.raw = reader.raw_size();
    r.done = reader.done();
    return r;
}

struct data_case {
    const char* name;
    std::string input;
    limits lim;
    std::string content;
    outcome result;
    std::string_view rest; // pipelined bytes that must be left to the caller
    std::size_t raw;
    bool done = true;
};

// Runs one case whole, cut at every offset (0 and size() included, so empty pieces too) and one
// byte at a time: every way must give the same content, result, consumed count and size.
void check(const data_case& c) {
    run_result expected;
    expected.content = c.content;
    expected.result = c.result;
    expected.consumed = c.input.size() - c.rest.size();
    expected.raw = c.raw;
    expected.done = c.done;
    BOOST_TEST_CONTEXT("case: " << c.name) {
        // Reports the first failing way only: one bug tends to break many cut points alike.
        auto same = [&](const run_result& got, const std::string& how) {
            BOOST_TEST_INFO("fed " << how);
            BOOST_TEST(got == expected);
            return got == expected;
        };
        same(run(c.input, c.lim, {}), "whole");
        for (std::size_t cut = 0; cut <= c.input.size(); ++cut) {
            if (!same(run(c.input, c.lim, {cut}), "cut at " + std::to_string(cut))) break;
        }
        std::vector<std::size_t> bytes;
        for (std::size_t i = 1; i < c.input.size(); ++i)
            bytes.push_back(i);
        same(run(c.input, c.lim, bytes), "one byte at a time");
    }
}

void check_all(const std::vector<data_case>& cases) {
    for (const data_case& c : cases)
        check(c);
}

std::string rep(std::size_t n, char ch = 'a') {
    return std::string(n, ch);
}

constexpr limits unlimited{0, 0};
constexpr limits defaults{};
constexpr limits size_limit(std::size_t n) {
    return {n, 1001};
}
constexpr limits line_limit(std::size_t n) {
    return {0, n};
}

// The reference: obviously correct, slow, and written straight from aiosmtpd's smtp_DATA loop
// (readuntil(b"\r\n") with a StreamReader limit equal to line_length_limit). It cuts the input
// into CRLF-terminated lines first, then judges each whole line.
run_result reference(std::string_view input, limits lim) {
    run_result r;
    std::size_t pos = 0;
    std::string kept;
    for (;;) {
        const std::size_t crlf = input.find("\r\n", pos);
        if (crlf == std::string_view::npos) break; // every generated input ends the body
        const std::string_view line = input.substr(pos, crlf + 2 - pos);
        pos = crlf + 2;
        if (line == ".\r\n") {
            r.done = true;
            break;
        }
        r.raw += line.size();
        if (r.result != outcome::ok) continue;
        if (lim.max_line != 0 && line.size() - 2 > lim.max_line) {
            r.result = outcome::line_too_long; // LimitOverrunError: raised before counting
        } else if (lim.max_size != 0 && r.raw > lim.max_size) {
            r.result = outcome::too_much_data;
        } else if (lim.max_line != 0 && line.size() > lim.max_line) {
            r.result = outcome::line_too_long; // the check on the joined line
        } else {
            kept += line.front() == '.' ? line.substr(1) : line;
        }
    }
    r.consumed = pos;
    if (r.result == outcome::ok) r.content = kept;
    return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(data_reader)

BOOST_AUTO_TEST_CASE(feed_plain_body) {
    check_all({
        {"headers and body", "Subject: hi\r\n\r\nbody\r\n.\r\n", defaults,
         "Subject: hi\r\n\r\nbody\r\n", outcome::ok, "", 21},
        {"one line", "x\r\n.\r\n", defaults, "x\r\n", outcome::ok, "", 3},
        {"dots not at a line start", "a.b\r\n a.\r\nc.\r\n.\r\n", defaults, "a.b\r\n a.\r\nc.\r\n",
         outcome::ok, "", 14},
        {"8-bit and NUL bytes", std::string("\xff\xfe\0z\r\n.\r\n", 9), defaults,
         std::string("\xff\xfe\0z\r\n", 6), outcome::ok, "", 6},
        {"no CRLF before the end yet", "abc\r\ndef", defaults, "abc\r\ndef", outcome::ok, "", 5,
         false},
        {"possible end held back", "abc\r\n.\r", defaults, "abc\r\n", outcome::ok, "", 5, false},
        {"dot at the end of the input", "abc\r\n.", defaults, "abc\r\n", outcome::ok, "", 5, false},
    });
}

BOOST_AUTO_TEST_CASE(feed_empty_body) {
    check_all({
        {"end right away", ".\r\n", defaults, "", outcome::ok, "", 0},
        {"one empty line", "\r\n.\r\n", defaults, "\r\n", outcome::ok, "", 2},
        {"no input", "", defaults, "", outcome::ok, "", 0, false},
        {"end right away, size limit 1", ".\r\n", size_limit(1), "", outcome::ok, "", 0},
        {"end right away, line limit 1", ".\r\n", line_limit(1), "", outcome::ok, "", 0},
    });
}

BOOST_AUTO_TEST_CASE(feed_dot_stuffing) {
    check_all({
        {"aiosmtpd test_dots_escaped", "Test\r\n..\r\nmail\r\n.\r\n", defaults,
         "Test\r\n.\r\nmail\r\n", outcome::ok, "", 16},
        {"stuffed first line", ".bar\r\n.\r\n", defaults, "bar\r\n", outcome::ok, "", 6},
        {"stuffed dot alone first", "..\r\n.\r\n", defaults, ".\r\n", outcome::ok, "", 4},
        {"only the first dot goes", "...\r\n.\r\n", defaults, "..\r\n", outcome::ok, "", 5},
        {"dot space", ". \r\n.\r\n", defaults, " \r\n", outcome::ok, "", 4},
        {"many stuffed lines", "a\r\n.b\r\n..c\r\n.\r\r\n.\r.\r\n.\r\n", defaults,
         "a\r\nb\r\n.c\r\n\r\r\n\r.\r\n", outcome::ok, "", 21},
        {"dot after a bare LF stays", "a\n.b\r\n.\r\n", defaults, "a\n.b\r\n", outcome::ok, "", 6},
        {"dot after a bare CR stays", "a\r.b\r\n.\r\n", defaults, "a\r.b\r\n", outcome::ok, "", 6},
    });
}

// CVE-2024-27305: only <CRLF>.<CRLF> ends the body. Each sequence is shown leaving the body open,
// then closed by a real end.
BOOST_AUTO_TEST_CASE(feed_smuggling_variants) {
    check_all({
        {"LF.LF open", "a\n.\nMAIL FROM:<x@y>\n", defaults, "a\n.\nMAIL FROM:<x@y>\n", outcome::ok,
         "", 0, false},
        {"LF.LF then end", "a\n.\nMAIL FROM:<x@y>\r\n.\r\n", defaults, "a\n.\nMAIL FROM:<x@y>\r\n",
         outcome::ok, "", 21},
        {"LF.CRLF open", "a\n.\r\nb", defaults, "a\n.\r\nb", outcome::ok, "", 5, false},
        {"LF.CRLF then end", "a\n.\r\nb\r\n.\r\n", defaults, "a\n.\r\nb\r\n", outcome::ok, "", 8},
        {"CR.CR open", "a\r.\rb", defaults, "a\r.\rb", outcome::ok, "", 0, false},
        {"CR.CR then end", "a\r.\rb\r\n.\r\n", defaults, "a\r.\rb\r\n", outcome::ok, "", 7},
        {"CRLF.LF open", "a\r\n.\nb", defaults, "a\r\n\nb", outcome::ok, "", 3, false},
        {"CRLF.LF then end", "a\r\n.\nb\r\n.\r\n", defaults, "a\r\n\nb\r\n", outcome::ok, "", 8},
        {"CRLF.CR then end", "a\r\n.\rb\r\n.\r\n", defaults, "a\r\n\rb\r\n", outcome::ok, "", 8},
        {"CRLF.CRCRLF then end", "a\r\n.\r\r\n.\r\n", defaults, "a\r\n\r\r\n", outcome::ok, "", 7},
        {"LF.LF at the start", "\n.\nb\r\n.\r\n", defaults, "\n.\nb\r\n", outcome::ok, "", 6},
        {".LF at the start", ".\nb\r\n.\r\n", defaults, "\nb\r\n", outcome::ok, "", 5},
        {".CR at the start", ".\rb\r\n.\r\n", defaults, "\rb\r\n", outcome::ok, "", 5},
        {"all of them", "x\n.\ny\n.\r\nz\r.\rw\r\n.\nv\r\n.\r\nQUIT\r\n", defaults,
         "x\n.\ny\n.\r\nz\r.\rw\r\n\nv\r\n", outcome::ok, "QUIT\r\n", 21},
        {"CR before the CRLF is a real end", "a\r\r\n.\r\n", defaults, "a\r\r\n", outcome::ok, "",
         4},
        {"LF before the CRLF is a real end", "a\n\r\n.\r\n", defaults, "a\n\r\n", outcome::ok, "",
         4},
    });
}

BOOST_AUTO_TEST_CASE(feed_bare_cr_lf_kept) {
    check_all({
        {"aiosmtpd test", "test\r\nmail\rdelimiters\nsaved\r\n.\r\n", defaults,
         "test\r\nmail\rdelimiters\nsaved\r\n", outcome::ok, "", 29},
        {"aiosmtpd probe", "line1\nsmug\n.\nhidden\r\n.\r\n", defaults,
         "line1\nsmug\n.\nhidden\r\n", outcome::ok, "", 21},
        {"CR runs", "\r\r\r\n\r\n.\r\n", defaults, "\r\r\r\n\r\n", outcome::ok, "", 6},
        {"LF runs", "\n\n\r\n\n.\r\n.\r\n", defaults, "\n\n\r\n\n.\r\n", outcome::ok, "", 8},
        {"LF CR is not a line end", "a\n\rb\r\n.\r\n", defaults, "a\n\rb\r\n", outcome::ok, "", 6},
    });
}

// aiosmtpd: line_length_limit = 1001 = the StreamReader limit. 999 octets + CRLF pass, 1000 + CRLF
// do not; a stuffed dot counts.
BOOST_AUTO_TEST_CASE(feed_line_limit_boundary) {
    check_all({
        {"999 + CRLF accepted", rep(999) + "\r\n.\r\n", defaults, rep(999) + "\r\n", outcome::ok,
         "", 1001},
        {"1000 + CRLF refused", rep(1000) + "\r\n.\r\n", defaults, "", outcome::line_too_long, "",
         1002},
        {"1001 + CRLF refused", rep(1001) + "\r\n.\r\n", defaults, "", outcome::line_too_long, "",
         1003},
        {"1002 + CRLF refused", rep(1002) + "\r\n.\r\n", defaults, "", outcome::line_too_long, "",
         1004},
        {"stuffed dot + 998 accepted", "." + rep(998) + "\r\n.\r\n", defaults, rep(998) + "\r\n",
         outcome::ok, "", 1001},
        {"stuffed dot + 999 refused", "." + rep(999) + "\r\n.\r\n", defaults, "",
         outcome::line_too_long, "", 1002},
        {"998 + CR + CRLF accepted", rep(998) + "\r\r\n.\r\n", defaults, rep(998) + "\r\r\n",
         outcome::ok, "", 1001},
        {"999 + CR + CRLF refused", rep(999) + "\r\r\n.\r\n", defaults, "", outcome::line_too_long,
         "", 1002},
        {"bare LF does not reset the count", rep(500) + "\n" + rep(498) + "\r\n.\r\n", defaults,
         rep(500) + "\n" + rep(498) + "\r\n", outcome::ok, "", 1001},
        {"bare LF, one more refused", rep(500) + "\n" + rep(499) + "\r\n.\r\n", defaults, "",
         outcome::line_too_long, "", 1002},
        {"good lines around a long one", "ok\r\n" + rep(1200) + "\r\nok\r\n.\r\nQUIT\r\n", defaults,
         "", outcome::line_too_long, "QUIT\r\n", 1210},
        {"dot CRLF continuing a long line", rep(1500) + ".\r\nmore\r\n.\r\nNOOP\r\n", defaults, "",
         outcome::line_too_long, "NOOP\r\n", 1509},
        {"long line never ended", rep(3000) + ".\r", defaults, "", outcome::ok, "", 0, false},
        {"limit 10: 8 + CRLF accepted", "12345678\r\n.\r\n", line_limit(10), "12345678\r\n",
         outcome::ok, "", 10},
        {"limit 10: 9 + CRLF refused", "123456789\r\n.\r\n", line_limit(10), "",
         outcome::line_too_long, "", 11},
        {"no limit", rep(5000) + "\r\n.\r\n", unlimited, rep(5000) + "\r\n", outcome::ok, "", 5002},
    });
}

// max_size counts raw lines (CRLF and stuffed dots included, the final ".\r\n" not) and fails
// only when the count goes above it.
BOOST_AUTO_TEST_CASE(feed_size_limit_boundary) {
    check_all({
        {"at the limit", "abc\r\n.\r\n", size_limit(5), "abc\r\n", outcome::ok, "", 5},
        {"one above", "abc\r\n.\r\n", size_limit(4), "", outcome::too_much_data, "", 5},
        {"stuffed dot counted, at", ".abc\r\n.\r\n", size_limit(6), "abc\r\n", outcome::ok, "", 6},
        {"stuffed dot counted, above", ".abc\r\n.\r\n", size_limit(5), "", outcome::too_much_data,
         "", 6},
        {"two lines, at", "abcd\r\nefgh\r\n.\r\n", size_limit(12), "abcd\r\nefgh\r\n", outcome::ok,
         "", 12},
        {"two lines, above: out cleared", "abcd\r\nefgh\r\n.\r\n", size_limit(11), "",
         outcome::too_much_data, "", 12},
        {"keeps reading to the end", "abcd\r\nefgh\r\nmore\r\n.\r\nNOOP\r\n", size_limit(6), "",
         outcome::too_much_data, "NOOP\r\n", 18},
        {"end line not counted", "abc\r\n.\r\n", size_limit(5), "abc\r\n", outcome::ok, "", 5},
        {"huge line, no line limit", rep(4000) + "\r\n.\r\n", limits{100, 0}, "",
         outcome::too_much_data, "", 4002},
        {"big body of short lines", rep(300, 'x') + "\r\n" + rep(300, 'y') + "\r\n.\r\n",
         size_limit(603), "", outcome::too_much_data, "", 604},
    });
}

// The first error wins (aiosmtpd's 552 vs 500). Within one line aiosmtpd's order applies: a line
// whose text is over max_line is refused before it is counted; a shorter line that only fails
// with its CRLF is counted first.
BOOST_AUTO_TEST_CASE(feed_first_error_wins) {
    check_all({
        {"size, then a long line", rep(10) + "\r\n" + rep(1200) + "\r\n.\r\n", size_limit(10), "",
         outcome::too_much_data, "", 1214},
        {"long line, then size", rep(1100) + "\r\n" + rep(600) + "\r\n.\r\n", size_limit(1500), "",
         outcome::line_too_long, "", 1704},
        {"one line over both: 1002 octets", rep(1002) + "\r\n.\r\n", size_limit(100), "",
         outcome::line_too_long, "", 1004},
        {"one line over both: 1001 octets", rep(1001) + "\r\n.\r\n", size_limit(100), "",
         outcome::too_much_data, "", 1003},
        {"one line over both: 1000 octets", rep(1000) + "\r\n.\r\n", size_limit(1001), "",
         outcome::too_much_data, "", 1002},
        {"1000 octets at the size limit", rep(1000) + "\r\n.\r\n", size_limit(1002), "",
         outcome::line_too_long, "", 1002},
        {"earlier lines over size", rep(50) + "\r\n" + rep(1001) + "\r\n.\r\n", size_limit(60), "",
         outcome::too_much_data, "", 1055},
    });
}

BOOST_AUTO_TEST_CASE(feed_pipelined_bytes_left) {
    check_all({
        {"QUIT after an empty body", ".\r\nQUIT\r\n", defaults, "", outcome::ok, "QUIT\r\n", 0},
        {"next transaction", "a\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", defaults, "a\r\n",
         outcome::ok, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n", 3},
        {"a second dot line", "a\r\n.\r\n.\r\n", defaults, "a\r\n", outcome::ok, ".\r\n", 3},
        {"empty line after", "a\r\n.\r\n\r\n", defaults, "a\r\n", outcome::ok, "\r\n", 3},
        {"after an error", rep(20) + "\r\n.\r\nRSET\r\n", size_limit(5), "", outcome::too_much_data,
         "RSET\r\n", 22},
    });
}

BOOST_AUTO_TEST_CASE(feed_after_done_consumes_nothing) {
    reader_t reader;
    reader.start(defaults);
    std::string out;
    BOOST_TEST(reader.feed("a\r\n.\r\nQUIT\r\n", out) == 6u);
    BOOST_TEST(reader.done());
    BOOST_TEST(reader.feed("QUIT\r\n", out) == 0u);
    BOOST_TEST(reader.feed("", out) == 0u);
    BOOST_TEST(out == "a\r\n");
}

BOOST_AUTO_TEST_CASE(start_resets_state) {
    struct step {
        limits lim;
        std::string_view input;
        std::string content;
        outcome result;
    };
    const std::vector<step> steps{
        {size_limit(2), "abc\r\n.\r\n", "", outcome::too_much_data},
        {defaults, "abc\r\n.\r\n", "abc\r\n", outcome::ok},
        {line_limit(4), "abc\r\n.\r\n", "", outcome::line_too_long},
        {defaults, "..\r\n.\r\n", ".\r\n", outcome::ok},
    };
    reader_t reader;
    // The previous body is left unfinished after ".\r" on purpose: start() must forget it.
    reader.start(defaults);
    std::string scratch;
    reader.feed("x\r\n.\r", scratch);
    for (const step& s : steps) {
        std::string out;
        reader.start(s.lim);
        BOOST_TEST(!reader.done());
        BOOST_TEST(reader.feed(s.input, out) == s.input.size());
        BOOST_TEST(reader.done());
        BOOST_TEST(out == s.content);
        BOOST_TEST(outcome_name(reader.result()) == outcome_name(s.result));
    }
}

// Random bodies over the bytes that matter, with small limits so that every rule fires often,
// checked against the line-by-line reference and cut at random places.
BOOST_AUTO_TEST_CASE(feed_random_differential) {
    std::mt19937 rng(20240305);
    const char alphabet[] = {'.', '\r', '\n', 'a'};
    auto below = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    int mismatches = 0;
    for (int iteration = 0; iteration < 4000 && mismatches < 5; ++iteration) {
        std::string input;
        const std::size_t length = below(iteration % 10 == 0 ? 200 : 40);
        for (std::size_t i = 0; i < length; ++i)
            input += alphabet[below(4)];
        // Guarantees an end: the CRLF closes whatever line is open, then ".\r\n" starts a line.
        input += "\r\n.\r\n";
        for (std::size_t i = below(6); i > 0; --i)
            input += alphabet[below(4)];

        limits lim;
        lim.max_line = below(4) == 0 ? 0 : 1 + below(12);
        lim.max_size = below(3) == 0 ? 0 : 1 + below(60);
        const run_result expected = reference(input, lim);

        for (int split = 0; split < 3; ++split) {
            std::vector<std::size_t> cuts;
            for (std::size_t i = 1; i < input.size(); ++i) {
                if (split == 2 || below(split == 0 ? 8 : 3) == 0) cuts.push_back(i);
            }
            const run_result got = run(input, lim, cuts);
            if (got != expected) {
                ++mismatches;
                BOOST_TEST(got == expected, "input \"" << escape(input) << "\", max_size "
                                                       << lim.max_size << ", max_line "
                                                       << lim.max_line << ", " << cuts.size()
                                                       << " cuts, strategy " << split);
                break;
            }
        }
    }
    BOOST_TEST(mismatches == 0);
}

BOOST_AUTO_TEST_SUITE_END()
