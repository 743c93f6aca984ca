#ifndef SMTP_CONNECTION_HPP
#define SMTP_CONNECTION_HPP

#include <smtp/detail/enhanced_status.hpp>
#include <smtp/detail/input_buffer.hpp>
#include <smtp/hooks.hpp>
#include <smtp/options.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/stats.hpp>
#include <smtp/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace smtp {

template <class Handler, class AuthPolicy, class DecodePolicy>
class server;

/// One client connection, as hooks see it.
///
/// Every hook receives it first. Its type does not depend on the server's Handler or policies,
/// so hooks can be declared with it and defined in a .cpp file. It is only valid while the hook
/// runs.
class connection {
public:
    /// A TCP or UNIX-domain stream socket.
    using socket_type = boost::asio::generic::stream_protocol::socket;

    /// Made by the server for each accepted socket; `opts` and `hostname` must outlive it.
    connection(socket_type socket, const smtp::options& opts, std::string_view hostname);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /// Queues one raw reply line (CRLF is added), as aiosmtpd's `push`: e.g. extra EHLO lines
    /// `250-XFOO` from a 4-argument handle_EHLO. Queued lines go out with the next reply.
    void push(std::string_view line) {
        if (!line.starts_with("334")) note_final_reply();
        out_.append(line).append("\r\n");
    }
    /// Queues a reply.
    void push(const reply& r) {
        if (r.code != 334) note_final_reply();
        detail::write_reply(out_, r, opts_.enhanced_status_codes);
    }

    /// One step of a SASL exchange (aiosmtpd's `challenge_auth`): sends `334 <challenge>`
    /// (base64-encoded unless `encode` is false) and reads the client's answer, up to 12,288
    /// octets (RFC 4954). Returns the decoded answer (`=` is the empty answer), or nothing when
    /// the client cancelled with `*` (`501 5.7.0 Auth aborted` is sent), the answer is not
    /// base64 (`501 5.5.2 Can't decode base64`), the line is too long
    /// (`500 5.5.6 Authentication Exchange line is too long`), or the connection failed.
    boost::asio::awaitable<std::optional<std::string>> challenge(std::string_view challenge,
                                                                 bool encode = true);

    /// The server's host name (greeting, HELO and EHLO replies).
    std::string_view hostname() const noexcept { return hostname_; }
    /// The server's options.
    const smtp::options& options() const noexcept { return opts_; }
    /// The connection's figures so far (what connection_closed receives at the end).
    connection_stats stats() const noexcept {
        return {clock::now() - opened_, bytes_received_, bytes_sent_, messages_accepted_,
                messages_rejected_};
    }
    /// The current session.
    smtp::session& session() noexcept { return session_; }
    /// The current session (read-only).
    const smtp::session& session() const noexcept { return session_; }

private:
    template <class, class, class>
    friend class server;

    /// A final (non-334) reply is about to be queued: where it starts, in case the AUTH
    /// failure limit replaces it.
    void note_final_reply() noexcept {
        auth_replied_ = true;
        final_reply_at_ = out_.size();
    }

    /// Shows an event to the handler's trace hook, when it has one.
    void trace(trace_event event, std::string_view bytes) const {
        if (tracer_) tracer_(tracer_context_, *this, event, bytes);
    }
    /// Shows a command line to the trace hook, an AUTH command's initial response masked:
    /// no secret ever reaches a trace.
    void trace_command(std::string_view line) const;
    /// Shows a client's SASL response to the trace hook, masked whatever it holds.
    void trace_sasl_response() const { trace(trace_event::command, masked_secret); }
    static constexpr std::string_view masked_secret = "********";

    using clock = std::chrono::steady_clock;

    /// Reads more bytes into the buffer. False on end of stream, error or timeout. Without
    /// TLS it first waits for readability holding no buffer, unless `wait_first` is false (the
    /// caller has waited).
    boost::asio::awaitable<bool> read_some(bool wait_first = true);
    /// Frees the output buffer's memory when nothing is queued (an idle connection keeps none;
    /// the next reply allocates again).
    void release_output() noexcept {
        if (out_.empty() && out_.capacity() > 64) std::string().swap(out_);
    }
    /// Writes what is queued. False on error or timeout.
    boost::asio::awaitable<bool> flush();
    /// What happens to bytes received before a TLS handshake.
    enum class early_bytes {
        discard, ///< STARTTLS: plaintext sent before the handshake is not the client's TLS
        carry    ///< implicit TLS after a PROXY header: they are the ClientHello's start
    };
    /// The server side of a TLS handshake on this connection, bounded by the handshake
    /// timeout. After STARTTLS, plaintext received before it is discarded (the STARTTLS
    /// injection class of bugs, CVE-2024-34083). On success the session's `ssl` facts are
    /// filled in.
    boost::asio::awaitable<bool> start_tls(tls_context& context,
                                           early_bytes early = early_bytes::discard);
    /// Writes what is queued, ends TLS with a close_notify (RFC 8446 §6.1; bounded by a short
    /// timeout, as the client need not answer it), and closes.
    boost::asio::awaitable<void> finish();
    bool tls_active() const noexcept { return tls_ != nullptr && tls_ready_; }
    /// Closes the socket (after a final flush by the caller).
    void close() noexcept;

    /// The idle deadline starts again from now.
    void arm_timeout() noexcept { arm_timeout(opts_.timeout); }
    void arm_timeout(clock::duration d) noexcept;
    void start_watchdog();
    /// A graceful shutdown began: an idle session (waiting for a command outside a transaction)
    /// stops waiting at once; a busy one finishes its transaction first. On the session's thread.
    void request_shutdown() noexcept;

    socket_type socket_;
    // The TLS layer over socket_, once STARTTLS or an implicit-TLS listener asks for it: one
    // connection type whose stream upgrades in place.
    std::unique_ptr<boost::asio::ssl::stream<socket_type&>> tls_;
    bool tls_ready_ = false;
    const smtp::options& opts_;
    std::string_view hostname_;
    smtp::session session_;
    detail::input_buffer input_;
    std::string out_;
    boost::asio::steady_timer timer_;
    clock::time_point deadline_;
    bool watchdog_running_ = false;
    bool io_pending_ = false;
    bool timed_out_ = false;
    // Set by the server while it waits for a command outside a transaction: the moment at which
    // a graceful shutdown may interrupt the wait.
    bool waiting_for_command_ = false;
    bool shutdown_requested_ = false;
    // Set when a final (non-334) reply was queued since the AUTH exchange began; where in
    // out_ the last such reply starts.
    bool auth_replied_ = false;
    std::size_t final_reply_at_ = 0;
    // AUTH exchanges that ended in 535 on this connection (options::auth_failure_limit).
    std::size_t auth_failures_ = 0;
    // The handler's trace hook, type-erased so that this class does not depend on the Handler;
    // null (and never called) for handlers without one.
    void (*tracer_)(void*, const connection&, trace_event, std::string_view) = nullptr;
    void* tracer_context_ = nullptr;
    // Figures for the observability hooks (stats.hpp).
    clock::time_point opened_ = clock::now();
    std::uint64_t bytes_received_ = 0;
    std::uint64_t bytes_sent_ = 0;
    std::uint32_t messages_accepted_ = 0;
    std::uint32_t messages_rejected_ = 0;
    clock::time_point message_started_{}; // the DATA command or the first BDAT of a message
    // Lets the watchdog's completion handler know the connection is gone.
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

} // namespace smtp

#include <smtp/impl/connection.ipp>

#endif
