#include <smtp/server.hpp>

#include "fixture.hpp"
#include "run_command.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <mutex>
#include <string>

// PLAIN with an authorization identity (RFC 4616 authzid): alice's password, acting as bob.
// Refused unless the handler's authorize_proxy allows it; curl's --sasl-authzid sends one.

using smtp_test::run_command;

namespace {

struct authzid_accounts {
    std::shared_ptr<std::string> acting_as = std::make_shared<std::string>();
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();

    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& lp) {
        return lp.login == "alice" && lp.password == "secret" ? smtp::auth_result::accept()
                                                              : smtp::auth_result::reject();
    }
    smtp::reply handle_RCPT(smtp::connection&, smtp::session& s, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string>) {
        std::lock_guard lock(*mutex);
        *acting_as = s.login_data;
        env.rcpt_tos.emplace_back(address);
        return smtp::reply::ok();
    }
    std::string last() const {
        std::lock_guard lock(*mutex);
        return *acting_as;
    }
};

// alice may act for bob (a shared mailbox), and no one else.
struct proxying_accounts : authzid_accounts {
    boost::asio::awaitable<bool> authorize_proxy(smtp::connection&, smtp::session&,
                                                 std::string_view login, std::string_view authzid) {
        co_return login == "alice" && authzid == "bob";
    }
};

smtp::options authzid_options() {
    smtp::options o = smtp_test::test_options();
    o.auth_require_tls = false; // no TLS in these tests
    o.auth_failure_delay = {};
    return o;
}

smtp_test::command_result curl(std::uint16_t port, const std::string& authzid) {
    return run_command("sh -c 'printf \"Subject: x\\r\\n\\r\\nhi\\r\\n\" | curl -sv --max-time 10 "
                       "--url smtp://127.0.0.1:" +
                       std::to_string(port) +
                       " --mail-from alice@example.com --mail-rcpt bob@example.com --user "
                       "alice:secret --login-options AUTH=PLAIN --sasl-authzid " +
                       authzid + " -T - 2>&1'");
}

} // namespace

BOOST_AUTO_TEST_SUITE(plain_authzid)

BOOST_AUTO_TEST_CASE(refused_without_authorize_proxy) {
    smtp_test::running<authzid_accounts> r(authzid_options());
    auto out = curl(r.port(), "bob");
    BOOST_TEST_INFO("curl said: " << out.output);
    BOOST_TEST(out.exit_code != 0);
    BOOST_TEST(out.output.find("< 535 5.7.8") != std::string::npos);
    // Naming oneself is no proxy login.
    out = curl(r.port(), "alice");
    BOOST_TEST_INFO("curl said: " << out.output);
    BOOST_TEST(out.exit_code == 0);
    BOOST_TEST(r.handler().last() == "alice");
}

BOOST_AUTO_TEST_CASE(allowed_by_authorize_proxy) {
    smtp_test::running<proxying_accounts> r(authzid_options());
    auto out = curl(r.port(), "bob");
    BOOST_TEST_INFO("curl said: " << out.output);
    BOOST_TEST(out.exit_code == 0);
    BOOST_TEST(out.output.find("< 235 2.7.0") != std::string::npos);
    BOOST_TEST(r.handler().last() == "bob");
    out = curl(r.port(), "carol");
    BOOST_TEST_INFO("curl said: " << out.output);
    BOOST_TEST(out.exit_code != 0);
    BOOST_TEST(out.output.find("< 535 5.7.8") != std::string::npos);
    // A wrong password stays wrong whatever the authzid.
    auto c = r.ehloed();
    // "bob\0alice\0wrong"
    BOOST_TEST(c.command("AUTH PLAIN Ym9iAGFsaWNlAHdyb25n") ==
               "535 5.7.8 Authentication credentials invalid\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
