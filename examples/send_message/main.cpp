// Sends the message on stdin with smtp::client, and says what became of each recipient.
//
//   send_message [--starttls] [--insecure] [--user NAME] HOST PORT FROM TO...
//
// --starttls uses STARTTLS when the server offers it (the certificate is checked against the
// system's CAs and HOST, unless --insecure); --user logs in with the password in the
// SMTP_PASSWORD environment variable. Exit status: 0 when every recipient took the message, 1
// when some did not, 2 on usage errors, 3 when the session failed.
#include <smtp/client.hpp>
#include <smtp/client/sendmail.hpp>

#include <boost/asio/ssl/context.hpp>

#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

int main(int argc, char** argv) {
    smtp::sendmail_options options;
    boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
    bool insecure = false;
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--starttls")
            options.tls = &tls;
        else if (arg == "--insecure")
            insecure = true;
        else if (arg == "--user" && i + 1 < argc) {
            const char* password = std::getenv("SMTP_PASSWORD");
            options.credentials = smtp::login_password{argv[++i], password ? password : ""};
        } else
            positional.emplace_back(arg);
    }
    if (positional.size() < 4) {
        std::cerr
            << "usage: send_message [--starttls] [--insecure] [--user NAME] HOST PORT FROM TO...\n";
        return 2;
    }
    if (insecure)
        tls.set_verify_mode(boost::asio::ssl::verify_none);
    else {
        tls.set_default_verify_paths();
        tls.set_verify_mode(boost::asio::ssl::verify_peer);
    }
    std::string message{std::istreambuf_iterator<char>(std::cin), {}};
    std::vector<std::string> recipients(positional.begin() + 3, positional.end());
    try {
        auto result = smtp::sendmail(positional[0], std::uint16_t(std::stoi(positional[1])),
                                     positional[2], recipients, message, options);
        if (!result.mail.positive())
            std::cout << "sender refused: " << result.mail.code << ' ' << result.mail.text << '\n';
        for (const auto& r : result.recipients)
            std::cout << r.address << ": " << r.reply.code << ' ' << r.reply.text << '\n';
        if (!result.data.empty())
            std::cout << "message: " << result.data.code << ' ' << result.data.text << '\n';
        return result.sent() && result.refused().empty() ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "send_message: " << e.what() << '\n';
        return 3;
    }
}
