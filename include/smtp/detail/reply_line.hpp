#ifndef SMTP_DETAIL_REPLY_LINE_HPP
#define SMTP_DETAIL_REPLY_LINE_HPP

// The grammar of one reply line (RFC 5321 §4.2), shared by reply::parse (a hook's text) and the
// client's reply_parser (a server's lines).

#include <smtp/detail/ascii.hpp>

#include <optional>
#include <string_view>

namespace smtp::detail {

struct reply_line {
    int code = 0;
    bool more = false;     // `ddd-text`: another line follows
    std::string_view text; // after the separator
};

/// `ddd`, `ddd text` or `ddd-text`, the code 100 to 599; nothing for any other line.
constexpr std::optional<reply_line> parse_reply_line(std::string_view line) noexcept {
    if (line.size() < 3 || line[0] < '1' || line[0] > '5' || !is_digit(line[1]) ||
        !is_digit(line[2]))
        return std::nullopt;
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return std::nullopt;
    return reply_line{.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'),
                      .more = line.size() > 3 && line[3] == '-',
                      .text = line.size() > 3 ? line.substr(4) : std::string_view{}};
}

} // namespace smtp::detail

#endif
