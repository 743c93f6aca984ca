// handlers::debugging: prints every message to stdout exactly as aiosmtpd's Debugging handler
// does, with the envelope's options and an X-Peer line.
//
//   handler_debugging [PORT]
#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? std::uint16_t(std::stoi(argv[1])) : 8025;
    // [handler-debugging]
    // debugging{std::cerr} would print to stderr; the stream must outlive the server.
    smtp::controller<smtp::server<smtp::handlers::debugging>> server{
        smtp::handlers::debugging{std::cout}, {.hostname = "debug.example"}, {.port = port}};
    // [handler-debugging]
    server.start();
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
