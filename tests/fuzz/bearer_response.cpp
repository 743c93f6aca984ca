// libFuzzer target: the OAUTHBEARER and XOAUTH2 client responses (auth/bearer_response.hpp),
// as the client sends them after base64 decoding. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/auth/bearer_response.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace {

using smtp::auth::bearer_token;

// What a parsed response holds came from the input: no invented bytes, a token that is an
// RFC 6750 b64token, and no separator inside the pieces.
void check_result(const std::optional<bearer_token>& result, std::string_view text) {
    if (!result) return;
    FUZZ_CHECK(!result->token.empty());
    FUZZ_CHECK(result->token.size() < text.size());
    FUZZ_CHECK(text.find(result->token) != std::string_view::npos);
    FUZZ_CHECK(smtp::auth::bearer_detail::is_b64token(result->token));
    for (const std::string* piece : {&result->user, &result->token, &result->host, &result->port})
        FUZZ_CHECK(piece->find('\x01') == std::string::npos);
    FUZZ_CHECK(result->user.size() <= text.size());
    for (char c : result->user)
        FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    // Every response ends with the empty pair's separator.
    FUZZ_CHECK(text.ends_with("\x01\x01"));
}

bool same(const std::optional<bearer_token>& a, const std::optional<bearer_token>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a ||
           (a->user == b->user && a->token == b->token && a->host == b->host && a->port == b->port);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = smtp_fuzz::as_text(data, size);
    const auto oauthbearer = smtp::auth::parse_oauthbearer(text);
    check_result(oauthbearer, text);
    FUZZ_CHECK(same(smtp::auth::parse_oauthbearer(text), oauthbearer));
    // A GS2 header starts every OAUTHBEARER response.
    if (oauthbearer) FUZZ_CHECK(text.starts_with("n,") || text.starts_with("y,"));

    const auto xoauth2 = smtp::auth::parse_xoauth2(text);
    check_result(xoauth2, text);
    FUZZ_CHECK(same(smtp::auth::parse_xoauth2(text), xoauth2));
    if (xoauth2) {
        FUZZ_CHECK(text.starts_with("user="));
        FUZZ_CHECK(!xoauth2->user.empty());
    }
    // The two formats cannot both match one input.
    FUZZ_CHECK(!(oauthbearer && xoauth2));
    return 0;
}
