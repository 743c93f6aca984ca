#include <smtp/tls.hpp>

#include "certificates.hpp"
#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

// The handler's select_certificate hook chooses the certificate by the name the client asks
// for, at handshake time, over the context's own SNI list.

using smtp_test::certificates;

namespace {

// Per-domain certificates, as a directory of them would be; "broken.test" throws.
struct per_domain {
    std::shared_ptr<std::map<std::string, std::shared_ptr<smtp::tls_context>>> by_name =
        std::make_shared<std::map<std::string, std::shared_ptr<smtp::tls_context>>>();
    std::shared_ptr<std::atomic<int>> asked = std::make_shared<std::atomic<int>>(0);
    std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();

    void set(const std::string& name, std::shared_ptr<smtp::tls_context> context) {
        std::lock_guard lock(*mutex);
        (*by_name)[name] = std::move(context);
    }
    std::shared_ptr<smtp::tls_context> select_certificate(std::string_view name) {
        ++*asked;
        if (name == "broken.test") throw std::runtime_error("no certificate store");
        std::lock_guard lock(*mutex);
        auto it = by_name->find(std::string(name));
        return it == by_name->end() ? nullptr : it->second;
    }
};

using smtp_test::tls_options;

std::string served_subject(smtp_test::running<per_domain>& r, const std::string& name) {
    auto c = r.ehloed();
    BOOST_TEST_REQUIRE(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
    c.start_tls(name);
    auto subject = c.server_certificate_subject();
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
    return subject;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sni_hook)

BOOST_AUTO_TEST_CASE(handler_chooses_by_name) {
    const auto& certs = certificates::get();
    per_domain handler;
    handler.set("other.test", smtp::tls_context::from_files(certs.other_cert, certs.other_key));
    smtp_test::running<per_domain> r(tls_options(), handler);
    BOOST_TEST(served_subject(r, "other.test") == "/CN=other.test");
    BOOST_TEST(served_subject(r, "OTHER.test") == "/CN=other.test"); // lower-cased first
    BOOST_TEST(served_subject(r, "unknown.test") == "/CN=mx.test");  // null: the default
    BOOST_TEST(served_subject(r, "") == "/CN=mx.test");              // no name: not asked
    BOOST_TEST(handler.asked->load() == 3);
}

// The hook's choice can change while serving: the next handshake sees it.
BOOST_AUTO_TEST_CASE(choice_follows_the_handler) {
    const auto& certs = certificates::get();
    per_domain handler;
    smtp_test::running<per_domain> r(tls_options(), handler);
    BOOST_TEST(served_subject(r, "other.test") == "/CN=mx.test");
    handler.set("other.test", smtp::tls_context::from_files(certs.other_cert, certs.other_key));
    BOOST_TEST(served_subject(r, "other.test") == "/CN=other.test");
}

BOOST_AUTO_TEST_CASE(a_throwing_hook_fails_the_handshake) {
    smtp_test::running<per_domain> r(tls_options());
    auto c = r.ehloed();
    BOOST_TEST_REQUIRE(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
    BOOST_CHECK_THROW(c.start_tls("broken.test"), boost::system::system_error);
    // The server goes on.
    BOOST_TEST(served_subject(r, "mx.test") == "/CN=mx.test");
}

BOOST_AUTO_TEST_SUITE_END()
