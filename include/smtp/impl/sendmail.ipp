#ifndef SMTP_IMPL_SENDMAIL_IPP
#define SMTP_IMPL_SENDMAIL_IPP

// The definitions of smtp/client/sendmail.hpp's functions (SMTP_DECL): compiled once by
// <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/client/sendmail.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

namespace smtp {

SMTP_DECL boost::asio::awaitable<send_result>
async_sendmail(std::string_view host, std::uint16_t port, std::string_view from,
               const std::vector<std::string>& recipients, std::string_view content,
               const sendmail_options& options) {
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

SMTP_DECL send_result sendmail(std::string_view host, std::uint16_t port, std::string_view from,
                               const std::vector<std::string>& recipients, std::string_view content,
                               const sendmail_options& options) {
    boost::asio::io_context io(1);
    auto result =
        boost::asio::co_spawn(io, async_sendmail(host, port, from, recipients, content, options),
                              boost::asio::use_future);
    io.run();
    return result.get();
}

} // namespace smtp

#endif
