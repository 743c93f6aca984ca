#include <smtp/tls.hpp>

#include "certificates.hpp"
#include "fixture.hpp"
#include "run_command.hpp"

#include <smtp/controller.hpp>
#include <smtp/server.hpp>

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <mutex>
#include <string>

// TLS with real clients: Python's smtplib (starttls() and SMTP_SSL), openssl s_client, curl and
// swaks. Each message they send must reach handle_DATA.

using smtp_test::certificates;
using smtp_test::run_command;

namespace {

using smtp_test::tls_options;

struct counting {
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
    std::shared_ptr<std::vector<std::string>> subjects =
        std::make_shared<std::vector<std::string>>();
    smtp::reply handle_DATA(smtp::connection&, smtp::session& s, smtp::envelope<>& env) {
        std::lock_guard lock(*mutex);
        auto start = env.content.find("Subject: ");
        subjects->emplace_back(
            start == std::string_view::npos
                ? "?"
                : env.content.substr(start + 9, env.content.find('\r', start) - start - 9));
        return {250, s.ssl ? "OK over " + s.ssl->version : "OK in plaintext"};
    }
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& lp) {
        return lp.login == "alice" && lp.password == "secret" ? smtp::auth_result::accept()
                                                              : smtp::auth_result::reject();
    }
    std::size_t count() const {
        std::lock_guard lock(*mutex);
        return subjects->size();
    }
};

using controller_type = smtp::controller<smtp::server<counting>>;

} // namespace

BOOST_AUTO_TEST_SUITE(tls_clients)

BOOST_AUTO_TEST_CASE(smtplib_starttls_and_smtp_ssl) {
    counting handler;
    controller_type starttls{handler, tls_options(), {"127.0.0.1", 0}};
    controller_type smtps{handler, tls_options(), {"127.0.0.1", 0, true}};
    starttls.start();
    smtps.start();
    auto python = run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_tls.py " +
                              std::to_string(starttls.port()) + " " + std::to_string(smtps.port()));
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST(python.exit_code == 0);
    BOOST_TEST(python.output == "starttls ok\nsmtps ok\n");
    BOOST_TEST(*handler.subjects == (std::vector<std::string>{"tls", "smtps"}));
}

BOOST_AUTO_TEST_CASE(openssl_s_client_starttls_smtp) {
    controller_type c{{}, tls_options(), {"127.0.0.1", 0}};
    c.start();
    auto result =
        run_command("sh -c \"printf 'EHLO s-client\\r\\nMAIL FROM:<a@b.c>\\r\\n"
                    "RCPT TO:<d@e.f>\\r\\nDATA\\r\\nSubject: s_client\\r\\n\\r\\nhi\\r\\n."
                    "\\r\\nQUIT\\r\\n' | openssl s_client -quiet -starttls smtp -connect "
                    "127.0.0.1:" +
                        std::to_string(c.port()) + "\"",
                    30);
    BOOST_TEST_INFO("openssl said: " << result.output);
    BOOST_TEST(result.output.find("250 OK over TLSv1.3") != std::string::npos);
    BOOST_TEST(result.output.find("221 Bye") != std::string::npos);
    BOOST_TEST(c.handler().count() == 1u);
}

BOOST_AUTO_TEST_CASE(curl_ssl_reqd_and_smtps) {
    controller_type starttls{{}, tls_options(), {"127.0.0.1", 0}};
    controller_type smtps{{}, tls_options(), {"127.0.0.1", 0, true}};
    starttls.start();
    smtps.start();
    std::string file = certificates::get().dir + "/curl-message.txt";
    std::ofstream(file) << "Subject: curl\r\n\r\nsent by curl\r\n";
    auto send = [&](const std::string& url) {
        return run_command(
            "curl --silent --show-error --insecure --ssl-reqd --url " + url +
                " --user alice:secret --mail-from a@example.com --mail-rcpt b@example.com"
                " --upload-file " +
                file,
            30);
    };
    auto plain = send("smtp://127.0.0.1:" + std::to_string(starttls.port()));
    BOOST_TEST_INFO("curl said: " << plain.output);
    BOOST_TEST(plain.exit_code == 0);
    auto implicit = send("smtps://127.0.0.1:" + std::to_string(smtps.port()));
    BOOST_TEST_INFO("curl said: " << implicit.output);
    BOOST_TEST(implicit.exit_code == 0);
    BOOST_TEST(starttls.handler().count() == 1u);
    BOOST_TEST(smtps.handler().count() == 1u);
}

BOOST_AUTO_TEST_CASE(swaks_tls_and_tlsc) {
    controller_type starttls{{}, tls_options(), {"127.0.0.1", 0}};
    controller_type smtps{{}, tls_options(), {"127.0.0.1", 0, true}};
    starttls.start();
    smtps.start();
    auto swaks = [](const std::string& how, std::uint16_t port) {
        return run_command("swaks " + how + " --server 127.0.0.1:" + std::to_string(port) +
                               " --auth PLAIN --auth-user alice --auth-password secret"
                               " --from a@example.com --to b@example.com --timeout 10",
                           30);
    };
    auto tls = swaks("--tls", starttls.port());
    BOOST_TEST_INFO("swaks said: " << tls.output);
    BOOST_TEST(tls.exit_code == 0);
    BOOST_TEST(tls.output.find("<~  250 OK over TLSv1.3") != std::string::npos);
    auto tlsc = swaks("--tlsc", smtps.port());
    BOOST_TEST_INFO("swaks said: " << tlsc.output);
    BOOST_TEST(tlsc.exit_code == 0);
    BOOST_TEST(smtps.handler().count() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
