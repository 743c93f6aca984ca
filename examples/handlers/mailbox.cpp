// handlers::mailbox: every message written to a Maildir (aiosmtpd's Mailbox), crash-safely:
// tmp/, fsync, rename into new/, fsync, and only then 250 OK. The file work runs on the
// handler's own threads.
//
//   handler_mailbox MAILDIR [PORT]
#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: handler_mailbox MAILDIR [PORT]\n";
        return 2;
    }
    std::uint16_t port = argc > 2 ? std::uint16_t(std::stoi(argv[2])) : 8025;
    // [handler-mailbox]
    // Creates MAILDIR with tmp/, new/ and cur/ when missing. mailbox_options: writer threads,
    // and whether to keep CRLF line breaks (LF by default, as Maildir readers expect).
    smtp::handlers::mailbox inbox{argv[1], {.threads = 2}};
    smtp::controller<smtp::server<smtp::handlers::mailbox>> server{
        std::move(inbox), {.hostname = "mx.example"}, {.port = port}};
    // [handler-mailbox]
    server.start();
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
