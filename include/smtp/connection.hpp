#ifndef SMTP_CONNECTION_HPP
#define SMTP_CONNECTION_HPP

#include <smtp/detail/config.hpp>
#include <smtp/detail/input_buffer.hpp>
#include <smtp/detail/operation_slot.hpp>
#include <smtp/detail/socket_now.hpp>
#include <smtp/detail/spare_strings.hpp>
#include <smtp/detail/write_reply.hpp>
#include <smtp/hooks.hpp>
#include <smtp/options.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/stats.hpp>
#include <smtp/tls.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace smtp {

namespace detail {
class session_registry;
}

/// One client connection, as hooks see it.
///
/// Every hook receives it first. Its type does not depend on the server's Handler or policies,
/// so hooks can be declared with it and defined in a .cpp file. It is only valid while the hook
/// runs. What only the server may do with it (read, write, time out, upgrade to TLS) is
/// protected: the server drives a detail::served_connection, which makes exactly that public.
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
        if (!line.starts_with("334")) note_final_reply(reply::parse(line).code);
        out_.append(line).append("\r\n");
    }
    /// Queues a reply.
    void push(const reply& r) {
        if (r.code != 334) note_final_reply(r.code);
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

protected:
    // --- for the server (detail/served_connection.hpp) ---------------------------------------

    /// The clock of timeouts and durations.
    using clock = std::chrono::steady_clock;

    /// Replies queued and not yet written.
    std::string& output() noexcept { return out_; }
    /// Bytes received and not yet consumed.
    detail::input_buffer& input() noexcept { return input_; }
    /// The executor the connection's I/O runs on.
    socket_type::executor_type executor() noexcept { return socket_.get_executor(); }
    /// The client sent bytes not yet taken as commands (an early talker, before the greeting).
    bool client_has_spoken() {
        boost::system::error_code ec;
        return !input_.empty() || socket_.available(ec) > 0;
    }

    /// Lets the handler's trace hook (type-erased: this class does not depend on the Handler)
    /// see the connection's events.
    void set_tracer(void (*tracer)(void*, const connection&, trace_event, std::string_view),
                    void* context) noexcept {
        tracer_ = tracer;
        tracer_context_ = context;
    }

    /// Lets the handler's select_certificate hook (type-erased, as the tracer) choose the
    /// certificate by SNI name in this connection's handshakes.
    void set_certificate_selector(std::shared_ptr<tls_context> (*choose)(void*, std::string_view),
                                  void* handler) noexcept {
        selector_.choose = choose;
        selector_.handler = handler;
    }

    /// Waits until the client has sent something (no TLS: check tls_active() first), holding no
    /// buffer meanwhile. The operation is to be awaited directly (as a `deferred` one): an idle
    /// session then keeps no coroutine frame of its own for the wait, and the wait itself is
    /// built inside the connection. `interruptible`: the session waits for a command outside a
    /// transaction, which a graceful shutdown may cut short. Hand its result to readable().
    auto wait_readable(bool interruptible) {
        input_.release();
        release_output();
        io_pending_ = true;
        waiting_for_command_ = interruptible;
        return detail::readable_wait(socket_, wait_slot_);
    }
    /// Waits of wait_readable() that did not fit in the connection and went to the heap: 0 unless
    /// Asio's wait grew past the room kept for it.
    std::size_t wait_slot_overflows() const noexcept { return wait_slot_.overflows(); }
    /// The wait of wait_readable() ended: true when there is something to read.
    bool readable(boost::system::error_code ec) noexcept {
        io_pending_ = false;
        waiting_for_command_ = false;
        detail::spare_strings::take(out_);
        return !ec && !timed_out_;
    }
    /// Reads more bytes under TLS, interruptible by a graceful shutdown as after wait_readable().
    boost::asio::awaitable<bool> read_some_interruptible(bool interruptible) {
        waiting_for_command_ = interruptible;
        bool got = co_await read_some();
        waiting_for_command_ = false;
        co_return got;
    }
    /// A graceful shutdown interrupted the wait for a command (not a timeout).
    bool interrupted_by_shutdown() const noexcept { return shutdown_requested_ && !timed_out_; }
    /// The client was silent past the timeout.
    bool timed_out() const noexcept { return timed_out_; }
    /// After a timeout, or at shutdown: a few seconds more, for the final 421 to go out.
    void allow_final_reply() noexcept {
        timed_out_ = false;
        arm_timeout(std::chrono::seconds(5));
    }

    /// A message began (the DATA command, or its first BDAT): its duration counts from now.
    void message_started() noexcept { message_started_ = clock::now(); }
    /// How long the current message has taken since message_started().
    clock::duration message_duration() const noexcept { return clock::now() - message_started_; }
    /// Counts a message in stats().
    void count_message(bool accepted) noexcept {
        ++(accepted ? messages_accepted_ : messages_rejected_);
    }

    /// An AUTH exchange begins: no final reply of it is queued yet.
    void begin_auth_exchange() noexcept {
        auth_replied_ = false;
        auth_reply_code_ = 0;
    }
    /// A final (non-334) reply with `code` is about to be queued: where it starts, in case the
    /// AUTH failure limit replaces it.
    void note_final_reply(int code) noexcept {
        auth_replied_ = true;
        auth_reply_code_ = code;
        final_reply_at_ = out_.size();
    }
    /// A final reply of the AUTH exchange was queued (by the mechanism, or by push()).
    bool auth_replied() const noexcept { return auth_replied_; }
    /// The code of the exchange's final reply, when it is still queued (0 otherwise).
    int auth_reply_code() const noexcept {
        return auth_replied_ && final_reply_at_ < out_.size() ? auth_reply_code_ : 0;
    }
    /// Replaces the exchange's queued final reply with `r`.
    void replace_final_reply(const reply& r) {
        out_.resize(final_reply_at_);
        r.write_to(out_);
    }
    /// Counts an AUTH exchange that failed; returns the failures so far.
    std::size_t count_auth_failure() noexcept { return ++auth_failures_; }

    /// Shows an event to the handler's trace hook, when it has one.
    void trace(trace_event event, std::string_view bytes) const {
        if (tracer_) tracer_(tracer_context_, *this, event, bytes);
    }
    /// Shows a command line to the trace hook, an AUTH command's initial response masked:
    /// no secret ever reaches a trace.
    void trace_command(std::string_view line) const;
    /// Shows a client's SASL response to the trace hook, masked whatever it holds.
    void trace_sasl_response() const { trace(trace_event::command, masked_secret); }
    /// What a trace shows in place of a secret.
    static constexpr std::string_view masked_secret = "********";

    /// Reads more bytes into the buffer. False on end of stream, error or timeout. Without
    /// TLS it first waits for readability holding no buffer.
    boost::asio::awaitable<bool> read_some();
    /// Without TLS, after readable(): reads what the socket holds, without waiting (an Asio read
    /// that completes at once still takes a trip through the io_context). `would_block`: nothing
    /// was there after all (the wait ended early): wait again.
    detail::io_now read_now();
    /// Gives the output buffer's memory to the thread's spares when nothing is queued (an idle
    /// connection keeps none; readable() takes a spare back).
    void release_output() noexcept { detail::spare_strings::give_back(out_); }
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
    /// filled in. The connection keeps `context` until it closes: a server given new
    /// certificates meanwhile (server::set_tls) changes nothing for this session.
    boost::asio::awaitable<bool> start_tls(std::shared_ptr<tls_context> context,
                                           early_bytes early = early_bytes::discard);
    /// Writes what is queued, ends TLS with a close_notify (RFC 8446 §6.1; bounded by a short
    /// timeout, as the client need not answer it), and closes.
    boost::asio::awaitable<void> finish();
    /// TLS is established on this connection.
    bool tls_active() const noexcept { return tls_ != nullptr && tls_ready_; }
    /// Closes the socket (after a final flush by the caller).
    void close() noexcept;

    /// The idle deadline starts again from now.
    void arm_timeout() noexcept { arm_timeout(opts_.timeout); }
    /// The deadline is `d` from now (the handshake's, or the few seconds for a final 421).
    void arm_timeout(clock::duration d) noexcept;
    /// The sessions of this connection's thread, whose one timer watches the deadline.
    void watch_deadline_with(detail::session_registry& registry) noexcept {
        deadline_watch_ = &registry;
    }
    /// For the registry's timer, at `now`: when the deadline has passed while the connection
    /// waits on the client, it times out (the pending operation is cancelled); while a hook
    /// runs, the deadline moves on (not the client's fault). Returns the deadline still ahead,
    /// or time_point::max() when none is.
    clock::time_point check_deadline(clock::time_point now) noexcept;
    /// A graceful shutdown began: an idle session (waiting for a command outside a transaction)
    /// stops waiting at once; a busy one finishes its transaction first. On the session's thread.
    void request_shutdown() noexcept;

private:
    socket_type socket_;
    // The certificates this session's TLS was set up with, kept while the stream lives (it is
    // declared first, so destroyed after the stream).
    std::shared_ptr<tls_context> tls_context_;
    // The handler's SNI choice, and the context it chose (also outliving the stream).
    detail::certificate_selector selector_;
    // The TLS layer over socket_, once STARTTLS or an implicit-TLS listener asks for it: one
    // connection type whose stream upgrades in place.
    std::unique_ptr<boost::asio::ssl::stream<socket_type&>> tls_;
    const smtp::options& opts_;
    std::string_view hostname_;
    smtp::session session_;
    detail::input_buffer input_;
    std::string out_;
    // Watched by the registry of the connection's thread (one timer for all its sessions).
    detail::session_registry* deadline_watch_ = nullptr;
    clock::time_point deadline_;
    bool tls_ready_ = false;
    bool deadline_armed_ = false;
    bool io_pending_ = false;
    bool timed_out_ = false;
    // Set by the server while it waits for a command outside a transaction: the moment at which
    // a graceful shutdown may interrupt the wait.
    bool waiting_for_command_ = false;
    bool shutdown_requested_ = false;
    // Set when a final (non-334) reply was queued since the AUTH exchange began; where in
    // out_ the last such reply starts.
    bool auth_replied_ = false;
    int auth_reply_code_ = 0;
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
    // Where the wait for the client's next command is built (wait_readable()): the one
    // operation an idle connection holds, kept out of Asio's cache of small heap blocks, where
    // it would take a block sized for an earlier write. The wait is 216 bytes with Asio 1.81 on
    // x86-64 (tests/unit/operation_slot_test.cpp checks that it fits).
    detail::operation_slot<224> wait_slot_;
};

} // namespace smtp

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/connection.ipp>
#endif

#endif
