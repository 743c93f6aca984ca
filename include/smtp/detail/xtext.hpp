#ifndef SMTP_DETAIL_XTEXT_HPP
#define SMTP_DETAIL_XTEXT_HPP

#include <string>
#include <string_view>

namespace smtp::detail {

/// Decodes RFC 3461 §4 xtext: printable ASCII but '+' and '=' stand for themselves, "+XX"
/// (two hex digits) for the octet XX. Lower-case hex digits are accepted too (the RFC writes
/// upper case; accepting both loses nothing). Returns false, leaving `out` unspecified, on
/// anything else.
inline bool decode_xtext(std::string_view text, std::string& out) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    out.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            if (text.size() - i < 3) return false; // "+" needs two digits after it
            int high = hex(text[i + 1]), low = hex(text[i + 2]);
            if (high < 0 || low < 0) return false;
            out.push_back(char(high * 16 + low));
            i += 2;
        } else if (c >= '!' && c <= '~' && c != '=') {
            out.push_back(c);
        } else {
            return false;
        }
    }
    return true;
}

/// Encodes `text` as xtext (the inverse of decode_xtext, with upper-case hex digits).
inline std::string encode_xtext(std::string_view text) {
    constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        if (c >= '!' && c <= '~' && c != '+' && c != '=') {
            out.push_back(c);
        } else {
            out.push_back('+');
            out.push_back(digits[(unsigned char)c >> 4]);
            out.push_back(digits[(unsigned char)c & 15]);
        }
    }
    return out;
}

} // namespace smtp::detail

#endif
