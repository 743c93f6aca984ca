// A complete mail server for one domain: STARTTLS on one port and implicit TLS on another,
// AUTH against an accounts file, delivery to a Maildir, and limits on everything a client can
// repeat. It runs on an io_context of its own and stops cleanly on SIGINT or SIGTERM.
//
//   full_server MAILDIR CERT KEY ACCOUNTS [PORT [SMTPS_PORT]]
//
// ACCOUNTS holds one `login:password` a line. (A real server would keep password hashes.)
#include <smtp/smtp.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>

#include <openssl/crypto.h>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

// [full-handler]
class mail_domain : public smtp::handlers::mailbox {
public:
    mail_domain(std::string maildir, std::string domain, std::map<std::string, std::string> users)
        : basic_mailbox(std::move(maildir)), domain_("@" + std::move(domain)),
          users_(std::move(users)) {}

    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& envelope,
                            std::string_view address, std::span<const std::string> options) {
        if (!address.ends_with(domain_)) return {550, "5.7.1 Relaying denied"};
        envelope.add_recipient(address, options);
        return smtp::reply::ok();
    }

    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& credentials) {
        auto user = users_.find(credentials.login);
        if (user == users_.end()) return smtp::auth_result::reject();
        const std::string& expected = user->second;
        // Compared in constant time, so the time taken says nothing about the password.
        bool good =
            expected.size() == credentials.password.size() &&
            CRYPTO_memcmp(expected.data(), credentials.password.data(), expected.size()) == 0;
        return good ? smtp::auth_result::accept() : smtp::auth_result::reject();
    }

private:
    std::string domain_;
    std::map<std::string, std::string> users_;
};
// [full-handler]

static std::map<std::string, std::string> read_accounts(const char* path) {
    std::map<std::string, std::string> users;
    std::ifstream file(path);
    for (std::string line; std::getline(file, line);)
        if (auto colon = line.find(':'); colon != std::string::npos)
            users[line.substr(0, colon)] = line.substr(colon + 1);
    return users;
}

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: full_server MAILDIR CERT KEY ACCOUNTS [PORT [SMTPS_PORT]]\n";
        return 2;
    }
    std::uint16_t port = argc > 5 ? std::uint16_t(std::stoi(argv[5])) : 8025;
    std::uint16_t smtps_port = argc > 6 ? std::uint16_t(std::stoi(argv[6])) : 8465;
    // [full-options]
    smtp::options options{
        .hostname = "mx.example.com",
        .timeout = std::chrono::minutes(5),
        .data_size_limit = 10 * 1024 * 1024, // advertised as SIZE
        // Per-connection budgets: three AUTH attempts, then 421 and goodbye.
        .command_call_limit =
            smtp::call_limits{.default_limit = 1000, .per_verb = {{"AUTH", 3}, {"NOOP", 10}}},
        .tls = smtp::tls_context::from_files(argv[2], argv[3]),
        .require_starttls = true,
        .auth_required = true,
        .max_connections = 200,
        .max_connections_per_client = 10,
        .max_recipients = 50,
        .max_messages_per_connection = 20,
        .greeting_delay = std::chrono::milliseconds(200), // clients that talk first are bots
    };
    // [full-options]
    // [full-serve]
    boost::asio::io_context io;
    smtp::server<mail_domain> server{mail_domain{argv[1], "example.com", read_accounts(argv[4])},
                                     options};
    auto loopback = boost::asio::ip::make_address("127.0.0.1");
    auto submission = server.listen(io.get_executor(), {loopback, port});
    auto smtps = server.listen(io.get_executor(), {loopback, smtps_port}, /*implicit_tls=*/true);
    std::cout << "listening on 127.0.0.1:" << submission.port()
              << " (STARTTLS) and 127.0.0.1:" << smtps.port() << " (TLS)" << std::endl;

    // SIGINT or SIGTERM: stop accepting, then stop the loop (ending the sessions).
    boost::asio::signal_set signals{io, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code&, int) {
        server.close();
        io.stop();
    });
    io.run();
    // [full-serve]
    std::cout << "stopped" << std::endl;
}
