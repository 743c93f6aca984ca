// handlers::async_message: as handlers::message, but handle_message is a coroutine, so it can
// wait (here on a timer standing in for a database or a network call) while other connections
// are served.
//
//   handler_async_message [PORT]
#include <smtp/smtp.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

// [handler-async-message]
struct slow_store : smtp::handlers::async_message<slow_store> {
    boost::asio::awaitable<void> handle_message(smtp::parsed_message& m) {
        // Waiting suspends this session only; the client gets 250 OK when this returns.
        boost::asio::steady_timer work{co_await boost::asio::this_coro::executor,
                                       std::chrono::milliseconds(50)};
        co_await work.async_wait(boost::asio::use_awaitable);
        std::cout << "stored message from " << m.get("X-MailFrom").value_or("?") << std::endl;
    }
};
// [handler-async-message]

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? std::uint16_t(std::stoi(argv[1])) : 8025;
    smtp::controller<smtp::server<slow_store>> server{
        {}, {.hostname = "mx.example"}, {.port = port}};
    server.start();
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
