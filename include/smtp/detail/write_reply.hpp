#ifndef SMTP_DETAIL_WRITE_REPLY_HPP
#define SMTP_DETAIL_WRITE_REPLY_HPP

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
inline void write_reply(std::string& out, int reply_code, std::string_view text, bool enhanced,
                        std::string_view code = {}) {
    int reply_class = reply_code / 100;
    if (!enhanced || (reply_class != 2 && reply_class != 4 && reply_class != 5)) {
        reply::write_to(out, reply_code, text);
        return;
    }
    const char fallback[] = {char('0' + reply_class), '.', '0', '.', '0'};
    std::string_view prefix = code.empty() ? std::string_view(fallback, sizeof fallback) : code;
    thread_local std::string lines; // grown once per thread, not per reply
    lines.clear();
    for (;;) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!starts_with_enhanced_code(line)) lines.append(prefix).append(" ");
        lines.append(line);
        if (end == std::string_view::npos) break;
        lines.push_back('\n');
        text.remove_prefix(end + 1);
    }
    reply::write_to(out, reply_code, lines);
}

inline void write_reply(std::string& out, const reply& r, bool enhanced,
                        std::string_view code = {}) {
    write_reply(out, r.code, r.text, enhanced, code);
}

} // namespace smtp::detail

#endif
