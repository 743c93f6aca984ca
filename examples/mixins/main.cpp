// Composing a handler from parts at compile time: a chain of built-in handlers for the message
// (print it, then store it), and small mixins, each adding one hook to whatever it derives
// from. The server sees one class and calls each hook directly.
//
//   mixins MAILDIR [PORT]
#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>

// [mixins-parts]
// Refuses recipients outside example.com.
template <class Base>
struct local_recipients : Base {
    using Base::Base;
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& envelope,
                            std::string_view address, std::span<const std::string> options) {
        if (!address.ends_with("@example.com")) return {550, "5.7.1 Relaying denied"};
        envelope.add_recipient(address, options);
        return smtp::reply::ok();
    }
};

// Answers VRFY for the one known user (aiosmtpd's default answers 252 to everything).
template <class Base>
struct verify_users : Base {
    using Base::Base;
    smtp::reply handle_VRFY(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view address) {
        if (address == "alice@example.com") return {250, "Alice <alice@example.com>"};
        return {550, "5.1.1 No such user here"};
    }
};

// Logs each command line to stderr. The trace hook sees the raw conversation; a handler
// without one pays nothing for it.
template <class Base>
struct command_log : Base {
    using Base::Base;
    void trace(const smtp::connection& conn, smtp::trace_event event, std::string_view bytes) {
        if (event == smtp::trace_event::command)
            std::clog << conn.session().peer.host << " > " << bytes << std::flush;
    }
};
// [mixins-parts]

// [mixins-compose]
// The message goes to debugging (prints it) and then to mailbox (stores it); the first reply
// that is not 2xx would stop the chain.
using print_and_store = smtp::handlers::chain<smtp::handlers::debugging, smtp::handlers::mailbox>;
using handler = command_log<verify_users<local_recipients<print_and_store>>>;
// [mixins-compose]

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: mixins MAILDIR [PORT]\n";
        return 2;
    }
    std::uint16_t port = argc > 2 ? std::uint16_t(std::stoi(argv[2])) : 8025;
    // [mixins-main]
    handler h{smtp::handlers::debugging{std::cout}, smtp::handlers::mailbox{argv[1]}};
    smtp::controller<smtp::server<handler>> server{
        std::move(h), {.hostname = "mx.example.com"}, {.port = port}};
    // [mixins-main]
    server.start();
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
}
