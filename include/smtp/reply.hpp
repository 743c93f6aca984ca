#ifndef SMTP_REPLY_HPP
#define SMTP_REPLY_HPP

#include <smtp/detail/config.hpp>

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

} // namespace smtp

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/reply.ipp>
#endif

#endif
