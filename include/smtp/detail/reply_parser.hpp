#ifndef SMTP_DETAIL_REPLY_PARSER_HPP
#define SMTP_DETAIL_REPLY_PARSER_HPP

#include <smtp/detail/reply_line.hpp>
#include <smtp/reply.hpp>

#include <cstddef>
#include <string_view>
#include <utility>

namespace smtp::detail {

/// Collects the lines of one server reply (RFC 5321 §4.2): `250-first`, ..., `250 last`. Sans
/// I/O: the client feeds it lines as they arrive. The reply's text keeps each line's text
/// (enhanced status codes included) and joins the lines with '\n'.
class reply_parser {
public:
    enum class status {
        more,   ///< a continuation line: feed the next one
        done,   ///< the last line: take() the reply
        invalid ///< not a reply line, or a code that differs from the first line's
    };

    /// Feeds one line, without its line ending.
    status feed(std::string_view line) {
        auto parsed = parse_reply_line(line);
        if (!parsed || (lines_ != 0 && parsed->code != reply_.code)) return status::invalid;
        if (lines_++ != 0) reply_.text.push_back('\n');
        reply_.code = parsed->code;
        reply_.text.append(parsed->text);
        return parsed->more ? status::more : status::done;
    }

    /// The reply; the parser starts over.
    reply take() {
        lines_ = 0;
        return std::exchange(reply_, {});
    }

    /// Octets of text collected so far (to bound a reply's size).
    std::size_t size() const noexcept { return reply_.text.size(); }

private:
    reply reply_;
    std::size_t lines_ = 0;
};

} // namespace smtp::detail

#endif
