#ifndef SMTP_DETAIL_ASCII_HPP
#define SMTP_DETAIL_ASCII_HPP

// ASCII character classes and case, for protocol keywords. <cctype> is no substitute: it depends
// on the C locale, takes int, and is undefined for negative char values (UTF-8 bytes).

#include <cstddef>
#include <string>
#include <string_view>

namespace smtp::detail {

constexpr bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}

constexpr bool is_alnum(char c) noexcept {
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/// `c` with a-z upper-cased; every other byte as it is.
constexpr char ascii_upper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? char(c - 'a' + 'A') : c;
}

/// `c` with A-Z lower-cased; every other byte as it is.
constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

constexpr void to_upper(std::string& s) noexcept {
    for (char& c : s)
        c = ascii_upper(c);
}

constexpr void to_lower(std::string& s) noexcept {
    for (char& c : s)
        c = ascii_lower(c);
}

/// Equal but for the case of ASCII letters.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_upper(a[i]) != ascii_upper(b[i])) return false;
    return true;
}

/// `text` begins with `prefix`, but for the case of ASCII letters.
constexpr bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

} // namespace smtp::detail

#endif
