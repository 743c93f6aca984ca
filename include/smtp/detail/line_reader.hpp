#ifndef SMTP_DETAIL_LINE_READER_HPP
#define SMTP_DETAIL_LINE_READER_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

namespace smtp::detail {

/// Frames command lines out of a byte stream (sans-I/O).
///
/// A line ends at LF, as in aiosmtpd (bare-LF commands work; CR handling is the parser's).
/// A line whose LF does not come within `max_line` octets is too long: it is drained up to its
/// LF without being kept, then reported once, so memory stays bounded whatever the client sends.
class line_reader {
public:
    enum class kind { need_more, line, too_long };
    struct event {
        kind what;
        std::string_view line; // for kind::line: the line including its LF
        std::size_t consumed;  // octets of the input the caller must drop
    };

    /// `max_line`: the longest line accepted, in octets before the LF (aiosmtpd's reader: 1001).
    explicit line_reader(std::size_t max_line = 1001) noexcept : max_line_(max_line) {}

    void set_max_line(std::size_t max_line) noexcept { max_line_ = max_line; }
    std::size_t max_line() const noexcept { return max_line_; }

    /// Forgets a line being drained (after STARTTLS, say).
    void reset() noexcept { draining_ = false; }

    /// Looks at the buffered, unconsumed input and tells what it holds.
    event next(std::string_view input) noexcept {
        if (input.empty()) return {kind::need_more, {}, 0}; // memchr must not see a null pointer
        const char* lf = static_cast<const char*>(std::memchr(input.data(), '\n', input.size()));
        if (draining_) {
            if (!lf) return {kind::need_more, {}, input.size()};
            draining_ = false;
            return {kind::too_long, {}, std::size_t(lf - input.data()) + 1};
        }
        if (lf) {
            std::size_t length = std::size_t(lf - input.data());
            if (length <= max_line_) return {kind::line, input.substr(0, length + 1), length + 1};
            return {kind::too_long, {}, length + 1};
        }
        if (input.size() <= max_line_) return {kind::need_more, {}, 0};
        draining_ = true;
        return {kind::need_more, {}, input.size()};
    }

private:
    std::size_t max_line_;
    bool draining_ = false;
};

} // namespace smtp::detail

#endif
