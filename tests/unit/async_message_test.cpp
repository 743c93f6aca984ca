#include <smtp/handlers/async_message.hpp>

#include "fake_connection.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

// handlers::async_message: the same as message, with a coroutine handle_message.

using smtp_test::hook_context;

namespace {

smtp::envelope<> async_envelope() {
    smtp::envelope<> env;
    env.mail_from = "anne@example.com";
    env.rcpt_tos = {"bart@example.com"};
    env.original_content = "Subject: A test\r\n\r\nTesting\r\n";
    env.content = env.original_content;
    return env;
}

// Waits on a timer before it takes the message: the hook really suspends.
struct waiter : smtp::handlers::async_message<waiter> {
    std::string subject;
    boost::asio::awaitable<void> handle_message(smtp::parsed_message& m) {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor,
                                    std::chrono::milliseconds(5));
        co_await t.async_wait(boost::asio::use_awaitable);
        subject = m.get("Subject").value_or("");
    }
};

struct answerer : smtp::handlers::async_message<answerer> {
    boost::asio::awaitable<smtp::reply> handle_message(const smtp::parsed_message& m) {
        co_return smtp::reply{250, "2.0.0 Queued " + m.get("X-RcptTo").value_or("")};
    }
};

struct plain : smtp::handlers::async_message<plain> {
    int calls = 0;
    void handle_message(smtp::parsed_message&) { ++calls; }
};

struct thrower : smtp::handlers::async_message<thrower> {
    boost::asio::awaitable<void> handle_message(smtp::parsed_message&) {
        throw std::runtime_error("queue full");
        co_return;
    }
};

struct renamer : smtp::handlers::async_message<renamer> {
    std::string seen;
    template <class Content>
    smtp::parsed_message prepare_message(const smtp::session&, const smtp::envelope<Content>& env) {
        auto m = smtp::parsed_message::parse(env.original_content);
        m.set_header("Subject", "renamed");
        return m;
    }
    boost::asio::awaitable<void> handle_message(smtp::parsed_message& m) {
        seen = m.to_string();
        co_return;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(async_message)

BOOST_AUTO_TEST_CASE(handle_DATA_awaits_handle_message_then_answers_250) {
    hook_context ctx;
    waiter w;
    auto env = async_envelope();
    BOOST_TEST(ctx.run(w.handle_DATA(ctx.conn, ctx.session, env)) == smtp::reply::ok());
    BOOST_TEST(w.subject == "A test");
}

BOOST_AUTO_TEST_CASE(handle_message_may_answer_with_a_reply) {
    hook_context ctx;
    answerer a;
    auto env = async_envelope();
    BOOST_TEST(ctx.run(a.handle_DATA(ctx.conn, ctx.session, env)) ==
               (smtp::reply{250, "2.0.0 Queued bart@example.com"}));
}

BOOST_AUTO_TEST_CASE(plain_handle_message_is_accepted) {
    hook_context ctx;
    plain p;
    auto env = async_envelope();
    BOOST_TEST(ctx.run(p.handle_DATA(ctx.conn, ctx.session, env)) == smtp::reply::ok());
    BOOST_TEST(p.calls == 1);
}

BOOST_AUTO_TEST_CASE(handle_message_exception_propagates) {
    hook_context ctx;
    thrower t;
    auto env = async_envelope();
    BOOST_CHECK_THROW(ctx.run(t.handle_DATA(ctx.conn, ctx.session, env)), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(derived_prepare_message_is_the_one_called) {
    hook_context ctx;
    renamer r;
    auto env = async_envelope();
    ctx.run(r.handle_DATA(ctx.conn, ctx.session, env));
    BOOST_TEST(r.seen == "Subject: renamed\r\n\r\nTesting\r\n");
}

BOOST_AUTO_TEST_CASE(hook_detection_sees_a_coroutine_handle_DATA) {
    static_assert(smtp::has_handle_DATA<waiter, std::string_view>);
    static_assert(smtp::detail::check_hooks<waiter, std::string_view>());
    static_assert(smtp::detail::is_awaitable_v<decltype(std::declval<waiter&>().handle_DATA(
                      std::declval<smtp::connection&>(), std::declval<smtp::session&>(),
                      std::declval<smtp::envelope<>&>()))>);
    BOOST_TEST(true);
}

BOOST_AUTO_TEST_SUITE_END()
