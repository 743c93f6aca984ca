// The per-message cost of operations (docs/operations.md), in two views:
//
// - BM_RegistryMessageEvents: what smtp::metrics::observed records for one message on a warm
//   connection (EHLO, MAIL, RCPT, DATA and the body's end as commands, their five replies, the
//   message's size and duration histograms, the recipients): the counting alone, no I/O.
// - BM_SessionMessage<...>: one MAIL, RCPT, DATA transaction through a real smtp::server over a
//   UNIX socket pair (smtp::testing::session), with the handler plain, observed (metrics), or
//   logged (JSON lines to /dev/null, with IDs and the `queued as` reply). The difference between
//   the rows is what metrics or the event log cost per message in a server.

#include <smtp/handlers/sink.hpp>
#include <smtp/logging/logged.hpp>
#include <smtp/metrics/observed.hpp>
#include <smtp/metrics/registry.hpp>
#include <smtp/testing/session.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>

namespace {

// About 1 KiB of body in lines of 76 octets.
const std::string body = [] {
    std::string b = "Subject: bench\r\n\r\n";
    for (int i = 0; i < 13; ++i)
        b.append(76, 'x').append("\r\n");
    return b;
}();

void BM_RegistryMessageEvents(benchmark::State& state) {
    smtp::metrics::registry counters;
    smtp::message_stats stats{body.size(), 1, 250, std::chrono::microseconds(150), {}};
    for (auto _ : state) {
        counters.command("MAIL FROM:<a@example.com>\r\n");
        counters.command("RCPT TO:<b@example.com>\r\n");
        counters.command("DATA\r\n");
        counters.reply(250);
        counters.reply(250);
        counters.reply(354);
        counters.reply(250);
        counters.message(smtp::metrics::result::accepted, stats);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RegistryMessageEvents);

using plain = smtp::handlers::sink;
using metered = smtp::metrics::observed<smtp::handlers::sink>;
using logged = smtp::logging::logged<smtp::handlers::sink>;

template <class Handler>
Handler make_handler();
template <>
plain make_handler<plain>() {
    return {};
}
template <>
metered make_handler<metered>() {
    return metered({}, std::make_shared<smtp::metrics::registry>());
}
template <>
logged make_handler<logged>() {
    return logged({}, std::make_shared<smtp::logging::sink>("/dev/null"),
                  smtp::logging::format::json);
}

template <class Handler>
void BM_SessionMessage(benchmark::State& state) {
    smtp::testing::session<Handler> s{make_handler<Handler>(), {.hostname = "mx.bench"}};
    s.ehlo();
    for (auto _ : state) {
        s.expect(s.mail("a@example.com"), 250);
        s.expect(s.rcpt("b@example.com"), 250);
        s.expect(s.data(body), 250);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_TEMPLATE(BM_SessionMessage, plain);
BENCHMARK_TEMPLATE(BM_SessionMessage, metered);
BENCHMARK_TEMPLATE(BM_SessionMessage, logged);

} // namespace

BENCHMARK_MAIN();
