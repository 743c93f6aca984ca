#include <smtp/auth/builtin.hpp>

#include "fixture.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <mutex>
#include <string>

// AUTH over loopback: every reply path of aiosmtpd's §3 in check order, the built-in PLAIN
// and LOGIN, authenticators plain and coroutine, and what aiosmtpd gets wrong.

using smtp_test::running;

namespace {

smtp::options auth_options() {
    smtp::options o = smtp_test::test_options();
    o.auth_require_tls = false; // no TLS yet in these tests
    // Failures answered at once and not counted: the limit and delay have tests of their own
    // (hardening_test.cpp), and these try every reply path on one connection.
    o.auth_failure_delay = std::chrono::milliseconds(0);
    o.auth_failure_limit = 0;
    return o;
}

std::string b64(std::string_view s) {
    return smtp::detail::base64_encode(s);
}

const std::string ehlo_reply_auth =
    "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-AUTH LOGIN PLAIN\r\n250 HELP\r\n";
const std::string success = "235 2.7.0 Authentication successful\r\n";
const std::string invalid = "535 5.7.8 Authentication credentials invalid\r\n";

// Accepts alice/secret; remembers what it was asked.
struct accounts {
    std::shared_ptr<std::string> asked = std::make_shared<std::string>();
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view mechanism, const smtp::login_password& lp) {
        *asked = std::string(mechanism) + ":" + lp.login;
        if (lp.login == "alice" && lp.password == "secret") return smtp::auth_result::accept();
        return smtp::auth_result::reject();
    }
    smtp::reply handle_NOOP(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                            std::string_view) {
        return {250, s.authenticated ? "authenticated as " + s.login_data : "anonymous"};
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_CASE(ehlo_advertises_sorted_mechanisms) {
    running<accounts> r(auth_options());
    auto c = r.greeted();
    BOOST_TEST(c.command("EHLO x") == ehlo_reply_auth);
}

BOOST_AUTO_TEST_CASE(plain_initial_response) {
    running<accounts> r(auth_options());
    auto c = r.authenticated("alice", "secret"); // AUTH PLAIN with the initial response
    BOOST_TEST(c.command("NOOP") == "250 authenticated as alice\r\n");
    BOOST_TEST(*r.handler().asked == "PLAIN:alice");
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))) ==
               "503 Already authenticated\r\n");
}

BOOST_AUTO_TEST_CASE(issue_305_auth_mechanism_names_case_insensitive) {
    running<accounts> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("auth plain") == "334 \r\n"); // RFC 4954: names are case-insensitive
    // (No authorization identity: one naming another user needs authorize_proxy,
    // plain_authzid_test.cpp.)
    BOOST_TEST(c.command(b64(std::string("\0alice\0secret", 13))) == success);
}

BOOST_AUTO_TEST_CASE(plain_wrong_password_never_authenticates) {
    running<accounts> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0alice\0wrong", 12))) == invalid);
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0bob\0secret", 11))) == invalid);
    BOOST_TEST(c.command("NOOP") == "250 anonymous\r\n");
}

BOOST_AUTO_TEST_CASE(plain_malformed_responses) {
    running<accounts> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH PLAIN !!!!") == "501 5.5.2 Can't decode base64\r\n");
    BOOST_TEST(c.command("AUTH PLAIN " + b64("no-nuls")) == "501 5.5.2 Can't split auth value\r\n");
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("a\0b\0c\0d", 7))) ==
               "501 5.5.2 Can't split auth value\r\n");
    BOOST_TEST(c.command("AUTH PLAIN =") == "501 5.5.2 Can't split auth value\r\n");
    BOOST_TEST(c.command("AUTH PLAIN") == "334 \r\n");
    BOOST_TEST(c.command("*") == "501 5.7.0 Auth aborted\r\n");
    BOOST_TEST(c.command("AUTH PLAIN") == "334 \r\n");
    BOOST_TEST(c.command("not base64!") == "501 5.5.2 Can't decode base64\r\n");
    BOOST_TEST(c.command("NOOP") == "250 anonymous\r\n");
}

BOOST_AUTO_TEST_CASE(login_with_aiosmtpd_prompts) {
    running<accounts> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH LOGIN") == "334 VXNlciBOYW1lAA==\r\n");
    BOOST_TEST(c.command(b64("alice")) == "334 UGFzc3dvcmQA\r\n");
    BOOST_TEST(c.command(b64("secret")) == success);
    BOOST_TEST(*r.handler().asked == "LOGIN:alice");
}

BOOST_AUTO_TEST_CASE(issue_566_standard_login_prompts_without_nul) {
    auto opts = auth_options();
    opts.auth_login_prompts = smtp::login_prompts::standard;
    running<accounts> r(opts);
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH LOGIN") == "334 " + b64("Username:") + "\r\n");
    BOOST_TEST(c.command("*") == "501 5.7.0 Auth aborted\r\n");
    BOOST_TEST(c.command("AUTH LOGIN " + b64("alice")) == "334 " + b64("Password:") + "\r\n");
    BOOST_TEST(c.command(b64("wrong")) == invalid);
}

BOOST_AUTO_TEST_CASE(checks_in_aiosmtpd_order) {
    running<accounts> r(auth_options());
    auto c = r.greeted();
    BOOST_TEST(c.command("AUTH PLAIN") == "503 Error: send EHLO first\r\n");
    c.command("HELO x");
    BOOST_TEST(c.command("AUTH PLAIN") == "500 Error: command 'AUTH' not recognized\r\n");
    c.command("EHLO x");
    BOOST_TEST(c.command("AUTH") == "501 Not enough value\r\n");
    BOOST_TEST(c.command("AUTH PLAIN a b") == "501 Too many values\r\n");
    BOOST_TEST(c.command("AUTH CRAM-MD5") == "504 5.5.4 Unrecognized authentication type\r\n");
    c.command("MAIL FROM:<a@b.c>");
    BOOST_TEST(c.command("AUTH PLAIN") ==
               "503 5.5.1 Error: AUTH not permitted during a mail transaction\r\n");
}

BOOST_AUTO_TEST_CASE(require_tls_by_default) {
    auto opts = auth_options();
    opts.auth_require_tls = true;
    running<accounts> r(opts);
    auto c = r.greeted();
    BOOST_TEST(c.command("EHLO x") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
    BOOST_TEST(c.command("AUTH PLAIN") ==
               "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
}

BOOST_AUTO_TEST_CASE(auth_required_then_allowed) {
    auto opts = auth_options();
    opts.auth_required = true;
    running<accounts> r(opts);
    auto c = r.ehloed();
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "530 5.7.0 Authentication required\r\n");
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))) == success);
    BOOST_TEST(c.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(excluded_mechanism_neither_offered_nor_accepted) {
    auto opts = auth_options();
    opts.auth_exclude_mechanism = {"login"};
    running<accounts> r(opts);
    auto c = r.greeted();
    BOOST_TEST(
        c.command("EHLO x") ==
        "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 HELP\r\n");
    BOOST_TEST(c.command("AUTH LOGIN") == "504 5.5.4 Unrecognized authentication type\r\n");
}

// Without an authenticator every login fails (aiosmtpd's login_always_fail).
struct no_authenticator {};

BOOST_AUTO_TEST_CASE(no_authenticator_fails_every_login) {
    running<no_authenticator> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))) == invalid);
}

// aiosmtpd never awaits an async authenticator, so every login "succeeds". Here it is awaited.
struct coroutine_authenticator {
    boost::asio::awaitable<smtp::auth_result> authenticate(smtp::connection&, smtp::session&,
                                                           smtp::envelope<>&, std::string_view,
                                                           const smtp::login_password& lp) {
        boost::asio::steady_timer t(co_await boost::asio::this_coro::executor,
                                    std::chrono::milliseconds(10));
        co_await t.async_wait(boost::asio::use_awaitable);
        if (lp.password == "secret") co_return smtp::auth_result::accept(std::string("token"));
        co_return smtp::auth_result::reject({454, "4.7.0 Temporary authentication failure"});
    }
    smtp::reply handle_NOOP(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                            std::string_view) {
        const auto* token = std::any_cast<std::string>(&s.auth_data);
        return {250, token ? *token : "none"};
    }
};

BOOST_AUTO_TEST_CASE(async_authenticator_is_awaited) {
    running<coroutine_authenticator> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0alice\0nope", 11))) ==
               "454 4.7.0 Temporary authentication failure\r\n");
    BOOST_TEST(c.command("NOOP") == "250 none\r\n");
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0alice\0secret", 13))) == success);
    BOOST_TEST(c.command("NOOP") == "250 token\r\n");
}

// An authenticator that says "handled" without replying would hang an aiosmtpd client.
struct claims_handled {
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password&) {
        return smtp::auth_result::replied();
    }
};

BOOST_AUTO_TEST_CASE(auth_result_failure_always_replies) {
    running<claims_handled> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0a\0b", 4))) == invalid);
}

BOOST_AUTO_TEST_CASE(response_line_up_to_12288_octets) {
    running<accounts> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH LOGIN") == "334 VXNlciBOYW1lAA==\r\n");
    std::string user(9216, 'u'); // 12,288 octets of base64
    BOOST_TEST(b64(user).size() == 12288u);
    BOOST_TEST(c.command(b64(user)) == "334 UGFzc3dvcmQA\r\n");
    BOOST_TEST(c.command(std::string(12289 + 100, 'A')) ==
               "500 5.5.6 Authentication Exchange line is too long\r\n");
    BOOST_TEST(c.command("NOOP") == "250 anonymous\r\n");
}

// The AUTH command line itself may carry a 12,288-octet initial response (aiosmtpd: 512).
BOOST_AUTO_TEST_CASE(long_initial_response_on_command_line) {
    running<accounts> r(auth_options());
    auto c = r.ehloed();
    std::string password(9000, 'p');
    BOOST_TEST(c.command("AUTH PLAIN " + b64(std::string("\0alice\0", 7) + password)) == invalid);
    BOOST_TEST(*r.handler().asked == "PLAIN:alice");
    BOOST_TEST(c.command("NOOP " + std::string(600, 'x')) == "500 Command line too long\r\n");
}

// aiosmtpd's handle_AUTH: replaces the mechanisms.
struct own_auth {
    smtp::reply handle_AUTH(smtp::connection&, smtp::session& s, smtp::envelope<>&,
                            std::span<const std::string> args) {
        if (args.size() == 2 && args[1] == "letmein") {
            s.authenticated = true;
            return {235, "2.7.0 Welcome"};
        }
        return {535, "5.7.8 No (" + std::to_string(args.size()) + " words)"};
    }
};

BOOST_AUTO_TEST_CASE(handle_auth_replaces_mechanisms) {
    running<own_auth> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH login") == "535 5.7.8 No (1 words)\r\n");
    BOOST_TEST(c.command("AUTH PLAIN letmein") == "235 2.7.0 Welcome\r\n");
    BOOST_TEST(c.command("AUTH PLAIN letmein") == "503 Already authenticated\r\n");
}

// aiosmtpd's auth_PLAIN on the handler: its own PLAIN, LOGIN still built in.
struct own_plain : accounts {
    boost::asio::awaitable<smtp::auth_result> auth_PLAIN(smtp::connection& conn, smtp::session&,
                                                         smtp::envelope<>&,
                                                         std::optional<std::string> initial) {
        if (!initial) initial = co_await conn.challenge("who?");
        if (!initial) co_return smtp::auth_result::replied();
        co_return *initial == "open sesame" ? smtp::auth_result::accept()
                                            : smtp::auth_result::reject();
    }
};

BOOST_AUTO_TEST_CASE(handler_replaces_builtin_plain) {
    running<own_plain> r(auth_options());
    auto c = r.ehloed();
    BOOST_TEST(c.command("AUTH PLAIN") == "334 " + b64("who?") + "\r\n");
    BOOST_TEST(c.command(b64("open sesame")) == success);
    auto d = r.ehloed();
    BOOST_TEST(d.command("AUTH LOGIN " + b64("alice")) == "334 UGFzc3dvcmQA\r\n");
    BOOST_TEST(d.command(b64("secret")) == success);
}

// A user-defined mechanism listed by the handler; offered beside the built-in ones.
struct x_token {
    static constexpr std::string_view name = "X-TOKEN";
    template <class Handler, class Content>
    static boost::asio::awaitable<smtp::auth_result>
    authenticate(Handler&, smtp::connection& conn, smtp::session&, smtp::envelope<Content>&,
                 std::optional<std::string> initial) {
        auto answer = co_await conn.challenge("token please");
        if (!answer) co_return smtp::auth_result::replied();
        if (initial.value_or("") + *answer == "abc123")
            co_return smtp::auth_result::accept(std::string("token-user"));
        co_return smtp::auth_result::reject();
    }
};

struct token_accounts : accounts {
    using auth_mechanisms = smtp::auth::mechanisms<x_token>;
};

BOOST_AUTO_TEST_CASE(handler_declared_mechanism) {
    running<token_accounts> r(auth_options());
    auto c = r.greeted();
    BOOST_TEST(c.command("EHLO x") == "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n"
                                      "250-AUTH LOGIN PLAIN X-TOKEN\r\n250 HELP\r\n");
    BOOST_TEST(c.command("AUTH x-token " + b64("abc")) == "334 " + b64("token please") + "\r\n");
    BOOST_TEST(c.command(b64("123")) == success);
}

BOOST_AUTO_TEST_SUITE_END()
