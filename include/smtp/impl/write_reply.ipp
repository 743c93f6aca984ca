#ifndef SMTP_IMPL_WRITE_REPLY_IPP
#define SMTP_IMPL_WRITE_REPLY_IPP

// The definitions of smtp/detail/write_reply.hpp's functions that are not templates (SMTP_DECL):
// compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/detail/write_reply.hpp>

namespace smtp::detail {

SMTP_DECL void write_reply(std::string& out, int reply_code, std::string_view text, bool enhanced,
                           std::string_view code) {
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

} // namespace smtp::detail

#endif
