#ifndef SMTP_IMPL_REPLY_IPP
#define SMTP_IMPL_REPLY_IPP

// The definitions of smtp/reply.hpp's functions that are not templates (SMTP_DECL):
// compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/reply.hpp>

namespace smtp {

SMTP_DECL void reply::write_to(std::string& out, int code, std::string_view text) {
    // Codes outside 100..999 would not be three digits; clamp rather than send garbage.
    if (code < 100 || code > 999) code = 451;
    const char digits[3] = {char('0' + code / 100), char('0' + code / 10 % 10),
                            char('0' + code % 10)};
    for (;;) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        out.append(digits, 3);
        out.push_back(end == std::string_view::npos ? ' ' : '-');
        // A CR inside a line (echoed from a client's command) becomes a space: a client that
        // took it for a line end would read the rest as another reply.
        for (std::size_t cr; (cr = line.find('\r')) != std::string_view::npos;) {
            out.append(line.substr(0, cr)).push_back(' ');
            line.remove_prefix(cr + 1);
        }
        out.append(line);
        out.append("\r\n", 2);
        if (end == std::string_view::npos) break;
        text.remove_prefix(end + 1);
    }
}

SMTP_DECL reply reply::parse(std::string_view wire) {
    while (!wire.empty() && (wire.back() == '\n' || wire.back() == '\r'))
        wire.remove_suffix(1);
    // The code must be followed by ' ', '-' or the end of the text: "250\r\n..." is no reply.
    auto head = detail::parse_reply_line(wire.substr(0, 4));
    if (!head) return {451, std::string(wire)};
    reply r{head->code, {}};
    for (bool first = true;; first = false) {
        std::size_t end = wire.find('\n');
        std::string_view line = wire.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (auto parsed = detail::parse_reply_line(line)) line = parsed->text;
        if (!first) r.text.push_back('\n');
        r.text.append(line);
        if (end == std::string_view::npos) break;
        wire.remove_prefix(end + 1);
    }
    return r;
}

} // namespace smtp

#endif
