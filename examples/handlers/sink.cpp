// handlers::sink: accepts every message and throws it away (aiosmtpd's Sink). A handler with
// no hooks at all, so every command gets the default behaviour.
//
//   handler_sink [PORT]
#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? std::uint16_t(std::stoi(argv[1])) : 8025;
    // [handler-sink]
    smtp::controller<smtp::server<smtp::handlers::sink>> server{
        {}, {.hostname = "sink.example"}, {.port = port}};
    // [handler-sink]
    server.start();
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
