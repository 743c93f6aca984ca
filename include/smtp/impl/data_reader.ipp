#ifndef SMTP_IMPL_DATA_READER_IPP
#define SMTP_IMPL_DATA_READER_IPP

// The definition of data_reader::feed (SMTP_DECL): compiled once by <smtp/src.hpp> under
// SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/detail/data_reader.hpp>

namespace smtp::detail {

SMTP_DECL std::size_t data_reader::feed(std::string_view input, std::string& out) {
    if (done_) return 0;
    const char* const data = input.data();
    const std::size_t n = input.size();
    std::size_t pos = 0;
    // Start of the bytes scanned but not yet appended: output goes out in bulk, split only
    // where a stuffed dot has to be dropped.
    std::size_t run = 0;

    if (n != 0 && phase_ == phase::dot_cr && data[0] != '\n') {
        // The CR of ".\r" was held back in the previous piece in case an LF followed.
        if (!discard_) out.push_back('\r');
        phase_ = phase::mid;
        prev_cr_ = true;
    }
    if (limits_.bare != limits::bare_newline::keep && n != 0 && phase_ == phase::mid && prev_cr_ &&
        data[0] != '\n') {
        bare_newline(out, '\r'); // a piece ended in a CR that no LF followed
        prev_cr_ = false;
    }

    while (pos < n) {
        switch (phase_) {
        case phase::line_start:
            if (data[pos] == '.') {
                append(out, data + run, pos - run);
                ++pos;
                run = pos; // the dot is dropped: either stuffing or the terminator
                line_len_ = 1;
                phase_ = phase::dot;
            } else {
                phase_ = phase::mid;
                prev_cr_ = false;
            }
            break;
        case phase::dot:
            if (data[pos] == '\r') {
                // Keep `run` at the CR: it is content unless an LF comes next.
                ++pos;
                line_len_ = 2;
                phase_ = phase::dot_cr;
            } else {
                phase_ = phase::mid;
                prev_cr_ = false;
            }
            break;
        case phase::dot_cr:
            if (data[pos] == '\n') {
                // ".\r\n" at a line start. `run` is at the held-back CR (or at 0 if the CR
                // came in an earlier piece), so there is nothing left to append.
                line_len_ = 0;
                phase_ = phase::line_start;
                done_ = true;
                return pos + 1;
            }
            phase_ = phase::mid;
            prev_cr_ = true;
            break;
        case phase::mid: {
            if (limits_.bare != limits::bare_newline::keep) {
                pos = scan_checked(data, n, pos, run, out);
                break;
            }
            const void* hit = std::memchr(data + pos, '\n', n - pos);
            if (hit == nullptr) {
                line_len_ += n - pos;
                prev_cr_ = data[n - 1] == '\r';
                pos = n;
                break;
            }
            const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
            line_len_ += lf + 1 - pos;
            const bool crlf = lf != 0 ? data[lf - 1] == '\r' : prev_cr_;
            pos = lf + 1;
            prev_cr_ = false;
            if (!crlf) break; // bare LF: content, the line goes on
            end_line(out);
            phase_ = phase::line_start;
            break;
        }
        }
    }

    // A line cut by the end of the piece: stop appending as soon as it is sure to fail, so a
    // huge line without CRLF cannot grow `out` past the limits.
    if (phase_ == phase::mid && !discard_) {
        const std::size_t known = line_len_ - (prev_cr_ ? 1 : 0); // a trailing CR may be CRLF
        if ((limits_.max_line != 0 && known + 2 > limits_.max_line) ||
            (limits_.max_size != 0 && raw_ + known + 2 > limits_.max_size)) {
            discard(out);
        }
    }
    // A trailing ".\r" keeps its CR back until the next byte tells whether the body ended.
    const std::size_t end = phase_ == phase::dot_cr && run < n ? n - 1 : n;
    append(out, data + run, end - run);
    return n;
}

} // namespace smtp::detail

#endif
