// libFuzzer target: MAIL FROM / RCPT TO address parsing (detail::parse_address). The input is
// the text after "FROM:" or "TO:". See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/detail/address.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace {

using smtp::detail::parse_address;
using smtp::detail::parsed_address;

void check_result(const std::optional<parsed_address>& result, std::string_view text) {
    if (!result) return;
    // The remainder is a view of the end of the input, never a copy or a view elsewhere.
    FUZZ_CHECK(smtp_fuzz::is_suffix_view(result->rest, text));
    if (text.empty()) FUZZ_CHECK(result->address.empty());
    // The normalised address never grows past what quoting and `""` can add to the input.
    FUZZ_CHECK(result->address.size() <= 2 * text.size() + 4);
}

bool same(const std::optional<parsed_address>& a, const std::optional<parsed_address>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->address == b->address && a->rest.data() == b->rest.data() &&
                  a->rest.size() == b->rest.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = smtp_fuzz::as_text(data, size);

    const auto unlimited = parse_address(text, 0);
    check_result(unlimited, text);
    // Deterministic: a second parse gives the same result.
    FUZZ_CHECK(same(parse_address(text, 0), unlimited));

    for (std::size_t limit : {std::size_t(1), std::size_t(5), std::size_t(64)}) {
        const auto limited = parse_address(text, limit);
        check_result(limited, text);
        FUZZ_CHECK(same(parse_address(text, limit), limited));
        // The limit only refuses: what passes with it is what passes without it.
        if (limited) FUZZ_CHECK(same(limited, unlimited));
        // And it only refuses a local part longer than the limit, counted in code points, of
        // which there are never more than octets.
        if (unlimited && !limited) {
            const std::size_t at = unlimited->address.rfind('@');
            FUZZ_CHECK(at != std::string::npos && at > limit);
        }
    }
    return 0;
}
