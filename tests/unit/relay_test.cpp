#include <smtp/handlers/relay.hpp>

#include "reply_printer.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

// handlers::relay without sockets: aiosmtpd's X-Peer insertion, the reply for each outcome,
// and the command-line arguments. Relaying is tested in tests/integration/proxy_test.cpp.

using proxy_handler = smtp::handlers::relay;

namespace {

smtp::send_result result_of(std::vector<smtp::reply> rcpts, smtp::reply data = {250, "2.0.0 ok"},
                            smtp::reply mail = smtp::reply::ok()) {
    smtp::send_result r;
    r.mail = mail;
    for (std::size_t i = 0; i < rcpts.size(); ++i)
        r.recipients.push_back({"r" + std::to_string(i) + "@example.com", rcpts[i]});
    bool any = false;
    for (const auto& x : rcpts)
        any = any || x.positive();
    if (mail.positive() && any) r.data = data;
    return r;
}

const smtp::reply accepted = smtp::reply::ok();
const smtp::reply no_user{550, "5.1.1 No such user"};
const smtp::reply later{451, "4.2.0 Try later"};

} // namespace

BOOST_AUTO_TEST_SUITE(proxy)

// aiosmtpd's Proxy.handle_DATA, case by case (bytes.splitlines keeps CRLF, CR and LF).
BOOST_AUTO_TEST_CASE(add_peer_as_aiosmtpd) {
    struct row {
        std::string content, expected;
    };
    std::vector<row> table = {
        {"Subject: x\r\n\r\nbody\r\n", "Subject: x\r\nX-Peer: 10.0.0.1\r\n\r\nbody\r\n"},
        {"A: 1\nB: 2\n\nbody\n", "A: 1\nB: 2\nX-Peer: 10.0.0.1\n\nbody\n"},
        {"A: 1\r\rbody", "A: 1\rX-Peer: 10.0.0.1\r\rbody"},
        // No empty line: before the last line, with CRLF.
        {"A: 1\r\nB: 2\r\n", "A: 1\r\nX-Peer: 10.0.0.1\r\nB: 2\r\n"},
        {"only line", "X-Peer: 10.0.0.1\r\nonly line"},
        {"", "X-Peer: 10.0.0.1\r\n"},
        // The first empty line wins; a later one is body.
        {"\r\nbody\r\n\r\n", "X-Peer: 10.0.0.1\r\n\r\nbody\r\n\r\n"},
    };
    for (const auto& r : table)
        BOOST_TEST(proxy_handler::add_peer(r.content, "10.0.0.1") == r.expected);
}

BOOST_AUTO_TEST_CASE(summarize_every_outcome) {
    // Everything taken.
    BOOST_TEST(proxy_handler::summarize(result_of({accepted, accepted})) == accepted);
    // Some refused: 250, saying how many.
    BOOST_TEST(proxy_handler::summarize(result_of({accepted, no_user, later})) ==
               (smtp::reply{250, "OK (2 of 3 recipients refused upstream)"}));
    // All refused permanently: 554 with the first refusal's text.
    BOOST_TEST(proxy_handler::summarize(result_of({no_user, {553, "5.1.3 Bad address"}})) ==
               (smtp::reply{554, "5.1.1 No such user"}));
    // All refused, one temporarily: 451, so the client retries.
    BOOST_TEST(proxy_handler::summarize(result_of({no_user, later})) ==
               (smtp::reply{451, "4.2.0 Try later"}));
    // MAIL refused: codes valid after DATA pass, others are mapped by class.
    BOOST_TEST(proxy_handler::summarize(result_of({}, {}, {550, "5.7.1 Sender blocked"})) ==
               (smtp::reply{550, "5.7.1 Sender blocked"}));
    BOOST_TEST(proxy_handler::summarize(result_of({}, {}, {553, "5.1.8 Bad sender"})) ==
               (smtp::reply{554, "5.1.8 Bad sender"}));
    BOOST_TEST(proxy_handler::summarize(result_of({}, {}, {421, "4.3.2 Closing"})) ==
               (smtp::reply{451, "4.3.2 Closing"}));
    // The message refused.
    BOOST_TEST(proxy_handler::summarize(result_of({accepted}, {552, "5.3.4 Too big"})) ==
               (smtp::reply{552, "5.3.4 Too big"}));
    BOOST_TEST(proxy_handler::summarize(result_of({accepted}, {503, "5.5.1 Bad sequence"})) ==
               (smtp::reply{554, "5.5.1 Bad sequence"}));
}

BOOST_AUTO_TEST_CASE(from_cli_takes_host_and_port) {
    auto check = [](std::vector<std::string> args, const std::string& message) {
        try {
            proxy_handler::from_cli(args);
            BOOST_ERROR("no usage_error");
        } catch (const smtp::usage_error& e) {
            BOOST_TEST(e.what() == message);
        }
    };
    check({}, "The remote host and port are required");
    check({"mx.example.com"}, "The remote host and port are required");
    check({"mx.example.com", "25", "x"}, "Too many arguments for Proxy handler");
    for (std::string port : {"x", "0", "65536", "25x", "-1", ""})
        check({"mx.example.com", port}, "Invalid port number: " + port);
    std::vector<std::string> good{"mx.example.com", "2525"};
    auto p = proxy_handler::from_cli(good);
    BOOST_TEST(p.remote_host() == "mx.example.com");
    BOOST_TEST(p.remote_port() == 2525);
    static_assert(std::string_view(proxy_handler::cli_name) == "Proxy");
}

BOOST_AUTO_TEST_SUITE_END()
