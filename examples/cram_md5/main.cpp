// A server offering CRAM-MD5 beside the built-in PLAIN and LOGIN, for user alice / secret.
//
//   cram_md5 [PORT]
//
// Try it: python3 -c "import smtplib; s = smtplib.SMTP('127.0.0.1', 8025); s.login('alice',
// 'secret')"
#include "cram_md5.hpp"

#include <smtp/smtp.hpp>

#include <cstdint>
#include <iostream>
#include <string>

// [cram-md5-handler]
struct accounts : smtp::handlers::debugging {
    using auth_mechanisms = smtp::auth::mechanisms<example::cram_md5>;

    std::optional<std::string> cram_md5_secret(std::string_view user) {
        if (user == "alice") return "secret";
        return std::nullopt;
    }
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& lp) {
        return lp.login == "alice" && lp.password == "secret" ? smtp::auth_result::accept()
                                                              : smtp::auth_result::reject();
    }
};
// [cram-md5-handler]

int main(int argc, char** argv) {
    std::uint16_t port = argc > 1 ? std::uint16_t(std::stoi(argv[1])) : 8025;
    // Plaintext AUTH only for the demonstration: real servers keep auth_require_tls.
    smtp::controller<smtp::server<accounts>> server{
        {},
        {.hostname = "mx.example.com", .auth_required = true, .auth_require_tls = false},
        {"127.0.0.1", port}};
    server.start();
    std::cout << "CRAM-MD5, PLAIN and LOGIN on 127.0.0.1:" << server.port() << "; Enter stops"
              << std::endl;
    std::cin.get();
}
