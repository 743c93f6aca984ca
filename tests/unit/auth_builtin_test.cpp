#include <smtp/auth/builtin.hpp>

#include <boost/test/unit_test.hpp>

#include <optional>
#include <sstream>
#include <string>

// Decoding what SASL PLAIN clients send, hostile input included.

using smtp::auth::parse_plain_response;

BOOST_AUTO_TEST_SUITE(sasl)

BOOST_AUTO_TEST_CASE(parse_plain_table) {
    struct row {
        std::string value;
        std::optional<std::pair<std::string, std::string>> expected;
    };
    const row rows[] = {
        {std::string("\0alice\0secret", 13), {{"alice", "secret"}}},
        {std::string("admin\0alice\0secret", 18), {{"alice", "secret"}}}, // authzid: below
        {std::string("\0\0", 2), {{"", ""}}},                             // empty parts
        {std::string("\0alice\0", 7), {{"alice", ""}}},
        {std::string("\0al\xffice\0s\x80", 10), {{"al\xffice", "s\x80"}}}, // bytes kept as sent
        {"", std::nullopt},
        {"alice", std::nullopt},
        {std::string("\0alice", 6), std::nullopt},
        {std::string("\0a\0b\0", 5), std::nullopt}, // four parts
        {std::string("\0\0\0\0", 4), std::nullopt},
    };
    for (const auto& r : rows) {
        auto parsed = parse_plain_response(r.value);
        BOOST_TEST(parsed.has_value() == r.expected.has_value());
        if (parsed && r.expected) {
            BOOST_TEST(parsed->login == r.expected->first);
            BOOST_TEST(parsed->password == r.expected->second);
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_plain_authzid) {
    auto parsed = parse_plain_response(std::string("admin\0alice\0secret", 18));
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->authzid == "admin");
    parsed = parse_plain_response(std::string("\0alice\0secret", 13));
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->authzid.empty());
}

BOOST_AUTO_TEST_CASE(parse_plain_overlong) {
    std::string value =
        std::string(1, '\0') + std::string(100000, 'u') + '\0' + std::string(100000, 'p');
    auto parsed = parse_plain_response(value);
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->login.size() == 100000u);
    BOOST_TEST(parsed->password.size() == 100000u);
}

BOOST_AUTO_TEST_CASE(login_password_never_prints_password) {
    std::ostringstream out;
    out << smtp::login_password{"alice", "secret"};
    BOOST_TEST(out.str() == "login_password(login='alice', password=...)");
}

BOOST_AUTO_TEST_CASE(mechanism_names_validated) {
    static_assert(smtp::auth::valid_mechanism_name("CRAM-MD5"));
    static_assert(smtp::auth::valid_mechanism_name("SCRAM-SHA-256-PLUS"));
    static_assert(!smtp::auth::valid_mechanism_name("plain"));
    static_assert(!smtp::auth::valid_mechanism_name(""));
    static_assert(!smtp::auth::valid_mechanism_name("A-NAME-LONGER-THAN-20"));
    BOOST_TEST(smtp::auth::valid_mechanism_name("X_TOKEN"));
}

BOOST_AUTO_TEST_SUITE_END()
