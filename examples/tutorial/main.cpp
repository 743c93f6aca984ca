// The server docs/tutorial.md builds: mail for the users of two domains, each user's in their
// own Maildir with a Received line, STARTTLS and AUTH required, messages up to 1 MiB.
//
//   tutorial FOLDER CERT KEY [PORT]
//
// Try it: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1
// -subj /CN=localhost -keyout key.pem -out cert.pem; ./tutorial mail cert.pem key.pem
// [tutorial-includes]
#include <smtp/smtp.hpp>

#include <openssl/crypto.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
// [tutorial-includes]

// [tutorial-users]
// The users: a login, a password and the address mail reaches them at, in two domains. (A
// real server keeps password hashes, in a file or a database: see smtpd's --auth-file.)
struct user {
    std::string_view login, password, address;
};
constexpr user users[] = {
    {"alice", "wonderland", "alice@example.com"},
    {"bob", "builder", "bob@example.com"},
    {"carol", "tortoise", "carol@example.org"},
};
// [tutorial-users]

// [tutorial-handler]
// recipient_mailbox stores a copy of each message per recipient, each in its own Maildir
// (written and fsynced before the client hears 250 OK); this class says where, and adds what
// is particular to this server.
struct two_domains : smtp::handlers::basic_recipient_mailbox<two_domains> {
    // Its constructor, which takes the folder all the Maildirs go in.
    using basic_recipient_mailbox::basic_recipient_mailbox;

    // Each user's Maildir: <folder>/<domain>/<login>. Any other address has none, and is
    // refused at RCPT (550 5.1.1): this server relays nothing.
    std::optional<std::filesystem::path> maildir_for(std::string_view address) const {
        for (const user& u : users)
            if (address == u.address)
                return root() / u.address.substr(u.address.find('@') + 1) / u.login;
        return std::nullopt;
    }

    // The copy a recipient gets: the built-in one (Delivered-To, X-Peer, X-MailFrom, X-RcptTo),
    // with a Received trace line first, as every mail server adds (RFC 5321 §4.4).
    template <class Content>
    smtp::parsed_message prepare_message(const smtp::session& session,
                                         const smtp::envelope<Content>& envelope,
                                         std::string_view recipient) {
        smtp::parsed_message m =
            basic_recipient_mailbox::prepare_message(session, envelope, recipient);
        m.prepend_header("Received", "from " + session.host_name + " ([" + session.peer.host +
                                         "])\r\n\tby mx.example.com with ESMTPSA (" +
                                         (session.ssl ? session.ssl->version : "plain") +
                                         ")\r\n\tfor <" + std::string(recipient) + ">");
        return m;
    }
    // [tutorial-handler]

    // [tutorial-authenticate]
    // PLAIN and LOGIN collect a login and password; this says whether they are good. It is a
    // coroutine, as it would be when asking a database: other clients are served meanwhile.
    boost::asio::awaitable<smtp::auth_result>
    authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                 std::string_view /*mechanism*/, const smtp::login_password& credentials) {
        for (const user& u : users)
            if (credentials.login == u.login && credentials.password.size() == u.password.size() &&
                CRYPTO_memcmp(credentials.password.data(), u.password.data(),
                              u.password.size()) == 0) // constant time: no timing hints
                co_return smtp::auth_result::accept();
        co_return smtp::auth_result::reject(); // 535 5.7.8 Authentication credentials invalid
    }
    // [tutorial-authenticate]
};

int main(int argc, char** argv) {
    if (argc < 4) {
        std::cerr << "usage: tutorial FOLDER CERT KEY [PORT]\n";
        return 2;
    }
    // [tutorial-main]
    smtp::options options{
        .hostname = "mx.example.com",
        .data_size_limit = 1024 * 1024, // 552 for anything bigger (advertised as SIZE)
        .tls = smtp::tls_context::from_files(argv[2], argv[3]), // offers STARTTLS
        .require_starttls = true, // nothing but EHLO, NOOP, STARTTLS and QUIT before TLS
        .auth_required = true,    // MAIL, RCPT, DATA need AUTH first (AUTH itself needs TLS)
    };
    std::uint16_t port = argc > 4 ? std::uint16_t(std::stoi(argv[4])) : 8025;
    smtp::controller<smtp::server<two_domains>> server{
        two_domains{argv[1]}, options, {.host = "127.0.0.1", .port = port}};
    server.start(); // returns once clients can connect
    std::cout << "listening on 127.0.0.1:" << server.port() << ", Enter stops" << std::endl;
    std::cin.get();
    // [tutorial-main]
}
