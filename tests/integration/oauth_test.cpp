#include <smtp/auth/oauth.hpp>
#include <smtp/server.hpp>

#include "fixture.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

// OAUTHBEARER and XOAUTH2 with real clients: curl's --oauth2-bearer (which takes whichever of
// the two the server offers) and Python's smtplib with an XOAUTH2 auth object of its own. The
// account is alice@example.com with the token "ya29.good-token".

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: the smtpd test is skipped
#endif

using smtp_test::run_command;

namespace {

constexpr const char* user = "alice@example.com";
constexpr const char* good_token = "ya29.good-token";

// Records messages, and checks tokens in a coroutine (as a handler asking an introspection
// endpoint would) after a trip through the executor.
struct token_checker : smtp_test::recorder {
    std::shared_ptr<std::string> last_login = std::make_shared<std::string>();

    boost::asio::awaitable<smtp::auth_result> authenticate_token(smtp::connection&, smtp::session&,
                                                                 std::string_view who,
                                                                 std::string_view token) {
        auto executor = co_await boost::asio::this_coro::executor;
        co_await boost::asio::post(executor, boost::asio::use_awaitable);
        if (who == user && token == good_token) co_return smtp::auth_result::accept();
        // A token that names its user itself (OAUTHBEARER without an authorization identity).
        if (who.empty() && token == "ya29.carols")
            co_return smtp::auth_result::accept(std::string("carol@example.com"));
        co_return smtp::auth_result::reject();
    }
    smtp::reply handle_RCPT(smtp::connection&, smtp::session& s, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string>) {
        *last_login = s.login_data;
        env.rcpt_tos.emplace_back(address);
        return smtp::reply::ok();
    }
};

smtp::options oauth_options() {
    smtp::options o = smtp_test::test_options();
    o.auth_required = true;
    o.auth_require_tls = false; // no TLS in these tests
    o.auth_failure_delay = {};
    return o;
}

std::string curl(std::uint16_t port, const std::string& token) {
    return "sh -c 'printf \"Subject: oauth\\r\\n\\r\\nhello\\r\\n\" | curl -sv --max-time 10 "
           "--url smtp://127.0.0.1:" +
           std::to_string(port) + " --mail-from " + user + " --mail-rcpt bob@example.com --user " +
           user + " --oauth2-bearer " + token + " -T - 2>&1'";
}

// `acknowledges`: curl answers OAUTHBEARER's error challenge with \x01 and hears the 535;
// at XOAUTH2's it gives up and closes (smtplib_xoauth2 answers it).
template <class Policy>
void curl_logs_in_with(const std::string& mechanism, const std::string& error_challenge,
                       bool acknowledges) {
    smtp_test::running<token_checker, Policy> r(oauth_options());
    auto good = run_command(curl(r.port(), good_token));
    BOOST_TEST_INFO("curl said: " << good.output);
    BOOST_TEST(good.exit_code == 0);
    BOOST_TEST(good.output.find("> AUTH " + mechanism) != std::string::npos);
    BOOST_TEST(good.output.find("< 235 2.7.0 Authentication successful") != std::string::npos);
    BOOST_TEST_REQUIRE(r.handler().contents().size() == 1u);
    BOOST_TEST(r.handler().contents()[0] == "Subject: oauth\r\n\r\nhello\r\n");
    BOOST_TEST(*r.handler().last_login == user);

    auto bad = run_command(curl(r.port(), "ya29.stolen"));
    BOOST_TEST_INFO("curl said: " << bad.output);
    BOOST_TEST(bad.exit_code != 0);
    BOOST_TEST(bad.output.find("< 334 " + error_challenge) != std::string::npos);
    BOOST_TEST_INFO("curl said: " << bad.output);
    BOOST_TEST((bad.output.find("> AQ==") != std::string::npos) == acknowledges);
    BOOST_TEST_INFO("curl said: " << bad.output);
    BOOST_TEST((bad.output.find("< 535 5.7.8 Authentication credentials invalid") !=
                std::string::npos) == acknowledges);
    BOOST_TEST(r.handler().contents().size() == 1u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(oauth)

BOOST_AUTO_TEST_CASE(curl_oauthbearer) {
    // {"status":"invalid_token","schemes":"bearer"}
    curl_logs_in_with<smtp::auth::mechanisms<smtp::auth::oauthbearer>>(
        "OAUTHBEARER", "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciJ9", true);
}

BOOST_AUTO_TEST_CASE(curl_xoauth2) {
    // {"status":"401","schemes":"bearer"}
    curl_logs_in_with<smtp::auth::mechanisms<smtp::auth::xoauth2>>(
        "XOAUTH2", "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=", false);
}

BOOST_AUTO_TEST_CASE(smtplib_xoauth2) {
    using policy = smtp::auth::mechanisms<smtp::auth::plain, smtp::auth::xoauth2>;
    smtp_test::running<token_checker, policy> r(oauth_options());
    auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_xoauth2.py " +
                              std::to_string(r.port()) + " " + user + " " + good_token);
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST(python.exit_code == 0);
    BOOST_TEST(python.output == "refused with 401\nXOAUTH2 ok\n");
    BOOST_TEST(r.handler().contents().size() == 1u);
}

// The exchange by hand: the initial response, the GS2 header's user, a malformed response,
// and the client's cancel at the error challenge.
BOOST_AUTO_TEST_CASE(oauthbearer_on_the_wire) {
    using policy = smtp::auth::mechanisms<smtp::auth::oauthbearer>;
    smtp_test::running<token_checker, policy> r(oauth_options());
    auto c = r.ehloed();
    // "n,a=alice@example.com,\1auth=Bearer ya29.stolen\1\1", then "*" at the error.
    BOOST_TEST(c.command("AUTH OAUTHBEARER "
                         "bixhPWFsaWNlQGV4YW1wbGUuY29tLAFhdXRoPUJlYXJlciB5YTI5LnN0b2xlbgEB") ==
               "334 eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NoZW1lcyI6ImJlYXJlciJ9\r\n");
    BOOST_TEST(c.command("*") == "501 5.7.0 Auth aborted\r\n");
    // "y,,\1auth=Bearer x\1" lacks the final separator.
    BOOST_TEST(c.command("AUTH OAUTHBEARER eSwsAWF1dGg9QmVhcmVyIHgB") ==
               "501 5.5.2 Malformed OAUTHBEARER response\r\n");
    // "n,a=alice@example.com,\1host=x\1auth=Bearer ya29.good-token\1\1" after an empty 334.
    BOOST_TEST(c.command("AUTH OAUTHBEARER") == "334 \r\n");
    BOOST_TEST(c.command("bixhPWFsaWNlQGV4YW1wbGUuY29tLAFob3N0PXgBYXV0aD1CZWFyZXIgeWEyOS5nb29kLX"
                         "Rva2VuAQE=") == "235 2.7.0 Authentication successful\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    BOOST_TEST(*r.handler().last_login == user);
    // "n,,\1auth=Bearer ya29.carols\1\1": no user; the hook's accept names it.
    auto d = r.ehloed();
    BOOST_TEST(d.command("AUTH OAUTHBEARER biwsAWF1dGg9QmVhcmVyIHlhMjkuY2Fyb2xzAQE=") ==
               "235 2.7.0 Authentication successful\r\n");
    BOOST_TEST(d.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(d.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    BOOST_TEST(*r.handler().last_login == "carol@example.com");
}

// smtpd: --oauth-token offers both (curl prefers OAUTHBEARER) and accepts that token; without
// it neither is offered, and EHLO stays aiosmtpd's.
BOOST_AUTO_TEST_CASE(smtpd_oauth_token,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                         return boost::unit_test::assertion_result(*SMTPD_PATH != '\0');
                     })) {
    smtp_test::smtpd_process plain(SMTPD_PATH, {"--no-auth-require-tls"});
    auto c = plain.connect();
    c.read_reply();
    auto ehlo = c.command("EHLO x");
    BOOST_TEST(ehlo.find("250-AUTH LOGIN PLAIN\r\n") != std::string::npos, ehlo);

    smtp_test::smtpd_process server(SMTPD_PATH, {"--no-auth-require-tls", "--oauth-token",
                                                 std::string(user) + ":" + good_token,
                                                 "--auth-failure-delay", "0"});
    auto d = server.connect();
    d.read_reply();
    ehlo = d.command("EHLO x");
    BOOST_TEST(ehlo.find("250-AUTH LOGIN OAUTHBEARER PLAIN XOAUTH2\r\n") != std::string::npos,
               ehlo);
    auto good = run_command(curl(server.port, good_token));
    BOOST_TEST_INFO("curl said: " << good.output);
    BOOST_TEST(good.exit_code == 0);
    BOOST_TEST(good.output.find("> AUTH OAUTHBEARER") != std::string::npos);
    BOOST_TEST(server.child.read_line().value_or("") == "---------- MESSAGE FOLLOWS ----------");
    auto bad = run_command(curl(server.port, "ya29.stolen"));
    BOOST_TEST_INFO("curl said: " << bad.output);
    BOOST_TEST(bad.output.find("< 535 5.7.8") != std::string::npos);
    auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_xoauth2.py " +
                              std::to_string(server.port) + " " + user + " " + good_token);
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST(python.exit_code == 0);
}

BOOST_AUTO_TEST_SUITE_END()
