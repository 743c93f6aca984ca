#ifndef SMTP_HANDLERS_MESSAGE_HPP
#define SMTP_HANDLERS_MESSAGE_HPP

#include <smtp/envelope.hpp>
#include <smtp/parsed_message.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace smtp {
class connection;
}

namespace smtp::handlers {

namespace detail {

/// The class a CRTP mixin calls back into: `Derived`, or `Self` when `Derived` is void (a
/// built-in handler used as it is).
template <class Derived, class Self>
using most_derived = std::conditional_t<std::is_void_v<Derived>, Self, Derived>;

/// aiosmtpd's `Message.prepare_message`: the content parsed, then `X-Peer`, `X-MailFrom` and
/// `X-RcptTo: <rcpt_tos>` appended (existing fields of those names are kept), and
/// `X-Queue-ID: <envelope.message_id>` when the server assigns IDs (`assign_ids`).
template <class Message, class Content>
Message prepare_message(const session& s, const envelope<Content>& env, std::string_view rcpt_tos) {
    using traits = message_traits<Message>;
    Message m = traits::parse(env.original_content);
    traits::add_header(m, "X-Peer", s.peer.python_repr());
    traits::add_header(m, "X-MailFrom", env.mail_from);
    traits::add_header(m, "X-RcptTo", rcpt_tos);
    // With IDs on (smtpd --log-format), the stored message names itself as the logs do.
    if (!env.message_id.empty()) traits::add_header(m, "X-Queue-ID", env.message_id);
    return m;
}

template <class Derived, class Message>
concept has_handle_message = requires(Derived& d, Message& m) {
    d.handle_message(m);
};

/// What `message` and `async_message` share: the check of `Message`, `prepare_message`, and the
/// call of a plain (not a coroutine) `handle_message`.
template <class Derived, class Message>
class message_base {
    static_assert(message_like<Message>,
                  "smtp::handlers::message / async_message: Message needs static Message "
                  "parse(std::string_view) and add_header(std::string_view, std::string_view), "
                  "or a specialization of smtp::message_traits<Message>");

public:
    /// The type messages are parsed into.
    using message_type = Message;

    /// The message a DATA transaction makes (see `message`).
    template <class Content>
    Message prepare_message(const session& s, const envelope<Content>& env) {
        std::string rcpt_tos;
        for (const auto& r : env.rcpt_tos)
            rcpt_tos.append(rcpt_tos.empty() ? "" : ", ").append(r);
        return detail::prepare_message<Message>(s, env, rcpt_tos);
    }

protected:
    Derived& derived() noexcept { return static_cast<Derived&>(*this); }

    /// handle_message returning void (`250 OK`) or a reply.
    reply handle_plainly(Message& m) {
        if constexpr (std::is_void_v<decltype(derived().handle_message(m))>) {
            derived().handle_message(m);
            return reply::ok();
        } else {
            return derived().handle_message(m);
        }
    }
};

} // namespace detail

/// aiosmtpd's `Message` handler, as a CRTP base: each message is parsed into a `Message` by
/// `prepare_message` and handed to the derived class's synchronous `handle_message`.
///
/// \code
/// struct printer : smtp::handlers::message<printer> {
///     void handle_message(smtp::parsed_message& m) { std::cout << m.get("Subject").value_or(""); }
/// };
/// smtp::server<printer> server;
/// \endcode
///
/// - `handle_message(Message&)` (or `const Message&`, or by value) returns `void` (the client
///   gets `250 OK`) or an `smtp::reply` to send instead. It runs on the connection's thread, so
///   it must not block for long: use `async_message` for slow work. What it throws goes to the
///   server's exception handling, as from any hook.
/// - `prepare_message(session, envelope)` parses `envelope.original_content` and appends
///   `X-Peer: <repr of session.peer>`, `X-MailFrom: <mail_from>` and
///   `X-RcptTo: <rcpt_tos joined by ", ">`, exactly as aiosmtpd does. Define it in the derived
///   class to change that (call `message::prepare_message` inside it to extend it).
/// - `Message` (`message_type`) is `smtp::parsed_message` unless another type is named; any type
///   `message_traits` can parse and extend works (message.hpp).
///
/// The calls into the derived class are static: no virtual function, no indirection.
template <class Derived, class Message = smtp::parsed_message>
class message : public detail::message_base<Derived, Message> {
public:
    /// The hook: prepare_message, then handle_message.
    template <class Content>
    reply handle_DATA(connection&, session& s, envelope<Content>& env) {
        Message m = this->derived().prepare_message(s, env);
        static_assert(detail::has_handle_message<Derived, Message>,
                      "smtp::handlers::message<Derived>: Derived must define "
                      "void handle_message(Message&) (or return smtp::reply)");
        using result = decltype(this->derived().handle_message(m));
        static_assert(std::is_void_v<result> || std::is_convertible_v<result, reply>,
                      "smtp::handlers::message: handle_message must return void or "
                      "smtp::reply; a coroutine handle_message needs async_message");
        return this->handle_plainly(m);
    }
};

} // namespace smtp::handlers

#endif
