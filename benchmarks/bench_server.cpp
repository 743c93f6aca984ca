// A sink SMTP server for benchmarking and profiling: accepts every message and throws it away.
//
//   bench_server PORT [THREADS]
//
// Listens on 127.0.0.1:PORT with `smtp::controller<smtp::server<smtp::handlers::sink>>` on
// THREADS threads (default 1), each with its own io_context and SO_REUSEPORT listener. It runs
// until SIGINT or SIGTERM.

#include <smtp/smtp.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <pthread.h>

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s PORT [THREADS]\n", argv[0]);
        return 2;
    }
    const auto port = static_cast<unsigned short>(std::atoi(argv[1]));
    smtp::options options{.hostname = "bench.example.com"};
    options.threads = argc == 3 ? std::size_t(std::max(1, std::atoi(argv[2]))) : 1;

    // Block the stop signals before the controller's threads start, so that they inherit the
    // mask and sigwait() below is the one that receives them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    smtp::controller<smtp::server<smtp::handlers::sink>> controller{
        {}, options, {"127.0.0.1", port}};
    controller.start();
    int which = 0;
    sigwait(&signals, &which);
    controller.stop();
    return 0;
}
