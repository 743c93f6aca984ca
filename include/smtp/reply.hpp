#ifndef SMTP_REPLY_HPP
#define SMTP_REPLY_HPP

#include <smtp/detail/reply_line.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace smtp {

/// An SMTP reply: a three-digit code and its text.
///
/// The text may hold several lines separated by "\n" (or "\r\n"); the reply is then sent as a
/// well-formed multi-line reply, every line but the last written `code-text`, the last
/// `code text`. A default-constructed reply is *empty*: "no reply". Hooks return a reply (or
/// `boost::asio::awaitable<reply>`), and may also `throw` one to answer with it.
///
/// \code
/// return smtp::reply{550, "5.7.1 Relaying denied"};
/// return smtp::reply::ok();                            // 250 OK
/// return smtp::reply{250, "first line\nsecond line"};  // 250-first line / 250 second line
/// \endcode
struct reply {
    /// The three-digit code; 0 for the empty reply.
    int code = 0;
    /// The text after the code; lines separated by "\n".
    std::string text = {};

    /// `250 OK`.
    static reply ok() { return {250, "OK"}; }

    /// Parses the wire form used by aiosmtpd hooks, e.g. "250 OK" or "250-a\r\n250 b".
    /// Text without a leading three-digit code becomes a 451 (a server-side mistake).
    static reply parse(std::string_view wire);

    /// True for the "no reply" value.
    bool empty() const noexcept { return code == 0; }
    /// True for 2xx codes.
    bool positive() const noexcept { return code >= 200 && code < 300; }

    /// Appends the wire form (each line ending in CRLF) to `out`.
    void write_to(std::string& out) const { write_to(out, code, text); }

    /// Appends the wire form of `code` and `text` to `out` without building a reply.
    static void write_to(std::string& out, int code, std::string_view text);

    /// Same code and text.
    friend bool operator==(const reply&, const reply&) = default;
};

// ----------------------------------------------------------------------------------------------

inline void reply::write_to(std::string& out, int code, std::string_view text) {
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

inline reply reply::parse(std::string_view wire) {
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
