// handlers::message: each message parsed into an smtp::parsed_message (with X-Peer, X-MailFrom and
// X-RcptTo added, as aiosmtpd's Message handler does) and handed to handle_message.
//
//   handler_message [PORT]
#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>

// [handler-message]
// CRTP: message<subjects> calls subjects::handle_message directly, no virtual function.
struct subjects : smtp::handlers::message<subjects> {
    // Runs on the connection's thread: keep it short (slow work belongs in async_message).
    smtp::reply handle_message(const smtp::parsed_message& m) {
        auto subject = m.get("Subject");
        if (!subject) return {550, "5.6.0 A subject, please"};
        std::cout << "Subject: " << *subject << " (for " << m.get("X-RcptTo").value_or("") << ")"
                  << std::endl;
        return smtp::reply::ok();
    }
};
// [handler-message]

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? std::uint16_t(std::stoi(argv[1])) : 8025;
    smtp::controller<smtp::server<subjects>> server{{}, {.hostname = "mx.example"}, {.port = port}};
    server.start();
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
