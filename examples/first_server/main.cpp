// The README's first server: accepts mail for example.com only and prints each message.
//
//   first_server [PORT]
// [first-server]
#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>

// [first-server-handler]
struct example_com : smtp::handlers::debugging {
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (!address.ends_with("@example.com")) return {550, "5.7.1 Relaying denied"};
        env.add_recipient(address, options);
        return smtp::reply::ok();
    }
};
// [first-server-handler]

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? std::uint16_t(std::stoi(argv[1])) : 8025;
    // [first-server-controller]
    smtp::controller<smtp::server<example_com>> mx{
        {}, {.hostname = "mx.example.com"}, {"127.0.0.1", port}};
    mx.start(); // returns once clients can connect
    // [first-server-controller]
    std::cout << "listening on 127.0.0.1:" << mx.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
// [first-server]
