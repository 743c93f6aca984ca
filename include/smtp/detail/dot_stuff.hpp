#ifndef SMTP_DETAIL_DOT_STUFF_HPP
#define SMTP_DETAIL_DOT_STUFF_HPP

#include <cstddef>
#include <string>
#include <string_view>

namespace smtp::detail {

/// A message made ready for DATA.
struct stuffed_message {
    /// What goes on the wire: every line break (CRLF, lone CR or lone LF) as CRLF, a '.' doubled
    /// at the start of each line (RFC 5321 §4.5.2), a final CRLF added when missing, then the
    /// end mark ".\r\n". Normalizing lone CR and LF keeps a message from carrying an end of
    /// data that another server would read differently (SMTP smuggling).
    std::string wire;
    /// The message's size as SIZE counts it (RFC 1870): line breaks normalized, no doubled dots,
    /// no end mark.
    std::size_t size = 0;
    /// Whether a byte is not 7-bit (the message needs BODY=8BITMIME).
    bool eight_bit = false;
};

inline stuffed_message dot_stuff(std::string_view content) {
    stuffed_message m;
    m.wire.reserve(content.size() + content.size() / 64 + 8);
    std::size_t dots = 0;
    bool line_start = true;
    for (std::size_t i = 0; i < content.size(); ++i) {
        char c = content[i];
        if (line_start && c == '.') {
            m.wire.push_back('.');
            ++dots;
        }
        if (c == '\r' || c == '\n') {
            m.wire.append("\r\n");
            if (c == '\r' && i + 1 < content.size() && content[i + 1] == '\n') ++i;
            line_start = true;
            continue;
        }
        if (static_cast<unsigned char>(c) >= 0x80) m.eight_bit = true;
        m.wire.push_back(c);
        line_start = false;
    }
    if (!line_start) m.wire.append("\r\n");
    m.size = m.wire.size() - dots;
    m.wire.append(".\r\n");
    return m;
}

} // namespace smtp::detail

#endif
