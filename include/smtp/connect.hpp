#ifndef SMTP_CONNECT_HPP
#define SMTP_CONNECT_HPP

#include <smtp/hooks.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <type_traits>
#include <utility>

/// \file
/// Deciding about a connection before its greeting: `smtp::connect_decision` and the
/// `handle_CONNECT` hook (docs/policy.md).
namespace smtp {

class connection;

/// What a `handle_CONNECT` hook decides about a new connection, made with one of the factory
/// functions:
///
/// \code
/// return smtp::connect_decision::greet();                                  // 220 at once
/// return smtp::connect_decision::greet(std::chrono::seconds(6));          // the pre-greet test
/// return smtp::connect_decision::refuse("5.7.1 Listed at zen.example");  // 554, close
/// return smtp::connect_decision::defer();                                 // 421 4.3.2, close
/// return smtp::connect_decision::drop();                                  // close, say nothing
/// \endcode
class connect_decision {
public:
    /// The kinds of decision.
    enum class kind {
        greet,  ///< send the greeting, after `delay()`
        refuse, ///< answer `reply()` (a 554) and close (RFC 5321 §3.1)
        defer,  ///< answer `reply()` (a 421) and close: try again later
        drop    ///< close without a word
    };

    /// Greets the client (the default). With a `delay`, the server waits that long first; a
    /// client that sends anything meanwhile gets `554 5.5.1 Error: talking before the greeting`
    /// and is closed, as with `options::greeting_delay` (the longer of the two applies).
    static connect_decision greet(std::chrono::milliseconds delay = {}) {
        connect_decision d;
        d.delay_ = delay;
        return d;
    }
    /// Refuses the client for good: `554 <text>`, then the connection closes. `text` should
    /// start with an RFC 3463 code; lines may be separated by `\n`.
    static connect_decision refuse(std::string text = "5.7.1 Service refused") {
        return {kind::refuse, smtp::reply{554, std::move(text)}};
    }
    /// Turns the client away for now: `421 <text>`, then the connection closes.
    static connect_decision
    defer(std::string text = "4.3.2 Service not available, closing transmission channel") {
        return {kind::defer, smtp::reply{421, std::move(text)}};
    }
    /// Closes the connection without a reply.
    static connect_decision drop() { return {kind::drop, smtp::reply{}}; }

    /// A greeting, at once.
    connect_decision() = default;

    /// Which decision this is.
    kind what() const noexcept { return what_; }
    /// The wait before the greeting (`kind::greet` only).
    std::chrono::milliseconds delay() const noexcept { return delay_; }
    /// The reply of a refusal or deferral; empty otherwise.
    const smtp::reply& reply() const noexcept { return reply_; }
    /// True unless the client is greeted.
    bool closes() const noexcept { return what_ != kind::greet; }

private:
    connect_decision(kind k, smtp::reply r) : what_(k), reply_(std::move(r)) {}

    kind what_ = kind::greet;
    std::chrono::milliseconds delay_{0};
    smtp::reply reply_ = {};
};

/// `handle_CONNECT(smtp::connection&, smtp::session&) -> smtp::connect_decision`, plain or a
/// coroutine (`boost::asio::awaitable<smtp::connect_decision>`): called once per connection,
/// after the server's own connection limits and the PROXY header (so `session.peer` is the real
/// client and `session.local` the address it reached), before the greeting. A coroutine hook
/// (a DNSBL lookup, say) holds up only its own connection. A hook that throws `smtp::reply`
/// answers with it and closes; any other exception answers `421 4.3.2`.
template <class H>
concept has_handle_CONNECT = requires(H& h, connection& c, session& s) {
    { h.handle_CONNECT(c, s) } -> detail::returns<connect_decision>;
};

namespace detail {

// Whether a class declares handle_CONNECT at all, whatever its signature (see
// SMTP_DETAIL_NAME_PROBE in hooks.hpp: the same trick).
struct handle_CONNECT_fallback {
    void handle_CONNECT();
};
template <class T>
struct handle_CONNECT_probe : T, handle_CONNECT_fallback {};
template <class T>
concept declares_handle_CONNECT = std::is_class_v<T> &&
    ((!std::is_final_v<T> && !requires { &handle_CONNECT_probe<T>::handle_CONNECT; }) ||
     (std::is_final_v<T> && requires { &T::handle_CONNECT; }));

/// Fails to compile, with the signature expected, when H declares a handle_CONNECT the server
/// cannot call.
template <class H>
consteval bool check_connect_hook() {
    static_assert(!declares_handle_CONNECT<H> || has_handle_CONNECT<H>,
                  "handle_CONNECT is declared but cannot be called as "
                  "smtp::connect_decision handle_CONNECT(smtp::connection&, smtp::session&) (or "
                  "returning boost::asio::awaitable<smtp::connect_decision>). If two bases "
                  "define it, define it in the handler or add a using-declaration.");
    return true;
}

} // namespace detail
} // namespace smtp

#endif
