#ifndef SMTP_HANDLERS_CHAIN_HPP
#define SMTP_HANDLERS_CHAIN_HPP

#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

namespace smtp {
class connection;
}

namespace smtp::handlers {

namespace detail {

// A member of a chain that declares handle_DATA must be callable: a wrong signature is an
// error, not a handler silently left out of the chain.
template <class H, class Content>
consteval bool check_chain_member() {
    static_assert(!smtp::detail::declares_handle_DATA<H> || has_handle_DATA<H, Content>,
                  "smtp::handlers::chain: a member declares handle_DATA but it cannot be called "
                  "as smtp::reply handle_DATA(smtp::connection&, smtp::session&, "
                  "smtp::envelope<C>&) (or returning boost::asio::awaitable<smtp::reply>)");
    return true;
}

template <class H, class Content>
inline constexpr bool async_data_hook = [] {
    if constexpr (has_handle_DATA<H, Content>)
        return smtp::detail::is_awaitable_v<decltype(std::declval<H&>().handle_DATA(
            std::declval<connection&>(), std::declval<session&>(),
            std::declval<envelope<Content>&>()))>;
    else
        return false;
}();

} // namespace detail

/// Several handlers run on each message, in order, fixed at compile time: each one's
/// `handle_DATA` sees the DATA (handlers without one count as `250 OK`), and the first reply
/// that is not 2xx ends the chain and goes to the client; when all succeed, the client gets
/// the last handler's reply. An exception from a member ends the chain too, and is handled as
/// the server handles any hook's exception.
///
/// \code
/// using logged_inbox = smtp::handlers::chain<smtp::handlers::debugging, smtp::handlers::mailbox>;
/// smtp::server<logged_inbox> server{logged_inbox{{}, smtp::handlers::mailbox{"/var/mail/in"}}};
/// \endcode
///
/// The members are held by value and called directly (no virtual function, no pointer to a
/// function); `handle_DATA` is a coroutine only when a member's is. Only handle_DATA is
/// chained: other hooks go in a handler that derives from the chain.
template <class... Handlers>
class chain {
    template <class Content>
    static constexpr bool any_async = (detail::async_data_hook<Handlers, Content> || ...);
    template <class Content>
    using data_reply = std::conditional_t<any_async<Content>, boost::asio::awaitable<reply>, reply>;

public:
    chain() = default;
    /// The members, in order.
    explicit chain(Handlers... handlers) : handlers_(std::move(handlers)...) {}

    /// The I-th member.
    template <std::size_t I>
    auto& get() noexcept {
        return std::get<I>(handlers_);
    }
    template <std::size_t I>
    /// The I-th member (const).
    const auto& get() const noexcept {
        return std::get<I>(handlers_);
    }

    /// The hook: a plain function returning `smtp::reply` when every member's handle_DATA is
    /// one, else a coroutine returning `boost::asio::awaitable<smtp::reply>`.
    template <class Content>
    data_reply<Content> handle_DATA(connection& conn, session& s, envelope<Content>& env) {
        static_assert((detail::check_chain_member<Handlers, Content>() && ...));
        if constexpr (any_async<Content>) {
            return run_async(conn, s, env);
        } else {
            reply last = reply::ok();
            std::apply(
                [&](auto&... h) {
                    // Left to right, stopping at the first failure (&& short-circuits).
                    (void)(run_one(h, conn, s, env, last) && ...);
                },
                handlers_);
            return last;
        }
    }

private:
    template <class H, class Content>
    static bool run_one(H& h, connection& conn, session& s, envelope<Content>& env, reply& last) {
        if constexpr (has_handle_DATA<H, Content>)
            last = h.handle_DATA(conn, s, env);
        else
            last = reply::ok();
        return last.positive();
    }

    template <class Content>
    boost::asio::awaitable<reply> run_async(connection& conn, session& s, envelope<Content>& env) {
        reply last = reply::ok();
        co_await run_from<0>(conn, s, env, last);
        co_return last;
    }

    template <std::size_t I, class Content>
    boost::asio::awaitable<void> run_from(connection& conn, session& s, envelope<Content>& env,
                                          reply& last) {
        if constexpr (I < sizeof...(Handlers)) {
            auto& h = std::get<I>(handlers_);
            using H = std::remove_reference_t<decltype(h)>;
            if constexpr (detail::async_data_hook<H, Content>)
                last = co_await h.handle_DATA(conn, s, env);
            else
                run_one(h, conn, s, env, last);
            if (!last.positive()) co_return;
            co_await run_from<I + 1>(conn, s, env, last);
        }
    }

    std::tuple<Handlers...> handlers_;
};

} // namespace smtp::handlers

#endif
