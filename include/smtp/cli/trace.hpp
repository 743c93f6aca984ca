#ifndef SMTP_CLI_TRACE_HPP
#define SMTP_CLI_TRACE_HPP

#include <smtp/connection.hpp>
#include <smtp/hooks.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

/// \file
/// The `-d` trace: aiosmtpd's `mail.log` lines on stderr, made from the server's `trace` hook.
///
/// `traced<H>` derives from the handler H (so every hook H declares is still H's) and adds a
/// `trace` hook that logs each connection:
///
/// \verbatim
/// INFO:mail.log:Peer: ('127.0.0.1', 40000)
/// INFO:mail.log:('127.0.0.1', 40000) handling connection
/// INFO:mail.log:('127.0.0.1', 40000) << b'220 mx.test ESMTP ...'
/// INFO:mail.log:('127.0.0.1', 40000) >> b'EHLO client.test'
/// DEBUG:mail.log:('127.0.0.1', 40000) DATA >> b'Subject: hello'     (-dd only)
/// INFO:mail.log:('127.0.0.1', 40000) >> b'AUTH PLAIN ********'
/// INFO:mail.log:('127.0.0.1', 40000) connection lost
/// \endverbatim
///
/// A command line is logged as the server takes it, a reply line as the server writes it. AUTH
/// initial responses and the client's SASL responses come masked from the server. After a
/// PROXY header, lines name the client the proxy speaks for.
namespace smtp::cli::detail {

/// Appends one line of aiosmtpd's log format, `<LEVEL>:mail.log:<text>\n`, to `out`.
inline void append_log_line(std::string& out, std::string_view level, std::string_view text) {
    out.append(level).append(":mail.log:").append(text).push_back('\n');
}

/// Writes log text in one call, so that lines never interleave mid-line.
inline void write_log(std::FILE* to, std::string_view text) {
    if (!text.empty()) std::fwrite(text.data(), 1, text.size(), to);
}

/// Writes one log line to stderr.
inline void log_line(std::string_view level, std::string_view text) {
    std::string line;
    append_log_line(line, level, text);
    write_log(stderr, line);
}

/// Python's repr() of bytes, as aiosmtpd logs lines: `b'EHLO x'`.
inline std::string python_bytes_repr(std::string_view bytes) {
    bool has_single = bytes.find('\'') != std::string_view::npos;
    bool has_double = bytes.find('"') != std::string_view::npos;
    char quote = has_single && !has_double ? '"' : '\'';
    std::string out = "b";
    out.push_back(quote);
    for (char c : bytes) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '\t': out.append("\\t"); continue;
        case '\n': out.append("\\n"); continue;
        case '\r': out.append("\\r"); continue;
        case '\\': out.append("\\\\"); continue;
        default: break;
        }
        if (c == quote) {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20 || u >= 0x7f) {
            const char* hex = "0123456789abcdef";
            out.append("\\x").push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back(quote);
    return out;
}

/// `bytes` without its line ending (CRLF, or a bare LF).
inline std::string_view without_line_ending(std::string_view bytes) {
    if (bytes.ends_with('\n')) bytes.remove_suffix(1);
    if (bytes.ends_with('\r')) bytes.remove_suffix(1);
    return bytes;
}

/// The `-d` log of one connection: turns its trace events into log lines. Pure (no I/O), so
/// that the format can be tested without a server.
class conversation_log {
public:
    /// `peer` names the connection in every line (aiosmtpd logs `session.peer`'s repr());
    /// `level` is the number of `-d`.
    conversation_log(std::string peer, int level) : peer_(std::move(peer)), level_(level) {}

    /// The connection's peer changed: a PROXY header named the real client.
    void set_peer(std::string peer) { peer_ = std::move(peer); }
    const std::string& peer() const noexcept { return peer_; }

    /// Appends the log lines that `event` makes to `out`.
    void on_event(trace_event event, std::string_view bytes, std::string& out) {
        switch (event) {
        case trace_event::connected:
            append_log_line(out, "INFO", "Peer: " + peer_);
            append_log_line(out, "INFO", peer_ + " handling connection");
            break;
        case trace_event::command: on_command(without_line_ending(bytes), out); break;
        case trace_event::data: on_data(bytes, out); break;
        case trace_event::reply:
            // One event may carry several reply lines (a multi-line or a pipelined reply).
            while (!bytes.empty()) {
                std::size_t lf = bytes.find('\n');
                std::size_t end = lf == std::string_view::npos ? bytes.size() : lf + 1;
                on_reply_line(without_line_ending(bytes.substr(0, end)), out);
                bytes.remove_prefix(end);
            }
            break;
        case trace_event::closed: append_log_line(out, "INFO", peer_ + " connection lost"); break;
        }
    }

private:
    // Longer message lines are logged in pieces, so that a client cannot make the log hold an
    // unbounded line.
    static constexpr std::size_t max_data_line = 8192;

    // AUTH secrets come masked from the server itself (connection::trace_command): it knows
    // when an exchange is under way, which a reading of the replies cannot tell for sure.
    void on_command(std::string_view line, std::string& out) {
        append_log_line(out, "INFO", peer_ + " >> " + python_bytes_repr(line));
    }

    void on_reply_line(std::string_view line, std::string& out) {
        append_log_line(out, "INFO", peer_ + " << " + python_bytes_repr(line));
    }

    // Message bytes arrive in chunks that need not end at a line end: a line is logged once its
    // end has arrived.
    void on_data(std::string_view bytes, std::string& out) {
        if (level_ < 2) return;
        while (!bytes.empty()) {
            std::size_t lf = bytes.find('\n');
            std::size_t room = max_data_line - partial_.size();
            std::size_t take = lf == std::string_view::npos ? bytes.size() : lf + 1;
            bool complete = lf != std::string_view::npos && take <= room;
            take = std::min(take, room);
            partial_.append(bytes.substr(0, take));
            bytes.remove_prefix(take);
            if (!complete && partial_.size() < max_data_line) break;
            append_log_line(out, "DEBUG",
                            peer_ + " DATA >> " + python_bytes_repr(without_line_ending(partial_)));
            partial_.clear();
        }
    }

    std::string peer_;
    int level_;
    std::string partial_; // the message line whose end has not arrived yet
};

/// The handler H with the `-d` trace added: every hook of H is inherited unchanged, and a
/// `trace` hook logs each connection (then calls H's own `trace`, if it has one).
///
/// Deriving keeps H's hooks H's own, seeing the real `session.peer`; it needs H not to be
/// `final` (run() serves a final handler untraced, with a warning).
///
/// The logs are kept per connection in a map behind a lock, as `--threads` serves connections
/// on several threads; each log line is written with one call, so lines never interleave.
template <class Handler>
class traced : public Handler {
    static_assert(!std::is_final_v<Handler>,
                  "smtp::cli::detail::traced derives from the handler: -d cannot trace a final "
                  "handler class");

public:
    /// `level` is the number of `-d`; the log goes to `log` (a test may pass a file).
    traced(Handler&& handler, int level, std::FILE* log = stderr)
        : Handler(std::move(handler)), level_(level), log_(log) {}

    void trace(const connection& conn, trace_event event, std::string_view bytes) {
        std::string text;
        {
            std::lock_guard lock(*mutex_);
            std::string peer = conn.session().peer.python_repr();
            auto it = logs_.find(&conn);
            if (it == logs_.end())
                it = logs_.try_emplace(&conn, std::move(peer), level_).first;
            else if (it->second.peer() != peer) // after a PROXY header: the real client
                it->second.set_peer(std::move(peer));
            it->second.on_event(event, bytes, text);
            // The connection's address may be reused by the next one once it has closed.
            if (event == trace_event::closed) logs_.erase(it);
        }
        write_log(log_, text);
        if constexpr (has_trace<Handler>) Handler::trace(conn, event, bytes);
    }

private:
    int level_;
    std::FILE* log_;
    std::unordered_map<const connection*, conversation_log> logs_;
    std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>(); // movable handler
};

} // namespace smtp::cli::detail

#endif
