// Throughput of smtp::detail::data_reader: input bytes un-stuffed per second.

#include <smtp/detail/data_reader.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using smtp::detail::data_reader;

// A body of `size` bytes made of `line`-octet lines plus CRLF, then the terminating ".\r\n".
// Every `stuff_every`-th line (0 = none) starts with a stuffed dot, as a client would send a
// line of text that begins with '.'.
std::string make_body(std::size_t size, std::size_t line, std::size_t stuff_every) {
    std::string body;
    body.reserve(size + line + 5);
    for (std::size_t n = 0; body.size() < size; ++n) {
        const bool stuffed = stuff_every != 0 && n % stuff_every == 0;
        if (stuffed) body += "..";
        body.append(line - (stuffed ? 2 : 0), static_cast<char>('a' + n % 26));
        body += "\r\n";
    }
    body += ".\r\n";
    return body;
}

// Feeds `body` in `piece`-byte chunks (0 = all at once) per iteration, as a connection would
// hand over its read buffer, and reports the body bytes handled per second.
void run(benchmark::State& state, const std::string& body, std::size_t piece) {
    data_reader reader;
    std::string out;
    out.reserve(body.size());
    const std::string_view input = body;
    for (auto _ : state) {
        out.clear();
        reader.start({});
        std::size_t pos = 0;
        while (!reader.done()) {
            const std::size_t len = piece == 0 ? input.size() : std::min(piece, input.size() - pos);
            pos += reader.feed(input.substr(pos, len), out);
        }
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
        if (pos != input.size() || reader.result() != data_reader::outcome::ok) {
            state.SkipWithError("body not read as expected");
            break;
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(body.size()));
}

void bm_plain_1mib(benchmark::State& state) {
    static const std::string body = make_body(1 << 20, 78, 0);
    run(state, body, 0);
}

// Every line dot-stuffed: one dropped byte, hence one extra bulk append, per line.
void bm_all_lines_stuffed_1mib(benchmark::State& state) {
    static const std::string body = make_body(1 << 20, 78, 1);
    run(state, body, 0);
}

// One line in four dot-stuffed, with short lines: more per-line work than the plain case.
void bm_quarter_stuffed_short_lines_1mib(benchmark::State& state) {
    static const std::string body = make_body(1 << 20, 20, 4);
    run(state, body, 0);
}

void bm_100kib_in_4kib_pieces(benchmark::State& state) {
    static const std::string body = make_body(100 << 10, 78, 0);
    run(state, body, 4 << 10);
}

} // namespace

BENCHMARK(bm_plain_1mib);
BENCHMARK(bm_all_lines_stuffed_1mib);
BENCHMARK(bm_quarter_stuffed_short_lines_1mib);
BENCHMARK(bm_100kib_in_4kib_pieces);

BENCHMARK_MAIN();
