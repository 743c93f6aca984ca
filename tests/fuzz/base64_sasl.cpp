// libFuzzer target: SASL decoding: detail::base64_decode / base64_encode and
// auth::parse_plain_response (PLAIN's `authzid NUL authcid NUL password`). The input is used both
// as base64 text (what AUTH lines carry) and as raw bytes. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/auth/builtin.hpp>
#include <smtp/detail/base64.hpp>

#include <string>
#include <string_view>

namespace {

using smtp::detail::base64_alphabet;
using smtp::detail::base64_decode;
using smtp::detail::base64_encode;

void check_encoding(std::string_view bytes) {
    const std::string text = base64_encode(bytes);
    FUZZ_CHECK(text.size() == (bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < text.size(); ++i)
        FUZZ_CHECK(base64_alphabet.find(text[i]) != std::string_view::npos ||
                   (text[i] == '=' && i + 2 >= text.size()));
    const auto back = base64_decode(text);
    FUZZ_CHECK(back.has_value());
    FUZZ_CHECK(*back == bytes);
}

void check_plain(std::string_view value) {
    const auto credentials = smtp::auth::parse_plain_response(value);
    std::size_t nuls = 0;
    for (char c : value)
        nuls += c == '\0';
    // Exactly two NULs split it; anything else is refused.
    FUZZ_CHECK(credentials.has_value() == (nuls == 2));
    if (!credentials) return;
    FUZZ_CHECK(credentials->login.find('\0') == std::string::npos);
    FUZZ_CHECK(credentials->password.find('\0') == std::string::npos);
    // authzid NUL login NUL password.
    FUZZ_CHECK(credentials->authzid.find('\0') == std::string::npos);
    std::string rebuilt(credentials->authzid);
    rebuilt.append(1, '\0')
        .append(credentials->login)
        .append(1, '\0')
        .append(credentials->password);
    FUZZ_CHECK(rebuilt == value);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = smtp_fuzz::as_text(data, size);

    // As base64 text: decoding is strict, and what it accepts re-encodes to a text that decodes
    // to the same bytes (not always the same text: unused bits before '=' are ignored).
    const auto decoded = base64_decode(input);
    if (decoded) {
        FUZZ_CHECK(input.size() % 4 == 0);
        FUZZ_CHECK(decoded->size() <= input.size() / 4 * 3);
        FUZZ_CHECK(decoded->size() + 2 >= input.size() / 4 * 3);
        const std::string again = base64_encode(*decoded);
        const auto twice = base64_decode(again);
        FUZZ_CHECK(twice.has_value() && *twice == *decoded);
        if (input.find('=') == std::string_view::npos) FUZZ_CHECK(again == input);
        check_plain(*decoded);
    } else {
        // Only the alphabet and final padding decode; a refused text is not one of those.
        bool canonical_shape = input.size() % 4 == 0;
        for (char c : input)
            if (base64_alphabet.find(c) == std::string_view::npos && c != '=')
                canonical_shape = false;
        if (canonical_shape && input.find('=') == std::string_view::npos)
            FUZZ_CHECK(false); // all-alphabet text of a multiple of 4 must decode
    }
    FUZZ_CHECK(base64_decode(input) == decoded);

    // As raw bytes: encoding round-trips, and PLAIN's split is exact.
    check_encoding(input);
    check_plain(input);
    return 0;
}
