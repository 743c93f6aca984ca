// Observability without a dependency: a sink server on several threads whose handler counts
// what an operator graphs (connections, messages, bytes, durations) and prints a line of
// figures every few seconds, and a last one when it stops.
//
//   stats [PORT] [THREADS]      (defaults: 8025, one thread per core; Enter or EOF stops)
//
// Try it with `smtp-source -s 20 -m 1000 127.0.0.1:8025` (Postfix) or any SMTP client.
#include <smtp/smtp.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

// The hooks run on the server's threads, concurrently: every figure is an atomic.
class counters {
public:
    void connection_opened(const smtp::connection&) {
        ++figures_->opened;
        ++figures_->open_now;
    }
    void connection_closed(const smtp::connection&, const smtp::connection_stats& s) {
        --figures_->open_now;
        figures_->bytes_in += s.bytes_received;
        figures_->bytes_out += s.bytes_sent;
        figures_->connection_us += duration_cast<microseconds>(s.duration).count();
    }
    void message_accepted(const smtp::connection&, const smtp::message_stats& s) {
        ++figures_->accepted;
        figures_->message_bytes += s.size;
        figures_->recipients += s.recipients;
        figures_->message_us += duration_cast<microseconds>(s.duration).count();
    }
    void message_rejected(const smtp::connection&, const smtp::message_stats&) {
        ++figures_->rejected;
    }

    /// One line: totals since the start, and averages.
    void print(const char* when) const {
        const auto& f = *figures_;
        unsigned long long accepted = f.accepted, closed = f.opened - f.open_now;
        std::printf("%s: connections %llu (open %lld), messages accepted %llu rejected %llu, "
                    "%llu recipients, %llu message bytes, received %llu B sent %llu B, "
                    "avg message %.2f ms, avg connection %.2f ms\n",
                    when, (unsigned long long)f.opened, (long long)f.open_now, accepted,
                    (unsigned long long)f.rejected, (unsigned long long)f.recipients,
                    (unsigned long long)f.message_bytes, (unsigned long long)f.bytes_in,
                    (unsigned long long)f.bytes_out,
                    accepted ? double(f.message_us) / double(accepted) / 1000 : 0.0,
                    closed ? double(f.connection_us) / double(closed) / 1000 : 0.0);
        std::fflush(stdout);
    }

private:
    struct figures {
        std::atomic<unsigned long long> opened{0}, accepted{0}, rejected{0}, recipients{0};
        std::atomic<unsigned long long> message_bytes{0}, bytes_in{0}, bytes_out{0};
        std::atomic<unsigned long long> message_us{0}, connection_us{0};
        std::atomic<long long> open_now{0};
    };
    // Shared, so that the copy the server keeps and main's view are the same figures.
    std::shared_ptr<figures> figures_ = std::make_shared<figures>();
};

} // namespace

int main(int argc, char** argv) {
    auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8025);
    smtp::options options{.hostname = "stats.example.com"};
    options.threads = argc > 2 ? std::size_t(std::atoi(argv[2])) : 0;
    counters figures;
    smtp::controller<smtp::server<counters>> server{figures, options, {"127.0.0.1", port}};
    server.start();
    std::printf("listening on 127.0.0.1:%u with %zu thread(s); Enter stops\n", server.port(),
                server.thread_count());
    std::fflush(stdout);

    std::mutex mutex;
    std::condition_variable wake;
    bool done = false;
    std::thread printer([&] {
        std::unique_lock lock(mutex);
        while (!wake.wait_for(lock, std::chrono::seconds(5), [&] { return done; }))
            figures.print("now");
    });
    std::cin.get();
    server.stop(std::chrono::seconds(10)); // graceful: transactions in flight finish
    {
        std::lock_guard lock(mutex);
        done = true;
    }
    wake.notify_one();
    printer.join();
    figures.print("final");
}
