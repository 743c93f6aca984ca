#ifndef SMTP_TESTS_FIXTURE_HPP
#define SMTP_TESTS_FIXTURE_HPP

// What the loopback tests share, written once as go-smtp's server_test.go has it: a server on a
// free port of 127.0.0.1 (`running`), clients at each step of a session (connected, greeted,
// EHLO'd, authenticated), a handler that records what its hooks saw (`recorder`), and the
// MAIL/RCPT rules of the servers the client and proxy tests talk to (`refusing_rules`).

#include "certificates.hpp"
#include "test_client.hpp"

#include <smtp/client/sendmail.hpp>
#include <smtp/controller.hpp>
#include <smtp/detail/base64.hpp>
#include <smtp/server.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtp_test {

/// The options most tests start from: a known host name, so replies are known byte for byte.
inline smtp::options test_options() {
    smtp::options o;
    o.hostname = "mx.test";
    return o;
}

/// test_options() with STARTTLS offered, on the mx.test certificate (certificates.hpp).
inline smtp::options tls_options() {
    const auto& certs = certificates::get();
    smtp::options o = test_options();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    return o;
}

/// 127.0.0.1 on a free port; TLS from the first byte with `implicit_tls`.
inline smtp::listen_address loopback(bool implicit_tls = false) {
    return {"127.0.0.1", 0, implicit_tls};
}

/// What AUTH PLAIN sends for `login` and `password` (no authorization identity), base64-encoded.
inline std::string plain_response(std::string_view login, std::string_view password) {
    std::string raw;
    raw.append(1, '\0').append(login).append(1, '\0').append(password);
    return smtp::detail::base64_encode(raw);
}

/// A server on its own thread (an smtp::controller), serving from construction until
/// destruction.
template <class Handler, class AuthPolicy = smtp::auth::builtin,
          class DecodePolicy = smtp::decode::bytes>
struct running {
    smtp::controller<smtp::server<Handler, AuthPolicy, DecodePolicy>> controller;

    explicit running(smtp::options o = test_options(), Handler h = {},
                     smtp::listen_address where = loopback())
        : controller(std::move(h), std::move(o), std::move(where)) {
        controller.start();
    }

    std::uint16_t port() const { return controller.port(); }
    Handler& handler() { return controller.handler(); }

    /// A client connected over TCP, nothing read yet.
    test_client connected() const { return test_client(port()); }

    /// A client that has read the greeting, `220 <hostname> ...`.
    test_client greeted() {
        test_client c = connected();
        BOOST_TEST_REQUIRE(
            c.read_reply().starts_with("220 " + controller.server().hostname() + " "));
        return c;
    }

    /// A greeted client that has said EHLO and had a 250.
    test_client ehloed(std::string_view name = "client") {
        test_client c = greeted();
        BOOST_TEST_REQUIRE(c.command("EHLO " + std::string(name)).starts_with("250"));
        return c;
    }

    /// An EHLO'd client that has logged in with AUTH PLAIN.
    test_client authenticated(std::string_view login, std::string_view password) {
        test_client c = ehloed();
        BOOST_TEST_REQUIRE(c.command("AUTH PLAIN " + plain_response(login, password)) ==
                           "235 2.7.0 Authentication successful\r\n");
        return c;
    }

    /// Sends one message with the library's own client (smtp::sendmail).
    smtp::send_result sendmail(const std::vector<std::string>& rcpts = {"bart@example.com"},
                               const std::string& content = "Subject: hi\r\n\r\nbody\r\n",
                               const std::string& from = "anne@example.com") {
        return smtp::sendmail("127.0.0.1", port(), from, rcpts, content);
    }
};

/// What handle_DATA saw: a copy of the envelope, and facts of the session.
struct delivery : smtp::envelope<> {
    std::string helo;      ///< session.host_name
    std::string peer_host; ///< session.peer.host
    bool tls = false;
    bool authenticated = false;
};

/// Records what its hooks saw: every message handle_DATA got (answered `data_reply`), and the
/// conversation as the trace hook sees it, one "event:bytes" string per call. Copies share what
/// they record; the hooks run on the server's thread, the accessors on the test's.
struct recorder {
    struct state {
        std::mutex mutex;
        std::vector<delivery> deliveries;
        std::vector<std::string> events;
    };
    std::shared_ptr<state> seen = std::make_shared<state>();
    smtp::reply data_reply = smtp::reply::ok();

    smtp::reply handle_DATA(smtp::connection&, smtp::session& s, smtp::envelope<>& env) {
        delivery d;
        static_cast<smtp::envelope<>&>(d) = env;
        d.helo = s.host_name;
        d.peer_host = s.peer.host;
        d.tls = s.ssl != nullptr;
        d.authenticated = s.authenticated;
        std::lock_guard lock(seen->mutex);
        seen->deliveries.push_back(std::move(d));
        return data_reply;
    }
    void trace(const smtp::connection&, smtp::trace_event event, std::string_view bytes) {
        static constexpr const char* names[] = {"connected", "command", "data", "reply", "closed"};
        std::lock_guard lock(seen->mutex);
        seen->events.push_back(std::string(names[int(event)]) + ":" + std::string(bytes));
    }

    std::vector<delivery> deliveries() const {
        std::lock_guard lock(seen->mutex);
        return seen->deliveries;
    }
    /// What each message's handle_DATA saw as its content.
    std::vector<std::string> contents() const {
        std::lock_guard lock(seen->mutex);
        std::vector<std::string> out;
        for (const auto& d : seen->deliveries)
            out.emplace_back(d.content);
        return out;
    }
    std::vector<std::string> events() const {
        std::lock_guard lock(seen->mutex);
        return seen->events;
    }
    /// The trace calls of one kind ("reply", "command", ...).
    std::size_t count(std::string_view event) const {
        std::lock_guard lock(seen->mutex);
        std::size_t n = 0;
        for (const auto& e : seen->events)
            n += e.starts_with(event) && e.size() > event.size() && e[event.size()] == ':';
        return n;
    }
};

/// The MAIL and RCPT rules of the servers the client and proxy tests talk to, as a mixin: the
/// sender "blocked@*" gets 550, recipients "refuse*" get 550 and "later*" 451; everything else is
/// recorded as the default behaviour records it. Logins: user/secret.
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
    smtp::auth_result authenticate(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                   std::string_view, const smtp::login_password& lp) {
        if (lp.login == "user" && lp.password == "secret") return smtp::auth_result::accept();
        return smtp::auth_result::reject();
    }
};

} // namespace smtp_test

#endif
