// The server docs/tutorial.md builds: mail for example.com only, stored in a Maildir, with
// STARTTLS and AUTH (user alice, password wonderland).
//
//   tutorial MAILDIR CERT KEY [PORT]
//
// Try it: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1
// -subj /CN=localhost -keyout key.pem -out cert.pem; ./tutorial Maildir cert.pem key.pem
// [tutorial-includes]
#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>
// [tutorial-includes]

// [tutorial-handler]
// mailbox stores every message in a Maildir (fsynced before the client hears 250 OK); this
// class adds what is particular to this server.
struct example_com : smtp::handlers::mailbox {
    // Its constructor, which takes the Maildir's path (mailbox is basic_mailbox<>).
    using basic_mailbox::basic_mailbox;

    // Mail for example.com only: anything else is relaying, refused.
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& envelope,
                            std::string_view address, std::span<const std::string> options) {
        if (!address.ends_with("@example.com")) return {550, "5.7.1 Relaying denied"};
        envelope.add_recipient(address, options); // what the default RCPT does
        return smtp::reply::ok();
    }
    // [tutorial-handler]

    // [tutorial-authenticate]
    // PLAIN and LOGIN collect a login and password; this says whether they are good.
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view /*mechanism*/,
                                   const smtp::login_password& credentials) {
        if (credentials.login == "alice" && credentials.password == "wonderland")
            return smtp::auth_result::accept();
        return smtp::auth_result::reject(); // 535 5.7.8 Authentication credentials invalid
    }
    // [tutorial-authenticate]
};

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: tutorial MAILDIR CERT KEY [PORT]\n";
        return 2;
    }
    // [tutorial-main]
    smtp::options options{
        .hostname = "mx.example.com",
        .tls = smtp::tls_context::from_files(argv[2], argv[3]), // offers STARTTLS
        .require_starttls = true, // nothing but EHLO, NOOP, STARTTLS and QUIT before TLS
        .auth_required = true,    // MAIL, RCPT, DATA need AUTH first (AUTH itself needs TLS)
    };
    std::uint16_t port = argc > 4 ? std::uint16_t(std::stoi(argv[4])) : 8025;
    smtp::controller<smtp::server<example_com>> server{
        example_com{argv[1]}, options, {.host = "127.0.0.1", .port = port}};
    server.start(); // returns once clients can connect
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
    // [tutorial-main]
}
