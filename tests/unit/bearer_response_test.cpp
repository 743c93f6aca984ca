#include <smtp/auth/bearer_response.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>
#include <sstream>
#include <string>

// Parsing the OAUTHBEARER (RFC 7628) and XOAUTH2 client responses, hostile input included.

using smtp::auth::parse_oauthbearer;
using smtp::auth::parse_xoauth2;

BOOST_AUTO_TEST_SUITE(bearer_response)

BOOST_AUTO_TEST_CASE(oauthbearer_rfc7628_example) {
    // RFC 7628 §4.1.
    auto parsed =
        parse_oauthbearer("n,a=user@example.com,\x01host=server.example.com\x01"
                          "port=143\x01"
                          "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->user == "user@example.com");
    BOOST_TEST(parsed->token == "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    BOOST_TEST(parsed->host == "server.example.com");
    BOOST_TEST(parsed->port == "143");
}

BOOST_AUTO_TEST_CASE(oauthbearer_table) {
    struct row {
        std::string response;
        std::optional<std::pair<std::string, std::string>> expected; // user, token
    };
    const row rows[] = {
        {"n,,\x01"
         "auth=Bearer abc\x01\x01",
         {{"", "abc"}}}, // no authzid
        {"y,a=u,\x01"
         "auth=bearer  t.o-k_e~n+/==\x01\x01",
         {{"u", "t.o-k_e~n+/=="}}},
        {"n,a=a=2Cb=3Dc,\x01"
         "auth=Bearer x\x01\x01",
         {{"a,b=c", "x"}}}, // saslname escapes
        {"n,,\x01"
         "ext=1\x01"
         "auth=Bearer x\x01\x01",
         {{"", "x"}}}, // other keys ignored
        {"p=tls-unique,,\x01"
         "auth=Bearer x\x01\x01",
         std::nullopt}, // channel binding
        {"n,a=u,\x01"
         "auth=Bearer x\x01",
         std::nullopt},                   // no final separator
        {"n,a=u,\x01\x01", std::nullopt}, // no auth
        {"n,a=u,\x01"
         "auth=Basic x\x01\x01",
         std::nullopt}, // another scheme
        {"n,a=u,\x01"
         "auth=Bearer \x01\x01",
         std::nullopt}, // no token
        {"n,a=u,\x01"
         "auth=Bearer a b\x01\x01",
         std::nullopt}, // not a b64token
        {"n,a=u,\x01"
         "auth=Bearer x\x01"
         "auth=Bearer y\x01\x01",
         std::nullopt}, // twice
        {"n,a=u=2X,\x01"
         "auth=Bearer x\x01\x01",
         std::nullopt}, // bad escape
        {"n,a=u\x01v,\x01"
         "auth=Bearer x\x01\x01",
         std::nullopt}, // control character
        {"n,b=u,\x01"
         "auth=Bearer x\x01\x01",
         std::nullopt}, // not a=
        {"n,a=u,\x01"
         "1=2\x01"
         "auth=Bearer x\x01\x01",
         std::nullopt}, // key not ALPHA
        {"n,a=u,\x01"
         "auth=Bearer x\x01\x01\x01",
         std::nullopt}, // trailing octet
        {"", std::nullopt},
        {"n", std::nullopt},
        {"n,", std::nullopt},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.response) {
            auto parsed = parse_oauthbearer(r.response);
            BOOST_TEST(parsed.has_value() == r.expected.has_value());
            if (parsed && r.expected) {
                BOOST_TEST(parsed->user == r.expected->first);
                BOOST_TEST(parsed->token == r.expected->second);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(xoauth2_table) {
    auto parsed =
        parse_xoauth2("user=someuser@example.com\x01"
                      "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg\x01\x01");
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->user == "someuser@example.com");
    BOOST_TEST(parsed->token == "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg");
    for (const char* bad : {"user=\x01"
                            "auth=Bearer x\x01\x01",
                            "auth=Bearer x\x01\x01",
                            "user=u\x01"
                            "auth=Bearer x\x01",
                            "user=u\x01\x01",
                            "user=u\r\n\x01"
                            "auth=Bearer x\x01\x01",
                            "user=u"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!parse_xoauth2(bad).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(printing_masks_the_token) {
    smtp::auth::bearer_token t{"alice", "secret-token"};
    std::ostringstream out;
    out << t;
    BOOST_TEST(out.str() == "bearer_token(user='alice', token=...)");
}

BOOST_AUTO_TEST_SUITE_END()
