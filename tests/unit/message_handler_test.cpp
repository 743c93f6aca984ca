#include <smtp/handlers/message.hpp>

#include "fake_connection.hpp"

#include <smtp/hooks.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// handlers::message: aiosmtpd's Message handler as a CRTP base. Hooks are called directly.

using smtp_test::hook_context;

namespace {

smtp::envelope<> two_recipient_envelope() {
    smtp::envelope<> env;
    env.mail_from = "anne@example.com";
    env.rcpt_tos = {"bart@example.com", "cate@example.com"};
    env.original_content = "Subject: A test\r\nTo: bart@example.com\r\n\r\nTesting\r\n";
    env.content = env.original_content;
    return env;
}

// Keeps what it was given; answers 250.
struct keeper : smtp::handlers::message<keeper> {
    std::vector<smtp::parsed_message> seen;
    void handle_message(smtp::parsed_message& m) { seen.push_back(m); }
};

// Answers with a reply of its own.
struct refuser : smtp::handlers::message<refuser> {
    smtp::reply handle_message(const smtp::parsed_message& m) {
        if (m.get("Subject") == "spam") return {550, "5.7.1 No spam"};
        return {250, "2.0.0 Taken"};
    }
};

// Overrides prepare_message, extending the mixin's.
struct tagger : smtp::handlers::message<tagger> {
    std::string last;
    template <class Content>
    smtp::parsed_message prepare_message(const smtp::session& s,
                                         const smtp::envelope<Content>& env) {
        smtp::parsed_message m = message::prepare_message(s, env);
        m.add_header("X-Tag", "tagged");
        m.remove_header("X-Peer");
        return m;
    }
    void handle_message(smtp::parsed_message& m) { last = m.to_string(); }
};

struct thrower : smtp::handlers::message<thrower> {
    void handle_message(smtp::parsed_message&) { throw std::runtime_error("disk on fire"); }
};

// A handler that adds a hook of its own next to the mixin's.
struct picky : smtp::handlers::message<picky> {
    void handle_message(smtp::parsed_message&) {}
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (!address.ends_with("@example.com")) return {550, "5.7.1 Relaying denied"};
        env.add_recipient(address, options);
        return smtp::reply::ok();
    }
};

// A message type of the user's own, with the members the default traits use.
struct raw_message {
    std::string bytes;
    std::vector<std::pair<std::string, std::string>> added;
    static raw_message parse(std::string_view b) { return {std::string(b), {}}; }
    void add_header(std::string_view name, std::string_view value) {
        added.emplace_back(name, value);
    }
};
struct raw_keeper : smtp::handlers::message<raw_keeper, raw_message> {
    raw_message last;
    void handle_message(raw_message& m) { last = m; }
};

// A type the user cannot change (here std::string): plugged with a traits specialization.
struct string_keeper;

} // namespace

template <>
struct smtp::message_traits<std::string> {
    static std::string parse(std::string_view bytes) { return std::string(bytes); }
    static void add_header(std::string& m, std::string_view name, std::string_view value) {
        m.insert(0, std::string(name) + ": " + std::string(value) + "\r\n");
    }
};

namespace {
struct string_keeper : smtp::handlers::message<string_keeper, std::string> {
    std::string last;
    void handle_message(const std::string& m) { last = m; }
};
} // namespace

BOOST_AUTO_TEST_SUITE(message_handler)

BOOST_AUTO_TEST_CASE(prepare_message_appends_x_headers_as_aiosmtpd) {
    hook_context ctx;
    keeper k;
    auto env = two_recipient_envelope();
    smtp::parsed_message m = k.prepare_message(ctx.session, env);
    BOOST_TEST(m.to_string() == "Subject: A test\r\n"
                                "To: bart@example.com\r\n"
                                "X-Peer: ('127.0.0.1', 40000)\r\n"
                                "X-MailFrom: anne@example.com\r\n"
                                "X-RcptTo: bart@example.com, cate@example.com\r\n"
                                "\r\n"
                                "Testing\r\n");
}

BOOST_AUTO_TEST_CASE(prepare_message_keeps_existing_fields_and_ipv6_peer) {
    hook_context ctx;
    ctx.session.peer = {smtp::peer_address::family_type::ipv6, "::1", 2525};
    keeper k;
    auto env = two_recipient_envelope();
    env.original_content = "X-Peer: forged\r\n\r\n";
    smtp::parsed_message m = k.prepare_message(ctx.session, env);
    BOOST_TEST(m.get_all("X-Peer") == (std::vector<std::string>{"forged", "('::1', 2525, 0, 0)"}));
}

BOOST_AUTO_TEST_CASE(handle_DATA_calls_handle_message_and_answers_250) {
    hook_context ctx;
    keeper k;
    auto env = two_recipient_envelope();
    BOOST_TEST(k.handle_DATA(ctx.conn, ctx.session, env) == smtp::reply::ok());
    BOOST_TEST_REQUIRE(k.seen.size() == 1u);
    BOOST_TEST(k.seen[0].get("X-MailFrom").value() == "anne@example.com");
    BOOST_TEST(k.seen[0].body() == "Testing\r\n");
}

BOOST_AUTO_TEST_CASE(handle_message_may_answer_with_a_reply) {
    hook_context ctx;
    refuser r;
    auto env = two_recipient_envelope();
    BOOST_TEST(r.handle_DATA(ctx.conn, ctx.session, env) == (smtp::reply{250, "2.0.0 Taken"}));
    env.original_content = "Subject: spam\r\n\r\n";
    BOOST_TEST(r.handle_DATA(ctx.conn, ctx.session, env) == (smtp::reply{550, "5.7.1 No spam"}));
}

BOOST_AUTO_TEST_CASE(derived_prepare_message_is_the_one_called) {
    hook_context ctx;
    tagger t;
    auto env = two_recipient_envelope();
    t.handle_DATA(ctx.conn, ctx.session, env);
    BOOST_TEST(t.last.find("X-Tag: tagged\r\n") != std::string::npos);
    BOOST_TEST(t.last.find("X-Peer") == std::string::npos);
    BOOST_TEST(t.last.find("X-MailFrom: anne@example.com\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(handle_message_exception_propagates) {
    hook_context ctx;
    thrower t;
    auto env = two_recipient_envelope();
    BOOST_CHECK_THROW(t.handle_DATA(ctx.conn, ctx.session, env), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(other_message_type_with_members) {
    hook_context ctx;
    raw_keeper k;
    auto env = two_recipient_envelope();
    k.handle_DATA(ctx.conn, ctx.session, env);
    BOOST_TEST(k.last.bytes == env.original_content);
    BOOST_TEST_REQUIRE(k.last.added.size() == 3u);
    BOOST_TEST(k.last.added[0].first == "X-Peer");
    BOOST_TEST(k.last.added[2].second == "bart@example.com, cate@example.com");
}

BOOST_AUTO_TEST_CASE(other_message_type_through_traits) {
    hook_context ctx;
    string_keeper k;
    auto env = two_recipient_envelope();
    env.original_content = "body";
    k.handle_DATA(ctx.conn, ctx.session, env);
    BOOST_TEST(k.last == "X-RcptTo: bart@example.com, cate@example.com\r\n"
                         "X-MailFrom: anne@example.com\r\n"
                         "X-Peer: ('127.0.0.1', 40000)\r\n"
                         "body");
}

// The server's compile-time hook detection sees the mixin's handle_DATA, and the user's own
// hooks next to it.
BOOST_AUTO_TEST_CASE(hook_detection_sees_mixin_and_user_hooks) {
    static_assert(smtp::has_handle_DATA<keeper, std::string_view>);
    static_assert(smtp::detail::check_hooks<keeper, std::string_view>());
    static_assert(smtp::has_handle_DATA<picky, std::string_view>);
    static_assert(smtp::has_handle_RCPT<picky, std::string_view>);
    static_assert(smtp::detail::check_hooks<picky, std::string_view>());
    static_assert(smtp::has_handle_DATA<raw_keeper, std::string>);
    static_assert(!std::is_polymorphic_v<keeper>);
    BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(works_with_any_content_type) {
    hook_context ctx;
    keeper k;
    smtp::envelope<std::string> env; // a DecodePolicy's own content type
    env.mail_from = "a@b.c";
    env.original_content = "Subject: x\r\n\r\ny";
    env.content = "decoded";
    BOOST_TEST(k.handle_DATA(ctx.conn, ctx.session, env).positive());
    BOOST_TEST(k.seen.at(0).body() == "y");
}

BOOST_AUTO_TEST_SUITE_END()
