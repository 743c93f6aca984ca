// libFuzzer target: the whole sans-I/O SMTP state machine (detail::offline_session).
//
// Input layout: byte 0 chooses the options (bit 0 SMTPUTF8, bits 1-2 data_size_limit, bit 3
// command_call_limit, bit 4 auth_required, bit 5 decode::utf8, bit 6 small line and local-part
// limits, bit 7 also feed one octet at a time); bytes 1-3 are three split points (as fractions
// n/256 of the rest) whose lowest bits also turn on CHUNKING (byte 1), ENHANCEDSTATUSCODES
// (byte 2) and LMTP (byte 3); the rest is what the client sends. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/decode.hpp>
#include <smtp/detail/offline_session.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace {

smtp::options make_options(std::uint8_t config, const std::uint8_t (&cuts)[3]) {
    smtp::options o;
    o.chunking = (cuts[0] & 1) != 0;
    o.enhanced_status_codes = (cuts[1] & 1) != 0;
    o.lmtp = (cuts[2] & 1) != 0;
    o.hostname = "mx.test";
    o.enable_smtputf8 = (config & 1) != 0;
    static constexpr std::size_t data_sizes[] = {33554432, 64, 0, 1000};
    o.data_size_limit = data_sizes[(config >> 1) & 3];
    if (config & 8) o.command_call_limit = smtp::call_limits{4, {{"NOOP", 2}, {"FOO", 1}}};
    if (config & 16) {
        o.auth_required = true;
        o.auth_require_tls = false;
    }
    if (config & 64) {
        o.local_part_limit = 8;
        o.command_size_limit = 64;
        o.data_line_limit = 40;
        o.unknown_command_limit = 2;
    }
    return o;
}

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

// The output is a sequence of well-formed reply lines `^[2-5][0-9][0-9][ -].*\r\n`, the first
// the greeting, each multi-line reply ending in a `code SP` line of the same code.
void check_output(std::string_view out, const smtp::options& opts, bool open) {
    FUZZ_CHECK(out.substr(0, 12) == "220 mx.test ");
    std::string_view continued; // the code of an unfinished multi-line reply
    std::string_view last;
    while (!out.empty()) {
        const std::size_t end = out.find("\r\n");
        FUZZ_CHECK(end != std::string_view::npos);
        const std::string_view line = out.substr(0, end);
        out.remove_prefix(end + 2);
        FUZZ_CHECK(line.size() >= 4);
        FUZZ_CHECK(line[0] >= '2' && line[0] <= '5' && is_digit(line[1]) && is_digit(line[2]));
        FUZZ_CHECK(line[3] == ' ' || line[3] == '-');
        FUZZ_CHECK(line.find('\n') == std::string_view::npos);
        if (!continued.empty()) FUZZ_CHECK(line.substr(0, 3) == continued);
        continued = line[3] == '-' ? line.substr(0, 3) : std::string_view{};
        last = line;
    }
    FUZZ_CHECK(continued.empty());
    if (!open) {
        // Closed by QUIT, a call budget, the unknown-command limit or a BDAT without a size.
        FUZZ_CHECK(last.substr(0, 4) == "221 " || last.substr(0, 10) == "421 4.7.0 " ||
                   last == "502 5.5.1 Too many unrecognized commands, goodbye." ||
                   (last.substr(0, 4) == "501 " && last.ends_with("Syntax: BDAT <size> [LAST]")));
    }
    (void)opts;
}

struct run_result {
    std::string output;
    std::vector<std::string> delivered;
    bool open;
    friend bool operator==(const run_result&, const run_result&) = default;
};

template <class Policy>
run_result run(const smtp::options& opts, const std::vector<std::string_view>& pieces) {
    smtp::detail::offline_session<Policy> s(opts);
    bool open = true;
    for (std::string_view piece : pieces) {
        if (!open) {
            // Closed: nothing more is read or written.
            const std::string before = s.output();
            const std::size_t delivered = s.delivered().size();
            FUZZ_CHECK(!s.feed(piece));
            FUZZ_CHECK(s.output() == before);
            FUZZ_CHECK(s.delivered().size() == delivered);
            continue;
        }
        open = s.feed(piece);
        FUZZ_CHECK(open == s.open());
    }
    if (!open) {
        const std::string before = s.output();
        FUZZ_CHECK(!s.feed("NOOP\r\nQUIT\r\n"));
        FUZZ_CHECK(s.output() == before);
    }
    check_output(s.output(), opts, open);
    for (const std::string& message : s.delivered()) {
        if (opts.data_size_limit != 0) FUZZ_CHECK(message.size() <= opts.data_size_limit);
        if constexpr (std::is_same_v<Policy, smtp::decode::utf8>) {
            if (opts.enable_smtputf8)
                FUZZ_CHECK(smtp::decode::is_valid_utf8(message));
            else
                FUZZ_CHECK(smtp_fuzz::is_ascii(message));
        }
    }
    return {s.output(), s.delivered(), open};
}

template <class Policy>
void check(const smtp::options& opts, std::string_view input, const std::uint8_t (&cuts)[3],
           bool octets) {
    std::string_view split[4];
    smtp_fuzz::split_points(input, cuts, split);
    const run_result whole = run<Policy>(opts, {input});
    FUZZ_CHECK(run<Policy>(opts, {split[0], split[1], split[2], split[3]}) == whole);
    if (octets) {
        std::vector<std::string_view> each;
        for (std::size_t i = 0; i < input.size(); ++i)
            each.push_back(input.substr(i, 1));
        FUZZ_CHECK(run<Policy>(opts, each) == whole);
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return 0;
    const std::uint8_t cuts[3] = {data[1], data[2], data[3]};
    const smtp::options opts = make_options(data[0], cuts);
    const std::string_view input = smtp_fuzz::as_text(data + 4, size - 4);
    const bool octets = (data[0] & 128) != 0;
    if (data[0] & 32)
        check<smtp::decode::utf8>(opts, input, cuts, octets);
    else
        check<smtp::decode::bytes>(opts, input, cuts, octets);
    return 0;
}
