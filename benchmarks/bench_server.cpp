// A sink SMTP server for benchmarking and profiling: accepts every message and throws it away.
//
//   bench_server PORT [THREADS]
//
// Listens on 127.0.0.1:PORT. With one thread (the default) it is exactly what
// `smtp::controller<smtp::server<smtp::handlers::sink>>` runs; with more, one acceptor hands each
// new connection to the next of THREADS io_contexts, one thread each (a session stays on its
// thread). It runs until SIGINT or SIGTERM.

#include <smtp/smtp.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <pthread.h>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using sink_server = smtp::server<smtp::handlers::sink>;

namespace {

const smtp::options bench_options{.hostname = "bench.example.com"};

// Accepts on `acceptor` and serves each connection on the next io_context in turn.
asio::awaitable<void> accept_round_robin(asio::ip::tcp::acceptor& acceptor, sink_server& server,
                                         std::vector<std::unique_ptr<asio::io_context>>& ios) {
    std::size_t next = 0;
    for (;;) {
        auto& io = *ios[next];
        next = (next + 1) % ios.size();
        smtp::connection::socket_type socket(io.get_executor());
        auto [ec] = co_await acceptor.async_accept(socket, asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted) co_return;
        if (ec) continue;
        asio::co_spawn(io, server.serve(std::move(socket)), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    const int threads = argc == 3 ? std::max(1, std::atoi(argv[2])) : 1;
    const asio::ip::tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), port};

    if (threads == 1) {
        // Block the stop signals before the controller's thread starts, so that it inherits the
        // mask and sigwait() below is the one that receives them.
        sigset_t signals;
        sigemptyset(&signals);
        sigaddset(&signals, SIGINT);
        sigaddset(&signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &signals, nullptr);
        smtp::controller<sink_server> controller{{}, bench_options, {"127.0.0.1", port}};
        controller.start();
        int which = 0;
        sigwait(&signals, &which);
        controller.stop();
        return 0;
    }

    sink_server server{{}, bench_options};
    std::vector<std::unique_ptr<asio::io_context>> ios;
    for (int i = 0; i < threads; ++i)
        ios.push_back(std::make_unique<asio::io_context>(1));
    asio::ip::tcp::acceptor acceptor(*ios[0], endpoint);
    asio::co_spawn(*ios[0], accept_round_robin(acceptor, server, ios), asio::detached);
    asio::signal_set stop(*ios[0], SIGINT, SIGTERM);
    stop.async_wait([&](auto, int) {
        acceptor.close();
        for (auto& io : ios)
            io->stop();
    });
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) {
        pool.emplace_back([&, i] {
            auto guard = asio::make_work_guard(*ios[i]);
            ios[i]->run();
        });
    }
    ios[0]->run();
    for (auto& t : pool)
        t.join();
    return 0;
}
