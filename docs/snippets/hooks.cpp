// docs/hooks.md: hooks of each kind. Compiled (not run) by the build, so the documentation's
// code cannot rot; the static_asserts check that the server finds every hook.
#include <smtp/server.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <stdexcept>

// [hooks-kinds]
struct kinds_of_hook {
    // A plain hook: returns the reply.
    smtp::reply handle_NOOP(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view) {
        return {250, "2.0.0 Still here"};
    }

    // A coroutine hook: may wait (here a timer stands in for a DNS or database lookup) while
    // the server goes on with other connections.
    boost::asio::awaitable<smtp::reply> handle_MAIL(smtp::connection&, smtp::session&,
                                                    smtp::envelope<>& envelope,
                                                    std::string_view address,
                                                    std::span<const std::string> options) {
        boost::asio::steady_timer lookup{co_await boost::asio::this_coro::executor,
                                         std::chrono::milliseconds(1)};
        co_await lookup.async_wait(boost::asio::use_awaitable);
        if (address.ends_with("@spam.example")) throw smtp::reply{550, "5.7.1 Go away"};
        envelope.set_sender(address, options); // what the default MAIL does
        co_return smtp::reply::ok();
    }

    // The 4-argument EHLO: the server has queued its own lines; add more with push() and
    // return the last one.
    smtp::reply handle_EHLO(smtp::connection& conn, smtp::session& session, smtp::envelope<>&,
                            std::string_view hostname) {
        session.host_name = hostname;
        conn.push("250-XCLIENT-HINT");
        return {250, "HELP"};
    }

    // What a hook threw (other than an smtp::reply) becomes this reply.
    smtp::reply handle_exception(const std::exception& error) {
        return {451, std::string("4.3.0 Temporary failure: ") + error.what()};
    }
};
// [hooks-kinds]

static_assert(smtp::has_handle_NOOP<kinds_of_hook, std::string_view>);
static_assert(smtp::has_handle_MAIL<kinds_of_hook, std::string_view>);
static_assert(smtp::has_handle_EHLO_push<kinds_of_hook, std::string_view>);
static_assert(smtp::has_handle_exception<kinds_of_hook>);
template class smtp::server<kinds_of_hook>; // every hook checked where the server is made
