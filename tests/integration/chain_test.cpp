#include <smtp/handlers/chain.hpp>

#include "temp_dir.hpp"
#include "unit/reply_printer.hpp"

#include <smtp/client/sendmail.hpp>
#include <smtp/controller.hpp>
#include <smtp/handlers/debugging.hpp>
#include <smtp/handlers/mailbox.hpp>
#include <smtp/server.hpp>

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>

// A chain served by a real server: Debugging prints and Mailbox stores the same message; a
// failing member stops it before the Maildir.

using smtp_test::names_in;
using smtp_test::temp_dir;

namespace {

// Refuses messages that say "spam"; says nothing otherwise.
struct spam_filter {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>& env) {
        if (env.original_content.find("spam") != std::string::npos)
            return {550, "5.7.1 Looks like spam"};
        return smtp::reply::ok();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(chain)

BOOST_AUTO_TEST_CASE(debugging_and_mailbox_on_one_message) {
    temp_dir dir;
    std::ostringstream printed; // written on the server's thread, read after stop()
    using both = smtp::handlers::chain<smtp::handlers::debugging, smtp::handlers::mailbox>;
    smtp::controller<smtp::server<both>> c{
        both{smtp::handlers::debugging{printed}, smtp::handlers::mailbox{dir.path}},
        {.hostname = "mx.test"},
        {"127.0.0.1", 0}};
    c.start();
    auto result = smtp::sendmail("127.0.0.1", c.port(), "a@example.com", {"b@example.com"},
                                 "Subject: twice\r\n\r\nbody\r\n");
    c.stop();
    BOOST_TEST(result.data == smtp::reply::ok());
    BOOST_TEST(printed.str().find("Subject: twice\n") != std::string::npos);
    BOOST_TEST(names_in(dir.path / "new").size() == 1u);
}

BOOST_AUTO_TEST_CASE(first_failure_wins) {
    temp_dir dir;
    using filtered = smtp::handlers::chain<spam_filter, smtp::handlers::mailbox>;
    smtp::controller<smtp::server<filtered>> c{
        filtered{{}, smtp::handlers::mailbox{dir.path}}, {.hostname = "mx.test"}, {"127.0.0.1", 0}};
    c.start();
    auto spam = smtp::sendmail("127.0.0.1", c.port(), "a@example.com", {"b@example.com"},
                               "Subject: buy spam\r\n\r\nnow\r\n");
    auto ham = smtp::sendmail("127.0.0.1", c.port(), "a@example.com", {"b@example.com"},
                              "Subject: lunch\r\n\r\nnoon\r\n");
    c.stop();
    BOOST_TEST(spam.data == (smtp::reply{550, "5.7.1 Looks like spam"}));
    BOOST_TEST(ham.data == smtp::reply::ok());
    BOOST_TEST(names_in(dir.path / "new").size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
