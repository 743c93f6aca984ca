#ifndef SMTP_DETAIL_WRITE_REPLY_HPP
#define SMTP_DETAIL_WRITE_REPLY_HPP

#include <smtp/detail/config.hpp>

#include <smtp/reply.hpp>

#include <string>
#include <string_view>

namespace smtp::detail {

/// True when `text` starts with an RFC 3463 status code, `class.subject.detail` (class 2, 4 or
/// 5; subject up to three digits; detail up to three digits), followed by a space or the end.
constexpr bool starts_with_enhanced_code(std::string_view text) noexcept {
    if (text.size() < 5 || (text[0] != '2' && text[0] != '4' && text[0] != '5') || text[1] != '.')
        return false;
    std::size_t i = 2;
    for (int part = 0; part < 2; ++part) {
        std::size_t digits = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 4) {
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3) return false;
        if (part == 0) {
            if (i >= text.size() || text[i] != '.') return false;
            ++i;
        }
    }
    return i == text.size() || text[i] == ' ';
}

/// Appends a reply to `out`. With ENHANCEDSTATUSCODES on (`enhanced`), every line of a 2xx, 4xx
/// or 5xx reply starts with an RFC 3463 code (RFC 2034 §4): its own when it has one, else
/// `code` (the server's choice for its built-in replies), else `<class>.0.0` (what go-smtp
/// sends when a hook gives none). 3xx replies never carry one. Off, the text goes out as is:
/// aiosmtpd's exact replies.
SMTP_DECL void write_reply(std::string& out, int reply_code, std::string_view text, bool enhanced,
                           std::string_view code = {});

inline void write_reply(std::string& out, const reply& r, bool enhanced,
                        std::string_view code = {}) {
    write_reply(out, r.code, r.text, enhanced, code);
}

} // namespace smtp::detail

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/write_reply.ipp>
#endif

#endif
