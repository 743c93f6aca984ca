#include <smtp/decode.hpp>

#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <mutex>
#include <string>
#include <vector>

// A user's own DecodePolicy: envelope.content becomes a parsed header list, and a message the
// policy cannot parse is refused with its reply.

namespace {

struct parsed_message {
    std::vector<std::string> header_names;
    std::string_view body;
};

struct header_policy {
    using content_type = parsed_message;
    static constexpr bool eight_bit_mime = true;
    static smtp::reply decode(std::string_view original, parsed_message& out, bool) {
        out = {};
        for (;;) {
            auto end = original.find("\r\n");
            if (end == std::string_view::npos) return {554, "5.6.0 No header/body separator"};
            std::string_view line = original.substr(0, end);
            original.remove_prefix(end + 2);
            if (line.empty()) break;
            auto colon = line.find(':');
            if (colon == std::string_view::npos) return {554, "5.6.0 Malformed header"};
            out.header_names.emplace_back(line.substr(0, colon));
        }
        out.body = original;
        return {};
    }
};

struct header_recorder {
    std::shared_ptr<std::vector<parsed_message>> seen =
        std::make_shared<std::vector<parsed_message>>();
    std::shared_ptr<std::vector<std::string>> bodies = std::make_shared<std::vector<std::string>>();
    smtp::reply handle_DATA(smtp::connection&, smtp::session&,
                            smtp::envelope<parsed_message>& env) {
        seen->push_back(env.content);
        bodies->emplace_back(env.content.body);
        return smtp::reply::ok();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(decode_policy)

BOOST_AUTO_TEST_CASE(user_policy_parses_content) {
    smtp_test::running<header_recorder, smtp::auth::builtin, header_policy> r;
    auto client = r.greeted();
    client.command("EHLO x");
    client.command("MAIL FROM:<a@b.c>");
    client.command("RCPT TO:<d@e.f>");
    client.command("DATA");
    BOOST_TEST(client.command("Subject: hi\r\nFrom: a@b.c\r\n\r\nbody\r\n.") == "250 OK\r\n");
    client.command("MAIL FROM:<a@b.c>");
    client.command("RCPT TO:<d@e.f>");
    client.command("DATA");
    BOOST_TEST(client.command("no colon here\r\n\r\nbody\r\n.") ==
               "554 5.6.0 Malformed header\r\n");
    // The refused message ended the transaction.
    BOOST_TEST(client.command("RCPT TO:<d@e.f>") == "503 Error: need MAIL command\r\n");
    r.controller.stop();
    BOOST_TEST_REQUIRE(r.handler().seen->size() == 1u);
    BOOST_TEST(r.handler().seen->at(0).header_names ==
               (std::vector<std::string>{"Subject", "From"}));
    BOOST_TEST(r.handler().bodies->at(0) == "body\r\n");
}

// decode::utf8 over a socket: aiosmtpd's decode_data=True.
BOOST_AUTO_TEST_CASE(utf8_policy_with_smtputf8) {
    smtp::options o = smtp_test::test_options();
    o.enable_smtputf8 = true;
    smtp_test::running<smtp_test::recorder, smtp::auth::builtin, smtp::decode::utf8> r(o);
    auto client = r.greeted();
    BOOST_TEST(client.command("EHLO x") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-SMTPUTF8\r\n250 HELP\r\n");
    client.command("MAIL FROM:<a@b.c> SMTPUTF8");
    client.command("RCPT TO:<d@e.f>");
    client.command("DATA");
    BOOST_TEST(client.command("Gr\xc3\xbc\xc3\x9f"
                              "e\r\n.") == "250 OK\r\n");
    r.controller.stop();
    BOOST_TEST(r.handler().contents() == (std::vector<std::string>{"Gr\xc3\xbc\xc3\x9f"
                                                                   "e\r\n"}));
}

BOOST_AUTO_TEST_SUITE_END()
