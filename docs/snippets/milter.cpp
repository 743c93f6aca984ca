// docs/milter.md: filters in front of the Maildir handler, compiled (not run) by the build so
// that the guide cannot drift from the headers.
#include <smtp/handlers/mailbox.hpp>
#include <smtp/handlers/milter.hpp>
#include <smtp/server.hpp>

#include <chrono>

void serve_filtered_mailbox() {
    // [milter-compose]
    smtp::milter::config filters;
    filters.filters.push_back(smtp::milter::filter_address::parse("unix:/run/opendkim/dkim.sock"));
    filters.filters.push_back(smtp::milter::filter_address::parse("inet:127.0.0.1:11332"));
    filters.default_action = smtp::milter::default_action::tempfail;
    filters.limits.command = std::chrono::seconds(30);

    using filtered = smtp::handlers::milter<smtp::handlers::mailbox>;
    smtp::server<filtered> server{filtered{smtp::handlers::mailbox{"/var/mail/in"}, filters}};
    // [milter-compose]
}
