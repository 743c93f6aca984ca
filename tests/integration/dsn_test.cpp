// RFC 3461 DSN, RFC 8689 REQUIRETLS and handler-declared MAIL/RCPT parameters over real
// sockets: the raw protocol, what a handler's hooks see, Python's smtplib against a server and
// against examples/smtpd, and swaks reading the EHLO reply.
#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include "certificates.hpp"
#include "child_process.hpp"
#include "fixture.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: the smtpd tests are skipped
#endif

namespace {

using smtp_test::contains;
using smtp_test::free_port;
using smtp_test::smtpd_built;

using namespace std::chrono_literals;
using smtp_test::run_command;

// RFC 6710's MT-PRIORITY, as a handler would declare it.
struct priority {
    static constexpr std::string_view keyword = "MT-PRIORITY";
    static constexpr smtp::parameter_value value = smtp::parameter_value::required;
    static constexpr std::string_view ehlo = "MT-PRIORITY MIXER";
    static smtp::reply check(std::string_view v) {
        bool digit = v.size() == 1 && v[0] >= '0' && v[0] <= '9';
        bool negative = v.size() == 2 && v[0] == '-' && v[1] >= '1' && v[1] <= '9';
        if (digit || negative) return {};
        return {501, "Error: MT-PRIORITY must be -9 to 9"};
    }
};

// A made-up RCPT flag without a value.
struct hold {
    static constexpr std::string_view keyword = "X-HOLD";
    static constexpr smtp::parameter_value value = smtp::parameter_value::none;
};

// Declares parameters, records recipients itself (aiosmtpd style) and keeps a copy of every
// envelope delivered.
struct recording : smtp_test::recorder {
    using mail_parameters = smtp::parameters<priority>;
    using rcpt_parameters = smtp::parameters<hold>;

    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (address.starts_with("refused")) return {550, "5.1.1 No such user"};
        env.rcpt_tos.emplace_back(address);
        env.rcpt_options.insert(env.rcpt_options.end(), options.begin(), options.end());
        return smtp::reply::ok();
    }
};

using recording_server = smtp_test::running<recording>;

smtp::options dsn_options() {
    smtp::options o = smtp_test::test_options();
    o.dsn = true;
    return o;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dsn_server)

BOOST_AUTO_TEST_CASE(hooks_see_dsn_and_declared_parameters) {
    recording_server r(dsn_options());
    auto client = r.greeted();
    std::string ehlo = client.command("EHLO client.test");
    BOOST_TEST(contains(ehlo, "250-DSN\r\n"));
    BOOST_TEST(contains(ehlo, "250-MT-PRIORITY MIXER\r\n"));
    // Declared parameters: value rules and the handler's check; others as aiosmtpd.
    BOOST_TEST(client.command("MAIL FROM:<a@x> MT-PRIORITY=12") ==
               "501 Error: MT-PRIORITY must be -9 to 9\r\n");
    BOOST_TEST(client.command("MAIL FROM:<a@x> MT-PRIORITY") ==
               "501 Error: MT-PRIORITY needs a value\r\n");
    BOOST_TEST(client.command("MAIL FROM:<a@x> MT-PRIORITY=1 MT-PRIORITY=2") ==
               "501 Error: duplicate MT-PRIORITY parameter\r\n");
    BOOST_TEST(client.command("MAIL FROM:<a@x> OTHER-KEY=1") ==
               "501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]\r\n");
    BOOST_TEST(client.command("MAIL FROM:<a@x> OTHER=1") ==
               "555 MAIL FROM parameters not recognized or not implemented\r\n");
    BOOST_TEST(
        client.command("MAIL FROM:<Alice@Test.ORG> RET=FULL ENVID=Env+2BId mt-priority=-3") ==
        "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<Bob@X> NOTIFY=SUCCESS ORCPT=rfc822;Bob@X") == "250 OK\r\n");
    BOOST_TEST(client.command("RCPT TO:<refused@x> NOTIFY=NEVER") == "550 5.1.1 No such user\r\n");
    BOOST_TEST(client.command("RCPT TO:<dan@x> X-HOLD=yes") ==
               "501 Error: X-HOLD takes no arguments\r\n");
    BOOST_TEST(client.command("RCPT TO:<carol@x> x-hold") == "250 OK\r\n");
    BOOST_TEST(client.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(client.command("Subject: x\r\n\r\nhi\r\n.") == "250 OK\r\n");
    BOOST_TEST(client.command("QUIT") == "221 Bye\r\n");
    r.controller.stop();

    auto envelopes = r.handler().deliveries();
    BOOST_REQUIRE(envelopes.size() == 1u);
    const auto& env = envelopes[0];
    BOOST_TEST((env.dsn.ret == smtp::dsn_return::full));
    BOOST_TEST(env.dsn.envid == "Env+Id");
    // aiosmtpd's upper-cased tokens, but a declared parameter's value as sent.
    BOOST_TEST(env.mail_options ==
                   (std::vector<std::string>{"RET=FULL", "ENVID=ENV+2BID", "MT-PRIORITY=-3"}),
               boost::test_tools::per_element());
    BOOST_TEST(env.rcpt_options ==
                   (std::vector<std::string>{"NOTIFY=SUCCESS", "ORCPT=RFC822;BOB@X", "X-HOLD"}),
               boost::test_tools::per_element());
    // The hook recorded two recipients; the refused one left no DSN entry behind.
    BOOST_TEST(env.rcpt_tos == (std::vector<std::string>{"Bob@X", "carol@x"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(env.dsn.recipients.size() == 2u);
    BOOST_TEST((env.dsn.recipients[0].notify == smtp::dsn_notify{.success = true}));
    BOOST_TEST(env.dsn.recipients[0].orcpt_type == "rfc822");
    BOOST_TEST(env.dsn.recipients[0].orcpt == "Bob@X");
    BOOST_TEST(!env.dsn.recipients[1].notify.specified());
}

BOOST_AUTO_TEST_CASE(smtplib_sends_dsn_parameters) {
    recording_server r(dsn_options());
    auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_dsn.py " +
                              std::to_string(r.port()) + " dsn");
    r.controller.stop();
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST_REQUIRE(python.exit_code == 0);
    BOOST_TEST(python.output == "dsn ok\n");
    auto envelopes = r.handler().deliveries();
    BOOST_REQUIRE(envelopes.size() == 1u);
    const auto& env = envelopes[0];
    BOOST_TEST((env.dsn.ret == smtp::dsn_return::headers));
    BOOST_TEST(env.dsn.envid == "QQ+314159");
    BOOST_REQUIRE(env.dsn.recipients.size() == 2u);
    for (const auto& r : env.dsn.recipients) { // smtplib gives every recipient the same options
        BOOST_TEST((r.notify == smtp::dsn_notify{.success = true, .failure = true}));
        BOOST_TEST(r.orcpt == "Bob+X@Foo.ORG");
    }
}

BOOST_AUTO_TEST_CASE(smtplib_requiretls_over_starttls) {
    const auto& certs = smtp_test::certificates::get();
    smtp::options o = smtp_test::test_options();
    o.requiretls = true;
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    recording_server r(o);
    auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_dsn.py " +
                              std::to_string(r.port()) + " requiretls");
    r.controller.stop();
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST_REQUIRE(python.exit_code == 0);
    BOOST_TEST(python.output == "requiretls ok\n");
    auto envelopes = r.handler().deliveries();
    BOOST_REQUIRE(envelopes.size() == 1u);
    BOOST_TEST(envelopes[0].require_tls);
    const auto& options = envelopes[0].mail_options; // smtplib adds SIZE=
    BOOST_TEST((std::find(options.begin(), options.end(), "REQUIRETLS") != options.end()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(smtpd_dsn,
                      *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                          return boost::unit_test::assertion_result(smtpd_built());
                      }))

// examples/smtpd --dsn -c Debugging prints what smtplib's DSN parameters said.
BOOST_AUTO_TEST_CASE(smtplib_against_smtpd_debugging) {
    std::uint16_t port = free_port();
    smtp_test::child_process smtpd(
        {SMTPD_PATH, "-n", "-c", "Debugging", "--dsn", "-l", "127.0.0.1:" + std::to_string(port)});
    auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_dsn.py " +
                              std::to_string(port) + " dsn");
    BOOST_TEST_INFO("python said: " << python.output << "smtpd said: " << smtpd.err());
    BOOST_TEST_REQUIRE(python.exit_code == 0);
    BOOST_REQUIRE(smtpd.wait_for_output([&] { return contains(smtpd.out(), "END MESSAGE"); }));
    BOOST_TEST(
        smtpd.out().starts_with(
            "---------- MESSAGE FOLLOWS ----------\n"
            "mail options: ['SIZE=23', 'RET=HDRS', 'ENVID=QQ+2B314159']\n"
            "rcpt options: ['NOTIFY=SUCCESS,FAILURE', 'ORCPT=RFC822;BOB+2BX@FOO.ORG', "
            "'NOTIFY=SUCCESS,FAILURE', 'ORCPT=RFC822;BOB+2BX@FOO.ORG']\n"
            "dsn: RET=HDRS ENVID='QQ+314159'\n"
            "dsn for 'Bob@Foo.ORG': NOTIFY=SUCCESS,FAILURE ORCPT='rfc822;Bob+X@Foo.ORG'\n"
            "dsn for 'Carol@Ivory.EDU': NOTIFY=SUCCESS,FAILURE ORCPT='rfc822;Bob+X@Foo.ORG'\n"
            "\n"
            "Subject: dsn\n"),
        smtpd.out());
}

// swaks reads the EHLO replies: DSN in plaintext, REQUIRETLS only once TLS is on.
BOOST_AUTO_TEST_CASE(swaks_sees_exactly_what_is_enabled) {
    const auto& certs = smtp_test::certificates::get();
    std::uint16_t port = free_port();
    smtp_test::child_process smtpd({SMTPD_PATH, "-n", "-c", "Sink", "--dsn", "--requiretls",
                                    "--tlscert", certs.mx_cert, "--tlskey", certs.mx_key, "-l",
                                    "127.0.0.1:" + std::to_string(port)});
    std::string swaks = "swaks --server 127.0.0.1:" + std::to_string(port) +
                        " --from a@example.com --to b@example.com --timeout 10 --tls";
    smtp_test::command_result result;
    for (int attempt = 0; attempt < 100; ++attempt) { // until smtpd listens (at most ~10 s)
        result = run_command(swaks);
        if (result.exit_code == 0 || contains(result.output, "<-")) break;
        std::this_thread::sleep_for(100ms);
    }
    BOOST_TEST_INFO("swaks said: " << result.output);
    BOOST_TEST_REQUIRE(result.exit_code == 0);
    std::size_t tls = result.output.find("TLS started");
    BOOST_TEST_REQUIRE(tls != std::string::npos);
    std::string plain = result.output.substr(0, tls), secure = result.output.substr(tls);
    BOOST_TEST(contains(plain, "250-DSN"));
    BOOST_TEST(!contains(plain, "REQUIRETLS"));
    BOOST_TEST(contains(secure, "250-DSN"));
    BOOST_TEST(contains(secure, "250-REQUIRETLS"));
    BOOST_TEST(!contains(result.output, "PIPELINING")); // only what was asked for
    BOOST_TEST(contains(secure, "250 OK"));
}

BOOST_AUTO_TEST_SUITE_END()
