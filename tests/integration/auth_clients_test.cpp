#include <smtp/server.hpp>

#include "../../examples/cram_md5/cram_md5.hpp"
#include "run_command.hpp"

#include <smtp/controller.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// AUTH with real clients: Python's smtplib (PLAIN, LOGIN, and CRAM-MD5 from examples/) and
// swaks. The account is alice / secret.

using smtp_test::run_command;

namespace {

struct cram_md5_accounts {
    using auth_mechanisms = smtp::auth::mechanisms<example::cram_md5>;

    std::optional<std::string> cram_md5_secret(std::string_view user) {
        if (user == "alice") return "secret";
        return std::nullopt;
    }
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& lp) {
        return lp.login == "alice" && lp.password == "secret" ? smtp::auth_result::accept()
                                                              : smtp::auth_result::reject();
    }
};

smtp::options options(smtp::login_prompts prompts = smtp::login_prompts::aiosmtpd) {
    smtp::options o;
    o.hostname = "mx.test";
    o.auth_required = true;
    o.auth_require_tls = false; // no TLS in these tests
    o.auth_login_prompts = prompts;
    return o;
}

std::string swaks(std::uint16_t port, const char* mechanism, const char* password) {
    return "swaks --server 127.0.0.1:" + std::to_string(port) + " --auth " + mechanism +
           " --auth-user alice --auth-password " + password +
           " --from alice@example.com --to bob@example.com --timeout 10";
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_clients)

BOOST_AUTO_TEST_CASE(smtplib_logs_in_with_each_mechanism) {
    smtp::controller<smtp::server<cram_md5_accounts>> c{{}, options(), {"127.0.0.1", 0}};
    c.start();
    auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_login.py " +
                              std::to_string(c.port()) + " PLAIN LOGIN CRAM-MD5");
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST(python.exit_code == 0);
    BOOST_TEST(python.output == "PLAIN ok\nLOGIN ok\nCRAM-MD5 ok\nlogin ok\n");
}

BOOST_AUTO_TEST_CASE(swaks_plain_and_login) {
    for (auto prompts : {smtp::login_prompts::aiosmtpd, smtp::login_prompts::standard}) {
        smtp::controller<smtp::server<cram_md5_accounts>> c{{}, options(prompts), {"127.0.0.1", 0}};
        c.start();
        for (const char* mechanism : {"PLAIN", "LOGIN", "CRAM-MD5"}) {
            BOOST_TEST_CONTEXT(mechanism) {
                auto good = run_command(swaks(c.port(), mechanism, "secret"));
                BOOST_TEST_INFO("swaks said: " << good.output);
                BOOST_TEST(good.exit_code == 0);
                BOOST_TEST(good.output.find("235 2.7.0 Authentication successful") !=
                           std::string::npos);
                auto bad = run_command(swaks(c.port(), mechanism, "wrong"));
                BOOST_TEST_INFO("swaks said: " << bad.output);
                BOOST_TEST(bad.exit_code != 0);
                BOOST_TEST(bad.output.find("535 5.7.8 Authentication credentials invalid") !=
                           std::string::npos);
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
