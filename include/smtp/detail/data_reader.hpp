#ifndef SMTP_DETAIL_DATA_READER_HPP
#define SMTP_DETAIL_DATA_READER_HPP

// Sans-I/O reader of an SMTP DATA body (RFC 5321 §4.5.2), aiosmtpd-compatible and smuggling-safe.
//
// The connection feeds it the bytes that follow the 354 reply, in whatever pieces the socket
// delivers. It un-stuffs them into the caller's string and stops right after the terminating
// <CRLF>.<CRLF>, so pipelined commands that follow stay with the caller.
//
// Framing (CVE-2024-27305): only CRLF ends a line, and only a line that is exactly ".\r\n" ends
// the body. The start of the body is a line start. Bare CR and bare LF are ordinary content bytes,
// so "\n.\n", "\n.\r\n", "\r.\r" and "\r\n.\n" never end the body.
//
// Limits follow aiosmtpd 1.4.6 (smtp_DATA over an asyncio.StreamReader whose limit is
// line_length_limit = 1001), line by line, where a line is every byte up to and including its
// CRLF and `content` is the line without its CRLF:
//   1. A content longer than max_line makes readuntil() raise LimitOverrunError before the line
//      is counted: line_too_long.
//   2. Otherwise the whole line is added to the size count; a count above max_size: too_much_data.
//   3. Otherwise a line longer than max_line (CRLF included): line_too_long.
// Only the first error is kept.
//
// Bare line ends (limits::bare): kept as content (the default, aiosmtpd's), refused (the body is
// still read to its CRLF.CRLF, then `bare_newline`), or normalized (each bare LF or bare CR
// becomes CRLF in `out`). Either way they never end a line for the framing: the octet after a bare
// LF is no line start, so no dot is un-stuffed there and "\n.\n" ends nothing. With the default
// 1001, 999 octets + CRLF are accepted and 1000 octets + CRLF are refused. Because of the order
// above, a 1000- or 1001-octet line that also crosses the size limit gives too_much_data, a longer
// one gives line_too_long.

#include <smtp/detail/config.hpp>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace smtp::detail {

class data_reader {
public:
    struct limits {
        // 0 = no limit. Raw bytes of every line before un-stuffing (CRLFs and stuffed dots
        // included, the terminating ".\r\n" excluded), as aiosmtpd's num_bytes.
        std::size_t max_size = 0;
        // Longest accepted line including its CRLF; aiosmtpd's line_length_limit. 0 = no limit
        // (aiosmtpd has no such setting; issue #285 asks for one).
        std::size_t max_line = 1001;
        // What a bare LF or CR (not part of a CRLF) in the body does.
        enum class bare_newline : unsigned char {
            keep,
            reject,
            normalize
        } bare = bare_newline::keep;
    };

    enum class outcome { ok, line_too_long, too_much_data, bare_newline };

    data_reader() = default;

    // Begins a new body. `out` is not touched: the caller hands in an empty string.
    void start(limits l) noexcept {
        limits_ = l;
        phase_ = phase::line_start;
        prev_cr_ = false;
        discard_ = false;
        done_ = false;
        result_ = outcome::ok;
        line_len_ = 0;
        raw_ = 0;
    }

    // Consumes a prefix of `input` and appends the un-stuffed content to `out`. Returns the number
    // of bytes consumed: all of them, or up to and including the terminating CRLF.CRLF. Pass the
    // same `out` for the whole body: once the body is known to fail, `out` is cleared and stays
    // empty, so memory stays bounded by max_size, while the rest of the body is still consumed.
    std::size_t feed(std::string_view input, std::string& out);

    bool done() const noexcept { return done_; }
    outcome result() const noexcept { return result_; }
    // Raw bytes of the complete lines so far (see limits::max_size); exact once done().
    std::size_t raw_size() const noexcept { return raw_; }

private:
    // The `mid` phase when bare line ends are refused or normalized: octet by octet (this is not
    // the default path) up to the end of the line or of the piece. Returns the new position.
    std::size_t scan_checked(const char* data, std::size_t n, std::size_t pos, std::size_t& run,
                             std::string& out) {
        while (pos < n) {
            const char c = data[pos];
            if (prev_cr_ && c != '\n') {
                // The CR before `pos` was bare: in normalize mode an LF goes after it.
                append(out, data + run, pos - run);
                run = pos;
                bare_newline(out, '\r');
            }
            ++line_len_;
            if (c == '\n') {
                if (prev_cr_) {
                    prev_cr_ = false;
                    end_line(out);
                    phase_ = phase::line_start;
                    return pos + 1;
                }
                append(out, data + run, pos - run); // a bare LF: CR before it in normalize mode
                run = pos;
                bare_newline(out, '\n');
            }
            prev_cr_ = c == '\r';
            ++pos;
        }
        return pos;
    }

    // A bare `which` (CR or LF) was seen. Refused: the body fails (first error only). Normalized:
    // the octet that makes it a CRLF is added (`out` holds everything up to the bare octet).
    void bare_newline(std::string& out, char which) {
        if (limits_.bare == limits::bare_newline::normalize) {
            if (!discard_) out.push_back(which == '\r' ? '\n' : '\r');
            return;
        }
        if (result_ != outcome::ok) return;
        result_ = outcome::bare_newline;
        bare_ = which;
        discard(out);
    }

public:
    // After outcome::bare_newline: the first bare octet, '\n' or '\r'.
    char bare_octet() const noexcept { return bare_; }

private:
    enum class phase : unsigned char {
        line_start, // next byte begins a line
        dot,        // line so far is "."
        dot_cr,     // line so far is ".\r"; the CR is not yet in `out`
        mid,        // inside a line that cannot be the terminator
    };

    void append(std::string& out, const char* p, std::size_t len) const {
        if (!discard_ && len != 0) out.append(p, len);
    }

    void discard(std::string& out) noexcept {
        discard_ = true;
        out.clear();
    }

    // Applies aiosmtpd's per-line checks, in its order, to the line that just got its CRLF. It is
    // called before any byte of that line in the current piece is appended, so a failing line
    // never reaches `out`.
    void end_line(std::string& out) noexcept {
        const std::size_t len = line_len_;
        line_len_ = 0;
        raw_ += len;
        if (result_ != outcome::ok) return;
        const std::size_t max_line = limits_.max_line;
        if (max_line != 0 && len - 2 > max_line) {
            result_ = outcome::line_too_long; // readuntil() overrun: the line is never counted
        } else if (limits_.max_size != 0 && raw_ > limits_.max_size) {
            result_ = outcome::too_much_data;
        } else if (max_line != 0 && len > max_line) {
            result_ = outcome::line_too_long; // aiosmtpd's "defensive" check on the whole line
        } else {
            return;
        }
        discard(out);
    }

    limits limits_{};
    phase phase_ = phase::line_start;
    bool prev_cr_ = false; // last byte of a `mid` line was CR: an LF in the next piece ends it
    bool discard_ = false; // the body will fail: nothing more goes to `out`
    bool done_ = false;
    outcome result_ = outcome::ok;
    std::size_t line_len_ = 0; // bytes of the current line so far, stuffed dot and CR included
    std::size_t raw_ = 0;      // bytes of complete lines, terminator excluded
    char bare_ = 0;            // the first bare line end refused
};

} // namespace smtp::detail

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/data_reader.ipp>
#endif

#endif
