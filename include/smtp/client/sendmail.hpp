#ifndef SMTP_CLIENT_SENDMAIL_HPP
#define SMTP_CLIENT_SENDMAIL_HPP

#include <smtp/auth.hpp>
#include <smtp/client.hpp>
#include <smtp/client/forwarding.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// \file
/// One call for a whole client session: connect, greet, STARTTLS, AUTH, send, QUIT.
namespace smtp {

/// How `sendmail` and `async_sendmail` run the session.
struct sendmail_options {
    /// The name given in EHLO (or HELO).
    std::string helo_name = "localhost";
    /// When set, STARTTLS is used if the server offers it (a client context: its verify mode
    /// decides whether the certificate is checked). Must outlive the call.
    boost::asio::ssl::context* tls = nullptr;
    /// Fail (with `client_error`) when the server does not offer STARTTLS.
    bool require_tls = false;
    /// When set, AUTH (PLAIN, else LOGIN) after the greeting (and TLS).
    std::optional<login_password> credentials = std::nullopt;
    /// Timeouts and limits of the client.
    client_options client = {};
    /// When set, XCLIENT with these attributes if the server offers it, after AUTH (then EHLO
    /// again). Must outlive the call.
    const forwarded_client* xclient = nullptr;
    /// When set, XFORWARD with these attributes if the server offers it, before MAIL. Must
    /// outlive the call.
    const forwarded_client* xforward = nullptr;
};

/// Delivers one message to the server at `host`:`port` on the calling coroutine's executor:
/// connect, EHLO (HELO), STARTTLS when asked and offered, AUTH when asked, the transaction,
/// QUIT. Returns the transaction's result (refusals included); throws `client_error` when the
/// session cannot get as far as the transaction and `boost::system::system_error` on transport
/// failures and timeouts. Arguments must stay valid until it completes.
inline boost::asio::awaitable<send_result>
async_sendmail(std::string_view host, std::uint16_t port, std::string_view from,
               const std::vector<std::string>& recipients, std::string_view content,
               const sendmail_options& options = {}) {
    client c(co_await boost::asio::this_coro::executor, options.client);
    co_await c.connect(host, port);
    co_await c.ehlo(options.helo_name);
    bool tls = false;
    if (options.tls) tls = co_await c.starttls(*options.tls);
    if (options.require_tls && !tls)
        throw client_error("STARTTLS", {}, "the server does not offer STARTTLS");
    if (options.credentials)
        co_await c.login(options.credentials->login, options.credentials->password);
    if (options.xclient) co_await send_xclient(c, *options.xclient, options.helo_name);
    if (options.xforward) co_await send_xforward(c, *options.xforward);
    send_result result = co_await c.send(from, recipients, content);
    co_await c.quit();
    co_return result;
}

/// `async_sendmail`, blocking the calling thread (it runs an io_context of its own): for
/// tests, scripts and simple programs.
inline send_result sendmail(std::string_view host, std::uint16_t port, std::string_view from,
                            const std::vector<std::string>& recipients, std::string_view content,
                            const sendmail_options& options = {}) {
    boost::asio::io_context io(1);
    auto result =
        boost::asio::co_spawn(io, async_sendmail(host, port, from, recipients, content, options),
                              boost::asio::use_future);
    io.run();
    return result.get();
}

} // namespace smtp

#endif
