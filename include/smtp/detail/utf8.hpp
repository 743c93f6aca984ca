#ifndef SMTP_DETAIL_UTF8_HPP
#define SMTP_DETAIL_UTF8_HPP

// UTF-8 well-formedness (RFC 3629), the rule Python's strict decoder applies: no overlong forms,
// no UTF-16 surrogates, nothing past U+10FFFF, no sequence cut short.

#include <cstddef>
#include <string_view>

namespace smtp::detail {

/// Length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), or 0 when none starts there.
constexpr std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
    const auto at = [&](std::size_t k) -> unsigned {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100U;
    };
    const auto cont = [](unsigned b, unsigned lo = 0x80, unsigned hi = 0xBF) {
        return b >= lo && b <= hi;
    };
    const unsigned c = at(0);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return cont(at(1)) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        // No overlong forms (E0) and no UTF-16 surrogates (ED).
        const bool first = c == 0xE0   ? cont(at(1), 0xA0)
                           : c == 0xED ? cont(at(1), 0x80, 0x9F)
                                       : cont(at(1));
        return first && cont(at(2)) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        // No overlong forms (F0) and nothing past U+10FFFF (F4).
        const bool first = c == 0xF0   ? cont(at(1), 0x90)
                           : c == 0xF4 ? cont(at(1), 0x80, 0x8F)
                                       : cont(at(1));
        return first && cont(at(2)) && cont(at(3)) ? 4 : 0;
    }
    return 0;
}

/// `text` is well-formed UTF-8 throughout.
constexpr bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) { // most bytes: no call
            ++i;
            continue;
        }
        const std::size_t length = utf8_length(text, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

} // namespace smtp::detail

#endif
