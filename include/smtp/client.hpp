#ifndef SMTP_CLIENT_HPP
#define SMTP_CLIENT_HPP

#include <smtp/client/extensions.hpp>
#include <smtp/detail/config.hpp>
#include <smtp/reply.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

/// \file
/// `smtp::client`: an asynchronous SMTP client (RFC 5321) for C++20 coroutines, with EHLO and
/// HELO, STARTTLS (RFC 3207), AUTH PLAIN and LOGIN (RFC 4954), and per-recipient results.
/// `smtp/client/sendmail.hpp` has one-call forms of a whole session, blocking or not.
namespace smtp {

/// Settings of a client.
struct client_options {
    /// The longest any one step may take: resolving the name, connecting, the TLS handshake,
    /// and each write and each reply awaited. When it passes, the connection is closed and the
    /// operation throws `boost::system::system_error` with `boost::asio::error::timed_out`.
    std::chrono::milliseconds timeout = std::chrono::seconds(60);
    /// The longest reply accepted, in octets; a longer one is a protocol error.
    std::size_t max_reply_size = 64 * 1024;
};

/// The server answered a command with a refusal the operation cannot go on from (or broke the
/// protocol). Transport failures and timeouts are `boost::system::system_error` instead.
class client_error : public std::runtime_error {
public:
    /// `command` names what failed ("EHLO", "AUTH PLAIN", ...), `r` is the server's reply
    /// (empty for a protocol violation or a local condition, explained by `detail`).
    client_error(std::string command, reply r, std::string_view detail = {})
        : std::runtime_error(describe(command, r, detail)), command_(std::move(command)),
          reply_(std::move(r)) {}

    /// What failed.
    const std::string& command() const noexcept { return command_; }
    /// The server's reply; empty when the server did not refuse anything.
    const reply& server_reply() const noexcept { return reply_; }

private:
    static std::string describe(const std::string& command, const reply& r,
                                std::string_view detail) {
        std::string text = "smtp::client: " + command + " failed";
        if (!r.empty()) text += ": " + std::to_string(r.code) + " " + r.text;
        if (!detail.empty()) text.append(": ").append(detail);
        return text;
    }

    std::string command_;
    reply reply_;
};

/// What the server said about one recipient.
struct recipient_result {
    /// The recipient as given to `RCPT TO`.
    std::string address;
    /// The reply to `RCPT TO`.
    smtp::reply reply;

    /// The server accepted the recipient (2xx).
    bool accepted() const noexcept { return reply.positive(); }
};

/// The outcome of one mail transaction (`client::send`).
struct send_result {
    /// The reply to `MAIL FROM`. When it is a refusal, nothing else was sent.
    reply mail;
    /// The reply to each `RCPT TO`, in order (empty when MAIL was refused).
    std::vector<recipient_result> recipients;
    /// The server's last word on the message: its reply after the message was sent, or its
    /// refusal of `DATA`. Empty when DATA was not sent (MAIL refused, or every recipient).
    reply data;

    /// True when the server took the message (for the recipients it accepted).
    bool sent() const noexcept { return data.positive(); }
    /// The recipients the server refused.
    std::vector<recipient_result> refused() const {
        std::vector<recipient_result> out;
        for (const auto& r : recipients)
            if (!r.accepted()) out.push_back(r);
        return out;
    }
};

namespace detail {
struct client_state;
}

/// An asynchronous SMTP client; every operation is a coroutine returning a
/// `boost::asio::awaitable`.
///
/// \code
/// smtp::client c{co_await boost::asio::this_coro::executor};
/// co_await c.connect("mx.example.com", 25);
/// co_await c.ehlo("me.example.org");               // HELO when EHLO is refused
/// co_await c.starttls(tls_context);                // when offered; EHLOs again
/// co_await c.login("user", "secret");              // PLAIN, else LOGIN
/// std::vector<std::string> to{"you@example.com"};
/// auto result = co_await c.send("me@example.org", to, message);
/// for (const auto& r : result.refused()) std::cerr << r.address << ": " << r.reply.text;
/// co_await c.quit();
/// \endcode
///
/// Errors: a transport failure or a timeout (client_options::timeout, per step) throws
/// `boost::system::system_error` and closes the connection; a refusal that ends what an
/// operation was for throws `smtp::client_error` holding the reply. `send` reports refusals in
/// its result instead, since a transaction can succeed for some recipients only.
///
/// Lines are checked before they are sent: an argument holding CR or LF (an injected command)
/// throws `std::invalid_argument`. String arguments must stay valid until the operation
/// completes. One operation at a time; use the client from one thread (or a strand).
class client {
public:
    /// The executor the operations run on.
    using executor_type = boost::asio::any_io_executor;

    /// A client that is not connected yet; its operations run on `executor`.
    explicit client(executor_type executor, client_options options = {});
    /// Movable (not while an operation runs).
    client(client&&) noexcept = default;
    /// Move-assignable (not while an operation runs).
    client& operator=(client&&) noexcept = default;
    /// Closes the connection, if open (without QUIT).
    ~client();

    /// The executor given at construction.
    executor_type get_executor() const noexcept { return executor_; }

    /// Connects to `host` (a name or an IP address) on `port` and reads the greeting. Returns
    /// the greeting; throws `client_error` when it is not 220. A client that was connected is
    /// closed first. `host` is also the name TLS checks the certificate against and sends as
    /// SNI.
    boost::asio::awaitable<reply> connect(std::string_view host, std::uint16_t port);

    /// The same with TLS from the first byte (SMTPS, port 465).
    boost::asio::awaitable<reply> connect(std::string_view host, std::uint16_t port,
                                          boost::asio::ssl::context& tls);

    /// Greets the server with `EHLO name`, and with `HELO name` when EHLO gets a 5xx. Records
    /// the extensions announced (none after HELO). Returns the reply; throws `client_error`
    /// when the server refuses both.
    boost::asio::awaitable<reply> ehlo(std::string_view name);

    /// Starts TLS if the server announced STARTTLS: sends `STARTTLS`, performs the handshake
    /// with `tls` (a client context; when its verify mode asks for peer verification, the
    /// certificate must also match the host given to connect), then greets again with the
    /// name last given to ehlo. Returns false, doing nothing, when STARTTLS was not announced
    /// (or TLS is already on). Throws `client_error` when the server refuses it.
    boost::asio::awaitable<bool> starttls(boost::asio::ssl::context& tls);

    /// Authenticates with PLAIN if the server offers it, else LOGIN. Throws `client_error`
    /// when authentication fails or the server offers neither.
    boost::asio::awaitable<void> login(std::string_view user, std::string_view password);

    /// One mail transaction: `MAIL FROM:<from>`, `RCPT TO:<r>` for each recipient, `DATA` and
    /// the message. `from` may be empty or "<>" for the null sender. Adds `SIZE=` when the
    /// server announced SIZE, `BODY=8BITMIME` for 8-bit content and `SMTPUTF8` for non-ASCII
    /// addresses when announced, unless `parameters` (extra MAIL parameters, e.g. "RET=HDRS")
    /// give them. The message is sent with its line breaks as CRLF, leading dots doubled and
    /// a final CRLF added when missing. When MAIL, every RCPT or DATA is refused, the
    /// transaction is reset (RSET) so the client can go on. Refusals are in the result;
    /// transport failures throw.
    boost::asio::awaitable<send_result> send(std::string_view from,
                                             const std::vector<std::string>& recipients,
                                             std::string_view content,
                                             const std::vector<std::string>& parameters = {});

    /// Sends one command line (without CRLF), e.g. "NOOP" or "VRFY x", and returns the reply.
    boost::asio::awaitable<reply> command(std::string_view line);

    /// Sends QUIT, waits for the reply and closes. Never throws for transport failures (the
    /// server may have closed first): the reply is then empty.
    boost::asio::awaitable<reply> quit();

    /// Closes the connection at once.
    void close() noexcept;

    /// Whether connected.
    bool is_open() const noexcept;
    /// Whether TLS is on (after starttls, or a TLS connect).
    bool tls_active() const noexcept;
    /// Whether the server accepted EHLO (so extensions apply).
    bool extended() const noexcept { return extended_; }
    /// What the server announced in its last EHLO reply.
    const smtp::extensions& server_extensions() const noexcept { return extensions_; }
    /// The server's greeting.
    const reply& greeting() const noexcept { return greeting_; }

private:
    boost::asio::awaitable<void> open(std::string_view host, std::uint16_t port);
    boost::asio::awaitable<void> handshake(boost::asio::ssl::context& tls);
    boost::asio::awaitable<reply> read_greeting();
    boost::asio::awaitable<reply> exchange(std::string_view line);
    boost::asio::awaitable<void> write(std::string_view bytes);
    boost::asio::awaitable<reply> read_reply();
    boost::asio::awaitable<void> reset_transaction(int last_code);
    void arm();
    void disarm() noexcept;
    [[noreturn]] void fail(boost::system::error_code ec, const char* what);

    executor_type executor_;
    client_options options_;
    std::shared_ptr<detail::client_state> state_;
    std::string host_;
    std::string helo_name_;
    smtp::extensions extensions_;
    reply greeting_;
    bool extended_ = false;
};

} // namespace smtp

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/client.ipp>
#endif

#endif
