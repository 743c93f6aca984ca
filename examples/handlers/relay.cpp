// handlers::relay: every message relayed to another SMTP server (aiosmtpd's Proxy), with an
// X-Peer header added. The reply says what the next server did (aiosmtpd always says 250).
//
//   handler_relay NEXT_HOST NEXT_PORT [PORT]
#include <smtp/smtp.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: handler_relay NEXT_HOST NEXT_PORT [PORT]\n";
        return 2;
    }
    std::uint16_t port = argc > 3 ? std::uint16_t(std::stoi(argv[3])) : 8025;
    // [handler-relay]
    // relay_options can add STARTTLS (a client TLS context), credentials for AUTH, the EHLO
    // name and the client's timeouts.
    smtp::handlers::relay relay{
        argv[1], std::uint16_t(std::stoi(argv[2])), {.helo_name = "relay.example"}};
    smtp::controller<smtp::server<smtp::handlers::relay>> server{
        std::move(relay), {.hostname = "relay.example"}, {.port = port}};
    // [handler-relay]
    server.start();
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
