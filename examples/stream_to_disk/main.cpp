// Streaming DATA: each message goes straight to a file as it arrives, so the server's memory does
// not grow with the size of the message (benchmarks/stream_memory.py sends 200 MiB through it).
//
//   stream_to_disk DIR [PORT] [--whole]
//
// Messages are written to DIR/tmp/N while they arrive and renamed to DIR/new/N.eml once complete
// and synced; the 250 reply comes only after that. --whole uses handle_DATA on the gathered
// message instead, for comparison. Listens on 127.0.0.1:PORT (default 8025) with CHUNKING, so
// BDAT messages are streamed too, until SIGINT or SIGTERM.
#include <smtp/smtp.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

namespace {

// Writes all of `bytes` to `fd`; false on an error.
bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) return false;
        bytes.remove_prefix(std::size_t(n));
    }
    return true;
}

// What the streaming and the whole-message writers share: files in tmp/, renamed into new/.
struct maildir_files {
    std::filesystem::path dir;
    unsigned long next = 0;

    std::filesystem::path temporary(unsigned long n) const {
        return dir / "tmp" / std::to_string(n);
    }
    // Syncs and closes `fd`, then moves the file into new/; the reply for the client.
    smtp::reply publish(int fd, unsigned long n) const {
        bool ok = ::fsync(fd) == 0;
        ok = ::close(fd) == 0 && ok;
        std::error_code error;
        if (ok)
            std::filesystem::rename(temporary(n), dir / "new" / (std::to_string(n) + ".eml"),
                                    error);
        if (!ok || error) {
            std::filesystem::remove(temporary(n), error);
            return {451, "4.3.0 Cannot store the message"};
        }
        return {250, "2.0.0 Stored as " + std::to_string(n) + ".eml"};
    }
};

// [stream-handler]
// The message under way in each session. The server runs on one thread here, so no lock.
struct open_file {
    int fd = -1;
    unsigned long number = 0;
};

struct streaming_writer : maildir_files {
    std::unordered_map<const smtp::session*, open_file> open;

    // Each piece of the body as it arrives: append it to this session's file.
    smtp::reply handle_DATA_chunk(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                                  std::string_view bytes) {
        open_file& file = file_for(s);
        if (file.fd < 0 || !write_all(file.fd, bytes))
            return {451, "4.3.0 Cannot write the message"}; // the rest is read and dropped
        return {};                                          // go on
    }

    // The body is complete: make it durable, then say 250.
    smtp::reply handle_DATA(smtp::connection&, smtp::session& s, smtp::envelope<>&) {
        open_file file = file_for(s); // an empty message had no chunk
        open.erase(&s);
        if (file.fd < 0) return {451, "4.3.0 Cannot write the message"};
        return publish(file.fd, file.number);
    }

    // The message will not complete (client gone, too big, RSET during BDAT...): drop the file.
    void handle_DATA_abort(smtp::connection&, smtp::session& s, smtp::envelope<>&) {
        auto it = open.find(&s);
        if (it == open.end()) return;
        if (it->second.fd >= 0) ::close(it->second.fd);
        std::error_code ignored;
        std::filesystem::remove(temporary(it->second.number), ignored);
        open.erase(it);
    }

private:
    open_file& file_for(const smtp::session& s) {
        auto [it, created] = open.try_emplace(&s);
        if (created) {
            it->second.number = next++;
            it->second.fd = ::open(temporary(it->second.number).c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        }
        return it->second;
    }
};
// [stream-handler]

// For comparison: the same files, written from the whole message handle_DATA is given.
struct whole_writer : maildir_files {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>& env) {
        unsigned long n = next++;
        int fd = ::open(temporary(n).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || !write_all(fd, env.original_content)) {
            if (fd >= 0) ::close(fd);
            return {451, "4.3.0 Cannot write the message"};
        }
        return publish(fd, n);
    }
};

template <class Handler>
int serve(const std::filesystem::path& dir, unsigned short port) {
    boost::asio::io_context io;
    Handler handler;
    handler.dir = dir;
    smtp::server<Handler> server{std::move(handler),
                                 {.hostname = "stream.example.com",
                                  .data_size_limit = 0, // no limit: this example takes any size
                                  .pipelining = true,
                                  .chunking = true,
                                  .enhanced_status_codes = true}};
    auto bound =
        server.listen(io.get_executor(), {boost::asio::ip::make_address("127.0.0.1"), port});
    boost::asio::signal_set stop(io, SIGINT, SIGTERM);
    stop.async_wait([&](auto, int) { io.stop(); });
    std::printf("listening on 127.0.0.1:%u\n", unsigned(bound.port()));
    std::fflush(stdout);
    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: stream_to_disk DIR [PORT] [--whole]\n");
        return 2;
    }
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir / "tmp");
    std::filesystem::create_directories(dir / "new");
    unsigned short port = argc > 2 ? static_cast<unsigned short>(std::stoi(argv[2])) : 8025;
    bool whole = argc > 3 && std::string_view(argv[3]) == "--whole";
    return whole ? serve<whole_writer>(dir, port) : serve<streaming_writer>(dir, port);
}
