// The heap blocks an idle connection holds, by size (issue 22): the library's server with no
// hooks on a thread of its own, N clients that read the greeting, had their EHLO answered and
// wait. Every malloc of the process is counted (the allocator is interposed below), so the
// table is what the server holds per connection, block by block, and the total is what the
// idle-connection RSS figure of loadbench.py is made of (plus malloc's own 8-16 B per block).
//
//   idle_heap [CONNECTIONS]          (default 2,000; build: SMTP_BUILD_BENCHMARKS=ON)
//
// Asio keeps a small cache of freed blocks per thread and hands a cached block to the next
// operation or coroutine frame it fits, so a block can be larger than what lives in it.
#include <smtp/handlers/sink.hpp>
#include <smtp/server.hpp>

#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {

// The live blocks: an open-addressing table that never allocates (it is consulted from malloc).
class live_blocks {
public:
    void add(void* p, std::size_t n) {
        if (!p) return;
        lock();
        for (std::size_t i = slot_of(p);; i = (i + 1) % capacity)
            if (table_[i].p == nullptr || table_[i].p == tombstone()) {
                table_[i] = {p, n};
                break;
            }
        unlock();
    }
    /// Forgets `p`; returns its size.
    std::size_t remove(void* p) {
        if (!p) return 0;
        std::size_t size = 0;
        lock();
        for (std::size_t i = slot_of(p); table_[i].p != nullptr; i = (i + 1) % capacity)
            if (table_[i].p == p) {
                table_[i].p = tombstone();
                size = table_[i].n;
                break;
            }
        unlock();
        return size;
    }
    /// Live blocks counted by size.
    std::map<std::size_t, long> by_size() {
        std::vector<std::size_t> sizes;
        sizes.reserve(capacity); // before the lock: malloc takes it too
        lock();
        for (const auto& e : table_)
            if (e.p != nullptr && e.p != tombstone()) sizes.push_back(e.n);
        unlock();
        std::map<std::size_t, long> counts;
        for (std::size_t n : sizes)
            ++counts[n];
        return counts;
    }

private:
    static constexpr std::size_t capacity = std::size_t(1) << 21;
    struct entry {
        void* p;
        std::size_t n;
    };
    static void* tombstone() { return reinterpret_cast<void*>(1); }
    static std::size_t slot_of(void* p) {
        return (reinterpret_cast<std::uintptr_t>(p) >> 4) * 0x9E3779B97F4A7C15ull % capacity;
    }
    void lock() {
        while (busy_.test_and_set(std::memory_order_acquire)) {
        }
    }
    void unlock() { busy_.clear(std::memory_order_release); }

    entry table_[capacity];
    std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
};

live_blocks blocks;

} // namespace

extern "C" {
void* malloc(std::size_t n) {
    void* p = __libc_malloc(n);
    blocks.add(p, n);
    return p;
}
void free(void* p) {
    blocks.remove(p);
    __libc_free(p);
}
void* calloc(std::size_t count, std::size_t size) {
    void* p = __libc_calloc(count, size);
    blocks.add(p, count * size);
    return p;
}
void* realloc(void* old, std::size_t n) {
    std::size_t was = blocks.remove(old);
    void* p = __libc_realloc(old, n);
    if (p)
        blocks.add(p, n);
    else
        blocks.add(old, was); // failed: the old block is still there
    return p;
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
    void* p = __libc_memalign(alignment, n);
    blocks.add(p, n);
    return p;
}
void* memalign(std::size_t alignment, std::size_t n) {
    return aligned_alloc(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    *out = aligned_alloc(alignment, n);
    return *out ? 0 : ENOMEM;
}
}

namespace {

// A client that reads the greeting, sends EHLO, reads the whole reply and stays connected.
int idle_client(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        std::perror("connect");
        std::exit(1);
    }
    std::string got;
    auto read_until = [&](std::string_view end) {
        char buffer[4096];
        while (got.find(end) == std::string::npos) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) {
                std::perror("read");
                std::exit(1);
            }
            got.append(buffer, std::size_t(n));
        }
    };
    read_until("\r\n");
    got.clear();
    std::string_view ehlo = "EHLO client.test\r\n";
    if (::write(fd, ehlo.data(), ehlo.size()) != ssize_t(ehlo.size())) std::exit(1);
    read_until("250 ");
    read_until("\r\n");
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    const int connections = argc > 1 ? std::atoi(argv[1]) : 2000;
    boost::asio::io_context io(1);
    smtp::server<smtp::handlers::sink> server{{}, {.hostname = "mx.test"}};
    auto endpoint =
        server.listen(io.get_executor(), {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::thread serving([&] { io.run(); });

    for (int i = 0; i < 50; ++i)
        ::close(idle_client(endpoint.port())); // warm the caches
    ::usleep(200'000);
    auto before = blocks.by_size();
    std::vector<int> clients;
    for (int i = 0; i < connections; ++i)
        clients.push_back(idle_client(endpoint.port()));
    ::usleep(300'000); // the last sessions reach their wait
    auto after = blocks.by_size();

    std::printf("Heap blocks per idle connection, %d connections\n\n", connections);
    std::printf(
        "| block size | blocks per connection | bytes per connection |\n|---:|---:|---:|\n");
    double total = 0;
    for (const auto& [size, count] : after) {
        auto it = before.find(size);
        double per = double(count - (it == before.end() ? 0 : it->second)) / connections;
        if (per < 0.02 && per > -0.02) continue; // noise: blocks of no one connection
        std::printf("| %zu | %.2f | %.0f |\n", size, per, per * double(size));
        total += per * double(size);
    }
    std::printf("| total | | %.0f |\n", total);

    for (int fd : clients)
        ::close(fd);
    server.close();
    io.stop();
    serving.join();
}
