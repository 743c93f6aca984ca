#ifndef SMTP_CLIENT_REPLY_PARSER_HPP
#define SMTP_CLIENT_REPLY_PARSER_HPP

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
        if (line.size() < 3 || !is_code(line) ||
            (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
            return status::invalid;
        int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (lines_ != 0 && code != reply_.code) return status::invalid;
        if (lines_++ != 0) reply_.text.push_back('\n');
        reply_.code = code;
        if (line.size() > 4) reply_.text.append(line.substr(4));
        return line.size() > 3 && line[3] == '-' ? status::more : status::done;
    }

    /// The reply; the parser starts over.
    reply take() {
        lines_ = 0;
        return std::exchange(reply_, {});
    }

    /// Octets of text collected so far (to bound a reply's size).
    std::size_t size() const noexcept { return reply_.text.size(); }

private:
    static bool is_code(std::string_view line) {
        return line[0] >= '1' && line[0] <= '5' && line[1] >= '0' && line[1] <= '9' &&
               line[2] >= '0' && line[2] <= '9';
    }

    reply reply_;
    std::size_t lines_ = 0;
};

} // namespace smtp::detail

#endif
