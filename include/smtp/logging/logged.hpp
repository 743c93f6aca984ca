#ifndef SMTP_LOGGING_LOGGED_HPP
#define SMTP_LOGGING_LOGGED_HPP

#include <smtp/connection.hpp>
#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/logging/event_line.hpp>
#include <smtp/logging/sink.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/stats.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

/// \file
/// A structured event log of every session, as a mixin over any handler.
namespace smtp::logging {

/// `Handler`, with one log line per event: `connect`, `helo`, `tls`, `auth` (the user on
/// success; never a secret: the server masks them before any hook sees a line), `mail`,
/// `rcpt`, `accepted` / `rejected` / `aborted` (message ID, size, recipients, reply code,
/// duration), `reply` (every refusal, 4xx and 5xx, and the `queued as` 250), `limit` and
/// `disconnect` (duration, octets, message counts). Each line names the session's ID, and
/// those about a message its message ID (the server assigns both: `assign_ids`).
///
/// It also names the message in the reply to its DATA: a 250 `OK` becomes
/// `250 2.0.0 OK: queued as <ID>` (Postfix's wording), another 250 text gets
/// `: queued as <ID>` appended. Without this mixin the reply stays aiosmtpd's `250 OK`.
/// Every hook the handler declares still runs.
template <class Handler>
class logged : public Handler {
    // Whether the handler's own handle_DATA is a coroutine (then so is ours).
    template <class C>
    static constexpr bool async_data = [] {
        if constexpr (has_handle_DATA<Handler, C>)
            return detail::is_awaitable_v<decltype(std::declval<Handler&>().handle_DATA(
                std::declval<connection&>(), std::declval<session&>(),
                std::declval<envelope<C>&>()))>;
        else
            return false;
    }();

public:
    /// Asks the server for session and message IDs.
    static constexpr bool assign_ids = true;

    /// The handler, logging to `to` in `how` (null: logging nothing and leaving the replies as
    /// they are, as smtpd does without --log-format).
    logged(Handler handler, std::shared_ptr<sink> to, format how)
        : Handler(std::move(handler)), sink_(std::move(to)), format_(how) {}

    /// The sink it writes to (null when it logs nothing).
    sink* log_sink() const noexcept { return sink_.get(); }

    /// Logs `connect`, `helo`, `mail`, `rcpt` and refusals as the conversation shows them, then
    /// calls the handler's hook.
    void trace(const connection& c, trace_event event, std::string_view bytes) {
        switch (sink_ ? event : trace_event::closed) {
        case trace_event::connected: {
            const peer_address& peer = c.session().peer;
            std::string where = peer.family == peer_address::family_type::ipv6
                                    ? "[" + peer.host + "]:" + std::to_string(peer.port)
                                : peer.family == peer_address::family_type::local
                                    ? peer.host
                                    : peer.host + ":" + std::to_string(peer.port);
            write(line("connect", c).add("peer", where));
            break;
        }
        case trace_event::command: log_command(c, bytes); break;
        case trace_event::reply: log_replies(c, bytes); break;
        default: break;
        }
        if constexpr (has_trace<Handler>) Handler::trace(c, event, bytes);
    }

    /// Logs `disconnect`, then calls the handler's hook.
    void connection_closed(const connection& c, const connection_stats& s) {
        if (sink_)
            write(line("disconnect", c)
                      .add_seconds("duration", s.duration)
                      .add("bytes_in", s.bytes_received)
                      .add("bytes_out", s.bytes_sent)
                      .add("accepted", std::uint64_t(s.messages_accepted))
                      .add("rejected", std::uint64_t(s.messages_rejected)));
        if constexpr (has_connection_closed<Handler>) Handler::connection_closed(c, s);
    }
    /// Logs `accepted`, then calls the handler's hook.
    void message_accepted(const connection& c, const message_stats& s) {
        if (sink_) write(message_line("accepted", c, s));
        if constexpr (has_message_accepted<Handler>) Handler::message_accepted(c, s);
    }
    /// Logs `rejected`, then calls the handler's hook.
    void message_rejected(const connection& c, const message_stats& s) {
        if (sink_) write(message_line("rejected", c, s));
        if constexpr (has_message_rejected<Handler>) Handler::message_rejected(c, s);
    }
    /// Logs `aborted`, then calls the handler's hook.
    void message_aborted(const connection& c, const message_stats& s) {
        if (sink_) write(message_line("aborted", c, s));
        if constexpr (has_message_aborted<Handler>) Handler::message_aborted(c, s);
    }
    /// Logs `auth` (mechanism, result, and the user when it succeeded), then calls the
    /// handler's hook.
    void auth_completed(const connection& c, std::string_view mechanism, bool success) {
        if (sink_) {
            event_line l = line("auth", c);
            l.add("mechanism", mechanism).add("result", success ? "success" : "failure");
            if (success && !c.session().login_data.empty()) l.add("user", c.session().login_data);
            write(l);
        }
        if constexpr (has_auth_completed<Handler>) Handler::auth_completed(c, mechanism, success);
    }
    /// Logs `tls` (result, version, cipher), then calls the handler's hook.
    void tls_handshake(const connection& c, bool success) {
        if (sink_) {
            event_line l = line("tls", c);
            l.add("result", success ? "success" : "failure");
            if (const auto& ssl = c.session().ssl; success && ssl)
                l.add("version", ssl->version).add("cipher", ssl->cipher);
            write(l);
        }
        if constexpr (has_tls_handshake<Handler>) Handler::tls_handshake(c, success);
    }
    /// Logs `limit`, then calls the handler's hook.
    void limit_reached(const connection& c, smtp::limit which) {
        static constexpr std::string_view names[] = {
            "connections",      "connections_per_client", "auth_failures", "message_size",
            "timeout",          "connection_rate",        "message_rate",  "recipient_rate",
            "auth_failure_rate"};
        if (sink_)
            write(line("limit", c).add("limit", names[std::size_t(which) % std::size(names)]));
        if constexpr (has_limit_reached<Handler>) Handler::limit_reached(c, which);
    }

    /// The handler's handle_DATA (or the default `250 OK`), its 250 naming the message ID.
    template <class C>
    requires(!async_data<C>) reply handle_DATA(connection& c, session& s, envelope<C>& e) {
        reply r = reply::ok();
        if constexpr (has_handle_DATA<Handler, C>) r = Handler::handle_DATA(c, s, e);
        name_message(r, e);
        return r;
    }
    /// As the other overload, for a handler whose handle_DATA is a coroutine.
    template <class C>
    requires async_data<C> boost::asio::awaitable<reply> handle_DATA(connection& c, session& s,
                                                                     envelope<C>& e) {
        reply r = co_await Handler::handle_DATA(c, s, e);
        name_message(r, e);
        co_return r;
    }

private:
    void name_message(reply& r, const envelope_base& e) {
        if (!sink_ || r.code != 250 || e.message_id.empty()) return;
        if (r.text == "OK")
            r.text = "2.0.0 OK: queued as " + e.message_id;
        else if (r.text.find('\n') == std::string::npos)
            r.text += ": queued as " + e.message_id;
    }

    event_line line(std::string_view event, const connection& c) const {
        event_line l(format_, event);
        l.add("session", c.session().id);
        return l;
    }
    event_line message_line(std::string_view event, const connection& c,
                            const message_stats& s) const {
        event_line l = line(event, c);
        l.add("message", s.message_id)
            .add("size", std::uint64_t(s.size))
            .add("recipients", std::uint64_t(s.recipients));
        if (s.reply_code != 0) l.add("code", std::uint64_t(s.reply_code));
        l.add_seconds("duration", s.duration);
        return l;
    }
    void write(event_line& l) const { sink_->write(std::move(l).finish()); }
    void write(event_line&& l) const { write(l); }

    // HELO/EHLO/LHLO, MAIL and RCPT with their argument; nothing else (an AUTH line is masked
    // by the server, but is not logged here at all).
    void log_command(const connection& c, std::string_view bytes) const {
        while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r'))
            bytes.remove_suffix(1);
        std::string_view verb = bytes.substr(0, bytes.find(' '));
        std::string_view arg =
            verb.size() < bytes.size() ? bytes.substr(verb.size() + 1) : std::string_view();
        auto is = [&](std::string_view name) {
            if (verb.size() != name.size()) return false;
            for (std::size_t i = 0; i < name.size(); ++i)
                if ((verb[i] & ~0x20) != name[i]) return false;
            return true;
        };
        if (is("HELO") || is("EHLO") || is("LHLO"))
            write(line("helo", c).add("verb", verb).add("name", arg));
        else if (is("MAIL"))
            write(line("mail", c).add("arg", arg));
        else if (is("RCPT"))
            write(line("rcpt", c).add("arg", arg));
    }

    // Refusals (4xx, 5xx) and the 250 that names a queued message, one event per reply.
    void log_replies(const connection& c, std::string_view bytes) const {
        while (bytes.size() >= 3) {
            std::size_t end = bytes.find('\n');
            std::string_view text = bytes.substr(0, end);
            if (text.ends_with('\r')) text.remove_suffix(1);
            bool final_line = text.size() == 3 || (text.size() > 3 && text[3] == ' ');
            if (final_line && (text[0] == '4' || text[0] == '5' ||
                               text.find(": queued as ") != std::string_view::npos))
                write(line("reply", c)
                          .add("code", std::uint64_t((text[0] - '0') * 100 + (text[1] - '0') * 10 +
                                                     (text[2] - '0')))
                          .add("text", text.size() > 4 ? text.substr(4) : std::string_view()));
            if (end == std::string_view::npos) break;
            bytes.remove_prefix(end + 1);
        }
    }

    std::shared_ptr<sink> sink_;
    format format_;
};

} // namespace smtp::logging

#endif
