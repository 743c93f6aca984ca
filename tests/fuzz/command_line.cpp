// libFuzzer target: command-line framing (detail::line_reader) and command parsing
// (detail::command_parser). The input is the raw byte stream a client sends. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/detail/command.hpp>
#include <smtp/detail/line_reader.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using smtp::detail::command;
using smtp::detail::command_parser;
using smtp::detail::line_reader;
using smtp_fuzz::as_text;

// What framing found, without the need_more events (which depend on how input arrives).
struct framed {
    std::vector<std::string> lines; // a line, or "" for a too-long line (a line is never empty)
    friend bool operator==(const framed&, const framed&) = default;
};

void check_parse(command_parser& parser, std::string_view framed_line) {
    // A copy in a buffer of exactly the line's size, so ASan reports any read outside the line
    // (the fuzzer's own buffer would let a read run on into the following lines).
    const std::size_t n = framed_line.size();
    std::unique_ptr<char[]> copy(new char[n]);
    std::memcpy(copy.get(), framed_line.data(), n);
    const std::string_view line(copy.get(), n);

    command_parser::status status_by_flag[2];
    for (bool ascii_only : {false, true}) {
        command cmd;
        const command_parser::status status = parser.parse(line, ascii_only, cmd);
        status_by_flag[ascii_only] = status;

        std::string_view trimmed = line;
        while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r'))
            trimmed.remove_suffix(1);
        FUZZ_CHECK(cmd.length == trimmed.size());
        FUZZ_CHECK(smtp_fuzz::is_within(cmd.arg, line) || cmd.arg.empty());
        switch (status) {
        case command_parser::status::empty: FUZZ_CHECK(trimmed.empty()); break;
        case command_parser::status::bad_verb:
            FUZZ_CHECK(!smtp_fuzz::is_ascii(trimmed.substr(0, trimmed.find(' '))));
            break;
        case command_parser::status::non_ascii_argument:
            FUZZ_CHECK(ascii_only);
            FUZZ_CHECK(!smtp_fuzz::is_ascii(cmd.arg));
            [[fallthrough]];
        case command_parser::status::ok: {
            const std::string_view word = trimmed.substr(0, trimmed.find(' '));
            // The name: the first word, upper-cased ASCII.
            FUZZ_CHECK(cmd.name.size() == word.size());
            FUZZ_CHECK(smtp_fuzz::is_ascii(cmd.name));
            FUZZ_CHECK(!smtp_fuzz::has_ascii_lower(cmd.name));
            FUZZ_CHECK(cmd.name.find(' ') == std::string_view::npos);
            for (std::size_t i = 0; i < word.size(); ++i) {
                char c = word[i];
                if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
                FUZZ_CHECK(cmd.name[i] == c);
            }
            FUZZ_CHECK(cmd.id == smtp::detail::verb_from_name(cmd.name));
            if (cmd.id != smtp::detail::verb::unknown)
                FUZZ_CHECK(smtp::detail::name_of(cmd.id) == cmd.name);
            // The argument: what follows the first space, stripped, inside the line.
            if (!cmd.arg.empty()) {
                FUZZ_CHECK(smtp_fuzz::is_within(cmd.arg, trimmed));
                FUZZ_CHECK(cmd.arg.data() > trimmed.data() + word.size());
                FUZZ_CHECK(!smtp::detail::is_python_space(cmd.arg.front()));
                FUZZ_CHECK(!smtp::detail::is_python_space(cmd.arg.back()));
            }
            FUZZ_CHECK(cmd.arg == smtp::detail::strip(word.size() < trimmed.size()
                                                          ? trimmed.substr(word.size() + 1)
                                                          : std::string_view{}));
            if (status == command_parser::status::ok && ascii_only)
                FUZZ_CHECK(smtp_fuzz::is_ascii(cmd.arg));
            break;
        }
        }
    }
    // The flag only decides between ok and non_ascii_argument.
    if (status_by_flag[true] == command_parser::status::non_ascii_argument)
        FUZZ_CHECK(status_by_flag[false] == command_parser::status::ok);
    else
        FUZZ_CHECK(status_by_flag[true] == status_by_flag[false]);
}

// Frames all of `input` at once, checking every event.
framed frame_whole(std::string_view input, std::size_t max_line, command_parser* parser) {
    framed result;
    line_reader reader(max_line);
    std::string_view rest = input;
    for (;;) {
        const line_reader::event ev = reader.next(rest);
        FUZZ_CHECK(ev.consumed <= rest.size());
        if (ev.what == line_reader::kind::need_more) {
            if (ev.consumed == 0) {
                // Kept for later: a partial line that may still fit.
                FUZZ_CHECK(rest.find('\n') == std::string_view::npos);
                FUZZ_CHECK(rest.size() <= max_line);
                break;
            }
            // Drained: a line already too long; all of it goes.
            FUZZ_CHECK(ev.consumed == rest.size());
            FUZZ_CHECK(rest.find('\n') == std::string_view::npos);
            FUZZ_CHECK(rest.size() > max_line);
            rest.remove_prefix(ev.consumed);
            continue;
        }
        FUZZ_CHECK(ev.consumed > 0);
        FUZZ_CHECK(rest[ev.consumed - 1] == '\n');
        FUZZ_CHECK(rest.substr(0, ev.consumed - 1).find('\n') == std::string_view::npos);
        if (ev.what == line_reader::kind::line) {
            FUZZ_CHECK(ev.line.data() == rest.data());
            FUZZ_CHECK(ev.line.size() == ev.consumed);
            FUZZ_CHECK(!ev.line.empty() && ev.line.back() == '\n');
            FUZZ_CHECK(ev.line.size() <= max_line + 1);
            if (parser) check_parse(*parser, ev.line);
            result.lines.emplace_back(ev.line);
        } else {
            FUZZ_CHECK(ev.what == line_reader::kind::too_long);
            result.lines.emplace_back();
        }
        rest.remove_prefix(ev.consumed);
    }
    return result;
}

// Frames `input` arriving in pieces of `chunk` octets, the way a connection's buffer does.
framed frame_chunked(std::string_view input, std::size_t max_line, std::size_t chunk) {
    framed result;
    line_reader reader(max_line);
    std::string buffer;
    while (!input.empty()) {
        const std::size_t take = std::min(chunk, input.size());
        buffer.append(input.substr(0, take));
        input.remove_prefix(take);
        std::string_view rest = buffer;
        for (;;) {
            const line_reader::event ev = reader.next(rest);
            FUZZ_CHECK(ev.consumed <= rest.size());
            if (ev.what == line_reader::kind::line) result.lines.emplace_back(ev.line);
            if (ev.what == line_reader::kind::too_long) result.lines.emplace_back();
            rest.remove_prefix(ev.consumed);
            if (ev.what == line_reader::kind::need_more) break;
        }
        buffer.erase(0, buffer.size() - rest.size());
        FUZZ_CHECK(buffer.size() <= max_line); // memory stays bounded
    }
    return result;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = as_text(data, size);
    command_parser parser; // reused across lines, as the protocol does
    // aiosmtpd's 1001, and a small limit taken from the first byte so that long lines are cheap.
    const std::size_t small = size != 0 ? data[0] % 40 : 0;
    for (std::size_t max_line : {std::size_t(1001), small}) {
        const framed whole = frame_whole(input, max_line, &parser);
        // The same stream in pieces frames the same lines.
        const std::size_t chunk = size > 1 ? 1 + data[1] % 16 : 1;
        FUZZ_CHECK(frame_chunked(input, max_line, chunk) == whole);
        if (size <= 1024) FUZZ_CHECK(frame_chunked(input, max_line, 1) == whole); // kept fast
    }
    return 0;
}
