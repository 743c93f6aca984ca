#include <smtp/handlers/chain.hpp>

#include "fake_connection.hpp"

#include <smtp/handlers/async_message.hpp>
#include <smtp/handlers/debugging.hpp>
#include <smtp/handlers/message.hpp>
#include <smtp/handlers/sink.hpp>

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

// handlers::chain: several handlers on one message, in order, the first failure winning.
// (tests/codegen checks that the calls compile to direct calls.)

using smtp_test::hook_context;

namespace {

using journal = std::vector<std::string>;

// Notes its name in a journal and answers `answer`.
struct chain_step {
    journal* log = nullptr;
    std::string name;
    smtp::reply answer = smtp::reply::ok();
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        log->push_back(name);
        return answer;
    }
};

struct async_step {
    journal* log = nullptr;
    std::string name;
    smtp::reply answer = smtp::reply::ok();
    boost::asio::awaitable<smtp::reply> handle_DATA(smtp::connection&, smtp::session&,
                                                    smtp::envelope<>&) {
        log->push_back(name);
        co_return answer;
    }
};

struct counter : smtp::handlers::message<counter> {
    journal* log = nullptr;
    void handle_message(smtp::parsed_message& m) { log->push_back(*m.get("Subject")); }
};

// Sees what an earlier member did to the envelope.
struct envelope_reader {
    journal* log = nullptr;
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>& env) {
        log->push_back(env.mail_from);
        return {250, "2.0.0 last word"};
    }
};

struct empty_a {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) { return {}; }
};
struct empty_b : empty_a {};

smtp::envelope<> chained_envelope() {
    smtp::envelope<> env;
    env.mail_from = "a@example.com";
    env.rcpt_tos = {"b@example.com"};
    env.original_content = "Subject: chained\r\n\r\nbody\r\n";
    env.content = env.original_content;
    return env;
}

} // namespace

BOOST_AUTO_TEST_SUITE(chain)

BOOST_AUTO_TEST_CASE(runs_every_member_in_order) {
    hook_context ctx;
    journal log;
    smtp::handlers::chain<chain_step, counter, envelope_reader> c{chain_step{&log, "first"},
                                                                  counter{}, envelope_reader{&log}};
    c.get<1>().log = &log;
    auto env = chained_envelope();
    BOOST_TEST(c.handle_DATA(ctx.conn, ctx.session, env) == (smtp::reply{250, "2.0.0 last word"}));
    BOOST_TEST(log == (journal{"first", "chained", "a@example.com"}));
}

BOOST_AUTO_TEST_CASE(first_failure_wins_and_stops_the_chain) {
    hook_context ctx;
    journal log;
    smtp::handlers::chain<chain_step, chain_step, chain_step> c{
        chain_step{&log, "one"}, chain_step{&log, "two", {451, "4.3.0 try later"}},
        chain_step{&log, "three", {554, "never seen"}}};
    auto env = chained_envelope();
    BOOST_TEST(c.handle_DATA(ctx.conn, ctx.session, env) == (smtp::reply{451, "4.3.0 try later"}));
    BOOST_TEST(log == (journal{"one", "two"}));
}

BOOST_AUTO_TEST_CASE(members_without_handle_DATA_count_as_ok) {
    hook_context ctx;
    journal log;
    smtp::handlers::chain<smtp::handlers::sink, chain_step> c{{}, chain_step{&log, "after sink"}};
    auto env = chained_envelope();
    BOOST_TEST(c.handle_DATA(ctx.conn, ctx.session, env) == smtp::reply::ok());
    BOOST_TEST(log == journal{"after sink"});
}

BOOST_AUTO_TEST_CASE(an_async_member_makes_the_hook_a_coroutine) {
    hook_context ctx;
    journal log;
    smtp::handlers::chain<chain_step, async_step, chain_step> c{
        chain_step{&log, "sync"}, async_step{&log, "async"}, chain_step{&log, "sync again"}};
    auto env = chained_envelope();
    using result = decltype(c.handle_DATA(ctx.conn, ctx.session, env));
    static_assert(std::is_same_v<result, boost::asio::awaitable<smtp::reply>>);
    BOOST_TEST(ctx.run(c.handle_DATA(ctx.conn, ctx.session, env)) == smtp::reply::ok());
    BOOST_TEST(log == (journal{"sync", "async", "sync again"}));
}

BOOST_AUTO_TEST_CASE(async_failure_stops_the_chain) {
    hook_context ctx;
    journal log;
    smtp::handlers::chain<async_step, chain_step> c{async_step{&log, "async", {550, "5.7.1 no"}},
                                                    chain_step{&log, "never"}};
    auto env = chained_envelope();
    BOOST_TEST(ctx.run(c.handle_DATA(ctx.conn, ctx.session, env)) ==
               (smtp::reply{550, "5.7.1 no"}));
    BOOST_TEST(log == journal{"async"});
}

BOOST_AUTO_TEST_CASE(debugging_then_a_message_handler) {
    hook_context ctx;
    journal log;
    std::ostringstream printed;
    smtp::handlers::chain<smtp::handlers::debugging, counter> c{smtp::handlers::debugging{printed},
                                                                counter{}};
    c.get<1>().log = &log;
    auto env = chained_envelope();
    BOOST_TEST(c.handle_DATA(ctx.conn, ctx.session, env) == smtp::reply::ok());
    BOOST_TEST(printed.str().find("Subject: chained\n") != std::string::npos);
    BOOST_TEST(log == journal{"chained"});
}

// What "fixed at compile time" means: no virtual function, nothing stored but the members,
// and the server's hook detection sees one handle_DATA.
BOOST_AUTO_TEST_CASE(composition_is_static) {
    using two = smtp::handlers::chain<empty_a, empty_b>;
    static_assert(!std::is_polymorphic_v<two>);
    static_assert(sizeof(two) == sizeof(std::tuple<empty_a, empty_b>));
    static_assert(smtp::has_handle_DATA<two, std::string_view>);
    static_assert(smtp::detail::check_hooks<two, std::string_view>());
    using mixed = smtp::handlers::chain<chain_step, async_step>;
    static_assert(smtp::has_handle_DATA<mixed, std::string_view>);
    static_assert(smtp::detail::check_hooks<mixed, std::string_view>());
    BOOST_TEST(true);
}

// A handler deriving from a chain adds the other hooks.
BOOST_AUTO_TEST_CASE(a_handler_derived_from_a_chain_adds_hooks) {
    struct mine : smtp::handlers::chain<chain_step> {
        smtp::reply handle_NOOP(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                std::string_view) {
            return {250, "2.0.0 chained noop"};
        }
    };
    static_assert(smtp::has_handle_NOOP<mine, std::string_view>);
    static_assert(smtp::has_handle_DATA<mine, std::string_view>);
    static_assert(smtp::detail::check_hooks<mine, std::string_view>());
    BOOST_TEST(true);
}

BOOST_AUTO_TEST_SUITE_END()
