#include <smtp/detail/base64.hpp>

#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

using smtp::detail::base64_decode;
using smtp::detail::base64_encode;

BOOST_AUTO_TEST_SUITE(base64)

BOOST_AUTO_TEST_CASE(encode_rfc4648_vectors) {
    const std::pair<std::string, std::string> rows[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {std::string("User Name\0", 10), "VXNlciBOYW1lAA=="},
        {std::string("Password\0", 9), "UGFzc3dvcmQA"},
    };
    for (const auto& [plain, encoded] : rows) {
        BOOST_TEST(base64_encode(plain) == encoded);
        BOOST_TEST(base64_decode(encoded).value_or("<none>") == plain);
    }
}

// What Python's b64decode(validate=True) rejects, rejected here too.
BOOST_AUTO_TEST_CASE(decode_rejects_hostile_input) {
    const char* rows[] = {"=",    "Zg",   "Zg=",      "Zm9v\r\n", " Zm9v",   "Zm9v ", "Zm=v",
                          "Z===", "====", "Zm9v!A==", "Zg==Zg==", "Zm9\x80", "AAA*"};
    for (const char* text : rows)
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(!base64_decode(text));
        }
}

BOOST_AUTO_TEST_CASE(decode_keeps_embedded_nuls) {
    auto decoded = base64_decode("AHVzZXIAcGFzcw=="); // "\0user\0pass"
    BOOST_TEST_REQUIRE(decoded.has_value());
    BOOST_TEST(*decoded == std::string("\0user\0pass", 10));
}

BOOST_AUTO_TEST_CASE(round_trip_random_bytes) {
    std::mt19937 rng(42);
    for (int i = 0; i < 2000; ++i) {
        std::string bytes(rng() % 64, '\0');
        for (char& c : bytes)
            c = char(rng());
        BOOST_TEST(base64_decode(base64_encode(bytes)).value_or("<none>") == bytes);
    }
}

BOOST_AUTO_TEST_SUITE_END()
