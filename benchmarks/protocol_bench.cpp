// Speed of the sans-I/O core, without sockets:
//
// - BM_ParseCommands: command lines framed by smtp::detail::line_reader and split by
//   smtp::detail::command_parser, in the mix an SMTP client sends (items/s = commands/s).
// - BM_Session / BM_Transaction: the whole state machine smtp::detail::protocol<std::string_view>
//   driven the way include/smtp/impl/server_commands.hpp drives it for a handler with no hooks
//   (on_line -> check_* -> default_* ; check_data -> feed_data -> finish_data<decode::bytes>),
//   over the bytes Postfix's smtp-source sends (items/s = messages/s, bytes/s = client bytes/s).
//
//   BM_Session/1024         new session per message: greeting, EHLO, MAIL, RCPT, DATA, QUIT (c20)
//   BM_Transaction/1024/1   one session, MAIL, RCPT, DATA per message (d20)
//   BM_Transaction/102400/1 100 KiB messages (big)
//   BM_Transaction/1024/50  50 recipients (rcpt)

#include <smtp/decode.hpp>
#include <smtp/detail/command.hpp>
#include <smtp/detail/line_reader.hpp>
#include <smtp/detail/protocol.hpp>
#include <smtp/envelope.hpp>
#include <smtp/options.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using smtp::detail::command;
using smtp::detail::command_parser;
using smtp::detail::line_reader;
using smtp::detail::next_action;
using protocol = smtp::detail::protocol<std::string_view>;

// --- what the client sends ---------------------------------------------------------------------

// A message body as smtp-source builds it: a few header lines, then `size` octets of text in
// lines of at most 78 octets plus CRLF, then the terminating ".\r\n".
std::string make_body(std::size_t size) {
    std::string body = "From: <a@example.com>\r\nTo: <b@example.com>\r\n"
                       "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
                       "Message-Id: <12345.67890@bench.example.com>\r\n\r\n";
    std::size_t text = 0;
    for (std::size_t n = 0; text < size; ++n) {
        std::size_t line = std::min<std::size_t>(78, size - text);
        body.append(line, static_cast<char>('a' + n % 26));
        body += "\r\n";
        text += line + 2;
    }
    body += ".\r\n";
    return body;
}

std::string make_transaction(std::size_t size, std::size_t recipients) {
    std::string t = "MAIL FROM:<a@example.com>\r\n";
    for (std::size_t i = 0; i < recipients; ++i)
        t += "RCPT TO:<b@example.com>\r\n";
    t += "DATA\r\n";
    t += make_body(size);
    return t;
}

// --- the driver: the server's command loop for a handler without hooks -----------------------

struct endpoint {
    smtp::options opts{.hostname = "bench.example.com"};
    smtp::session session;
    smtp::envelope<std::string_view> envelope;
    std::string out;
    smtp::detail::capabilities features{.eight_bit_mime = true};
    protocol proto{opts, "bench.example.com", features, session, envelope, out};
};

// Runs `input` through the state machine. Returns false when the session closed (QUIT).
// Replies are "flushed" (cleared) whenever the server would wait for more input.
bool drive(endpoint& e, std::string_view input) {
    protocol& p = e.proto;
    while (!input.empty()) {
        auto event = p.next_line(input);
        input.remove_prefix(event.consumed);
        if (event.what == line_reader::kind::need_more) break;
        if (event.what == line_reader::kind::too_long) {
            p.line_too_long();
            continue;
        }
        next_action next = p.on_line(event.line);
        if (next.what == next_action::kind::receive_data) {
            input.remove_prefix(p.feed_data(input));
            if (!p.data().done()) return true; // the test input always holds the whole body
            next = p.finish_data<smtp::decode::bytes>();
        }
        if (next.what == next_action::kind::call_hook) next = p.answer_by_default();
        if (next.what == next_action::kind::close) return false;
        if (next.what != next_action::kind::read_command)
            p.write(502, "5.5.1", "not in this benchmark");
    }
    return true;
}

// --- benchmarks --------------------------------------------------------------------------------

void BM_ParseCommands(benchmark::State& state) {
    // The lines of one session with two transactions, repeated to about 8 KiB.
    const std::string session = "EHLO bench.example.com\r\n"
                                "MAIL FROM:<a@example.com> SIZE=1024 BODY=8BITMIME\r\n"
                                "RCPT TO:<b@example.com>\r\n"
                                "RCPT TO:<c@example.com> NOTIFY=NEVER\r\n"
                                "DATA\r\n"
                                "rset\r\n"
                                "NOOP\r\n"
                                "MAIL FROM:<>\r\n"
                                "RCPT TO:<postmaster@example.com>\r\n"
                                "DATA\r\n"
                                "QUIT\r\n";
    std::string input;
    while (input.size() < 8192)
        input += session;
    line_reader lines(1001);
    command_parser parser;
    command cmd;
    std::int64_t parsed = 0;
    std::size_t checksum = 0;
    for (auto _ : state) {
        std::string_view rest = input;
        for (;;) {
            auto event = lines.next(rest);
            if (event.what != line_reader::kind::line) break;
            rest.remove_prefix(event.consumed);
            parser.parse(event.line, true, cmd);
            checksum += static_cast<std::size_t>(cmd.id) + cmd.arg.size();
            ++parsed;
        }
    }
    benchmark::DoNotOptimize(checksum);
    state.SetItemsProcessed(parsed);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_ParseCommands);

// A new session per message: greeting, EHLO, one transaction, QUIT.
void BM_Session(benchmark::State& state) {
    const std::string input = "EHLO bench.example.com\r\n" +
                              make_transaction(std::size_t(state.range(0)), 1) + "QUIT\r\n";
    for (auto _ : state) {
        endpoint e;
        e.proto.greet();
        if (drive(e, input)) state.SkipWithError("session did not end with QUIT");
        if (e.out.find("250 OK\r\n354 ") == std::string::npos)
            state.SkipWithError("no message accepted");
        benchmark::DoNotOptimize(e.out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_Session)->Arg(1024);

// One session, one transaction per iteration (connection reuse).
void BM_Transaction(benchmark::State& state) {
    const std::string input =
        make_transaction(std::size_t(state.range(0)), std::size_t(state.range(1)));
    endpoint e;
    e.proto.greet();
    drive(e, "EHLO bench.example.com\r\n");
    e.out.clear();
    for (auto _ : state) {
        drive(e, input);
        if (e.out.size() < 8 || e.out.compare(e.out.size() - 8, 8, "250 OK\r\n") != 0) {
            state.SkipWithError("message not accepted");
            break;
        }
        e.out.clear();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * input.size()));
}
BENCHMARK(BM_Transaction)->Args({1024, 1})->Args({102400, 1})->Args({1024, 50});

} // namespace

BENCHMARK_MAIN();
