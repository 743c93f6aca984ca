#ifndef SMTP_CLIENT_SENDMAIL_HPP
#define SMTP_CLIENT_SENDMAIL_HPP

#include <smtp/auth.hpp>
#include <smtp/client.hpp>
#include <smtp/client/forwarding.hpp>
#include <smtp/detail/config.hpp>

#include <boost/asio/awaitable.hpp>

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
SMTP_DECL boost::asio::awaitable<send_result>
async_sendmail(std::string_view host, std::uint16_t port, std::string_view from,
               const std::vector<std::string>& recipients, std::string_view content,
               const sendmail_options& options = {});

/// `async_sendmail`, blocking the calling thread (it runs an io_context of its own): for
/// tests, scripts and simple programs.
SMTP_DECL send_result sendmail(std::string_view host, std::uint16_t port, std::string_view from,
                               const std::vector<std::string>& recipients, std::string_view content,
                               const sendmail_options& options = {});

} // namespace smtp

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/sendmail.ipp>
#endif

#endif
