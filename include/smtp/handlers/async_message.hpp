#ifndef SMTP_HANDLERS_ASYNC_MESSAGE_HPP
#define SMTP_HANDLERS_ASYNC_MESSAGE_HPP

#include <smtp/envelope.hpp>
#include <smtp/handlers/message.hpp>
#include <smtp/hooks.hpp>
#include <smtp/parsed_message.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <type_traits>

namespace smtp::handlers {

/// aiosmtpd's `AsyncMessage` handler, as a CRTP base: the same as `message`, but the derived
/// class's `handle_message` is a coroutine, so it can wait (on a network, a disk thread, a
/// timer) without holding up other connections.
///
/// \code
/// struct forwarder : smtp::handlers::async_message<forwarder> {
///     boost::asio::awaitable<void> handle_message(smtp::parsed_message& m) {
///         co_await store(m); // the client gets 250 OK once this returns
///     }
/// };
/// \endcode
///
/// `handle_message(Message&)` returns `boost::asio::awaitable<void>` (`250 OK`) or
/// `boost::asio::awaitable<smtp::reply>`; a plain `void` or `smtp::reply` function is accepted
/// too. The message lives until handle_message has finished. `prepare_message` and `Message`
/// are as for `message`.
template <class Derived, class Message = smtp::parsed_message>
class async_message : public detail::message_base<Derived, Message> {
public:
    /// The hook: prepare_message, then handle_message, awaited.
    template <class Content>
    boost::asio::awaitable<reply> handle_DATA(connection&, session& s, envelope<Content>& env) {
        auto& self = this->derived();
        Message m = self.prepare_message(s, env);
        static_assert(detail::has_handle_message<Derived, Message>,
                      "smtp::handlers::async_message<Derived>: Derived must define "
                      "boost::asio::awaitable<void> handle_message(Message&) (or "
                      "awaitable<smtp::reply>)");
        using result = decltype(self.handle_message(m));
        if constexpr (std::is_same_v<result, boost::asio::awaitable<void>>) {
            co_await self.handle_message(m);
            co_return reply::ok();
        } else if constexpr (smtp::detail::is_awaitable_v<result>) {
            co_return co_await self.handle_message(m);
        } else {
            static_assert(std::is_void_v<result> || std::is_convertible_v<result, reply>,
                          "smtp::handlers::async_message: handle_message must return "
                          "awaitable<void>, awaitable<smtp::reply>, void or smtp::reply");
            co_return this->handle_plainly(m);
        }
    }
};

} // namespace smtp::handlers

#endif
