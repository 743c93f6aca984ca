#ifndef SMTP_IMPL_BASE64_IPP
#define SMTP_IMPL_BASE64_IPP

// The definitions of smtp/detail/base64.hpp's functions that are not templates (SMTP_DECL):
// compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/detail/base64.hpp>

namespace smtp::detail {

SMTP_DECL std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16 |
                          std::uint32_t(std::uint8_t(bytes[i + 1])) << 8 |
                          std::uint8_t(bytes[i + 2]);
        for (int shift = 18; shift >= 0; shift -= 6)
            out.push_back(base64_alphabet[(v >> shift) & 63]);
    }
    if (std::size_t rest = bytes.size() - i; rest != 0) {
        std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
        if (rest == 2) v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
        out.push_back(base64_alphabet[(v >> 18) & 63]);
        out.push_back(base64_alphabet[(v >> 12) & 63]);
        out.push_back(rest == 2 ? base64_alphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

SMTP_DECL std::optional<std::string> base64_decode(std::string_view text) {
    static constexpr auto values = [] {
        std::array<std::int8_t, 256> t{};
        t.fill(-1);
        for (std::size_t i = 0; i < base64_alphabet.size(); ++i)
            t[std::uint8_t(base64_alphabet[i])] = std::int8_t(i);
        return t;
    }();
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') ++padding;
    if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        std::uint32_t v = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char c = text[i + k];
            if (c == '=' && last && k >= 4 - padding) {
                v <<= 6;
                continue;
            }
            std::int8_t d = values[std::uint8_t(c)];
            if (d < 0) return std::nullopt;
            v = v << 6 | std::uint32_t(d);
        }
        out.push_back(char(v >> 16));
        if (!last || padding < 2) out.push_back(char(v >> 8 & 0xff));
        if (!last || padding < 1) out.push_back(char(v & 0xff));
    }
    return out;
}

} // namespace smtp::detail

#endif
