// The yardstick of benchmarks/compile_time.sh: a bare Boost.Asio + OpenSSL coroutine server of the
// same shape as the library's smallest server (an acceptor, a session per connection on an
// optional ssl::stream, read_until with a limit, a timer for the idle timeout, co_spawn, a
// thread that runs the io_context), written without the library. It does just enough SMTP to be
// a real program: greeting, one reply per line, QUIT.
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

template <class Stream>
asio::awaitable<void> serve(Stream& stream, asio::steady_timer& idle) {
    std::string buffer;
    co_await asio::async_write(stream, asio::buffer(std::string_view{"220 bare ESMTP\r\n"}),
                               asio::use_awaitable);
    for (;;) {
        idle.expires_after(300s);
        std::size_t n = co_await asio::async_read_until(stream, asio::dynamic_buffer(buffer, 1024),
                                                        "\r\n", asio::use_awaitable);
        std::string line = buffer.substr(0, n - 2);
        buffer.erase(0, n);
        bool quit = line == "QUIT";
        std::string_view reply = quit ? "221 Bye\r\n" : "250 OK\r\n";
        co_await asio::async_write(stream, asio::buffer(reply), asio::use_awaitable);
        if (quit) co_return;
    }
}

asio::awaitable<void> session(tcp::socket socket, asio::ssl::context* tls) {
    asio::steady_timer idle{socket.get_executor()};
    idle.expires_after(300s);
    idle.async_wait([&socket](boost::system::error_code ec) {
        if (!ec) socket.close();
    });
    try {
        if (tls) {
            asio::ssl::stream<tcp::socket&> stream{socket, *tls};
            co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
            co_await serve(stream, idle);
            co_await stream.async_shutdown(asio::use_awaitable);
        } else {
            co_await serve(socket, idle);
        }
    } catch (const boost::system::system_error&) {
    }
    idle.cancel();
}

asio::awaitable<void> listen(tcp::acceptor& acceptor, asio::ssl::context* tls) {
    for (;;) {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), session(std::move(socket), tls), asio::detached);
    }
}

} // namespace

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? std::uint16_t(std::stoi(argv[1])) : 8025;
    asio::io_context io;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    bool use_tls = argc > 3;
    if (use_tls) {
        tls.use_certificate_chain_file(argv[2]);
        tls.use_private_key_file(argv[3], asio::ssl::context::pem);
    }
    tcp::acceptor acceptor{io, {asio::ip::make_address("127.0.0.1"), port}};
    asio::co_spawn(io, listen(acceptor, use_tls ? &tls : nullptr), asio::detached);
    std::thread runner{[&io] { io.run(); }};
    std::cout << "listening on 127.0.0.1:" << acceptor.local_endpoint().port() << ", Enter stops"
              << std::endl;
    std::cin.get();
    io.stop();
    runner.join();
}
