#ifndef SMTP_TESTS_REFUSING_RULES_HPP
#define SMTP_TESTS_REFUSING_RULES_HPP

// The MAIL and RCPT rules of the servers the client and proxy tests talk to, as a mixin: the
// sender "blocked@*" gets 550, recipients "refuse*" get 550 and "later*" 451; everything else is
// recorded as the default behaviour records it.

#include <smtp/server.hpp>

#include <span>
#include <string>
#include <string_view>

namespace smtp_test {

struct refusing_rules {
    smtp::reply handle_MAIL(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (address.starts_with("blocked@")) return {550, "5.7.1 Sender blocked"};
        env.set_sender(address, options);
        return smtp::reply::ok();
    }
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (address.starts_with("refuse")) return {550, "5.1.1 No such user"};
        if (address.starts_with("later")) return {451, "4.2.0 Try later"};
        env.add_recipient(address, options);
        return smtp::reply::ok();
    }
};

} // namespace smtp_test

#endif
