#ifndef SMTP_HANDLERS_RELAY_HPP
#define SMTP_HANDLERS_RELAY_HPP

#include <smtp/auth.hpp>
#include <smtp/client.hpp>
#include <smtp/client/sendmail.hpp>
#include <smtp/connection.hpp>
#include <smtp/envelope.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/usage_error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/system_error.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace smtp::handlers {

/// How a relay talks to the next server.
struct relay_options {
    /// When set, STARTTLS is used if the next server offers it (a client context).
    std::shared_ptr<boost::asio::ssl::context> tls = nullptr;
    /// Do not relay (451) when the next server does not offer STARTTLS.
    bool require_tls = false;
    /// When set, AUTH (PLAIN, else LOGIN) with these credentials.
    std::optional<login_password> credentials = std::nullopt;
    /// The EHLO name; empty: this server's host name.
    std::string helo_name = {};
    /// Timeouts of each step of the relay (a step that times out gives 451).
    client_options client = {};
    /// Tell the next server who the original client was with XFORWARD when it offers it
    /// (Postfix's XFORWARD_README; smtp::original_client). Servers that do not offer it see
    /// nothing of it.
    bool send_xforward = true;
    /// The same with XCLIENT, which makes the next server treat the session as the original
    /// client's (its checks, its logs): only for a next server that trusts this one so far.
    bool send_xclient = false;
};

/// aiosmtpd's `Proxy` handler (`-c Proxy`), named for what it does: each message is relayed to
/// another SMTP server. (Not the PROXY protocol of HAProxy: that is `proxy_data` and
/// `handle_PROXY`.)
///
/// The content gets `X-Peer: <client IP>` inserted before the empty line that ends its header
/// section (before its last line when it has none), with that line's own line ending, exactly
/// as aiosmtpd does; the envelope's sender and recipients are kept. The relay is asynchronous
/// (`smtp::client`): other connections go on while it runs.
///
/// Unlike aiosmtpd, which answers `250 OK` whatever happened, the reply tells the truth where
/// SMTP lets it (RFC 5321 §3.3, §4.2.5, §6.1). What the next server did, and the reply:
///
/// - took the message for every recipient: `250 OK`;
/// - took it for some recipients and refused others: `250 OK (N of M recipients refused
///   upstream)`. The message went to the others, and one reply to DATA cannot refuse part of a
///   transaction, so these refusals do not reach the client (`relay_message` gives them to a
///   handler that wants them);
/// - refused every recipient, at least one of them temporarily (4xx): `451` with the first
///   temporary refusal's text, so that the client tries again later;
/// - refused every recipient permanently (5xx): `554` with the first refusal's text;
/// - refused MAIL FROM or the message: its code when that is valid after DATA (450, 451, 452,
///   550, 552, 554), else 451 for 4xx and 554 for 5xx, with its text;
/// - could not be reached, timed out, or the connection failed:
///   `451 4.4.1 Upstream server unavailable, try again later`;
/// - refused the session (greeting, EHLO, STARTTLS, AUTH) or broke the protocol:
///   `451 4.4.0 Upstream session failed, try again later`.
///
/// A handler that wants the refusals (to log them, or to send its own bounces) derives from
/// `relay` and defines handle_DATA with `relay_message` and `summarize`.
class relay {
public:
    /// Its name on the command line (`-c Proxy HOST PORT`).
    static constexpr const char* cli_name = "Proxy";

    /// Relays to `remote_host`:`remote_port`.
    relay(std::string remote_host, std::uint16_t remote_port, relay_options opts = {})
        : host_(std::move(remote_host)), port_(remote_port), opts_(std::move(opts)) {}

    /// `-c Proxy HOST PORT`.
    static relay from_cli(std::span<const std::string> args) {
        if (args.size() < 2) throw usage_error("The remote host and port are required");
        if (args.size() > 2) throw usage_error("Too many arguments for Proxy handler");
        unsigned port = 0;
        const std::string& text = args[1];
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
        if (ec != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535)
            throw usage_error("Invalid port number: " + text);
        return relay(args[0], std::uint16_t(port));
    }

    /// The hook: relays, then answers as the table above says.
    template <class Content>
    boost::asio::awaitable<reply> handle_DATA(connection& conn, session& s,
                                              envelope<Content>& env) {
        try {
            co_return summarize(co_await relay_message(conn, s, env));
        } catch (const client_error&) {
            co_return reply{451, "4.4.0 Upstream session failed, try again later"};
        } catch (const boost::system::system_error&) {
            co_return unavailable();
        }
    }

    /// Relays the message and returns what the next server said. Throws `client_error` when
    /// the session with it failed before the transaction, `boost::system::system_error` when
    /// it could not be reached or the connection failed.
    template <class Content>
    boost::asio::awaitable<send_result> relay_message(connection& conn, const session& s,
                                                      const envelope<Content>& env) {
        sendmail_options options{.helo_name = opts_.helo_name.empty() ? std::string(conn.hostname())
                                                                      : opts_.helo_name,
                                 .tls = opts_.tls.get(),
                                 .require_tls = opts_.require_tls,
                                 .credentials = opts_.credentials,
                                 .client = opts_.client};
        forwarded_client original = original_client(s, env);
        if (opts_.send_xforward) options.xforward = &original;
        if (opts_.send_xclient) options.xclient = &original;
        std::string data = add_peer(env.original_content, s.peer.host);
        co_return co_await async_sendmail(host_, port_, env.mail_from, env.rcpt_tos, data, options);
    }

    /// The reply for a relay's result (the table above).
    static reply summarize(const send_result& result) {
        if (!result.mail.positive()) return after_data(result.mail);
        std::size_t refused = 0;
        const recipient_result* first_refusal = nullptr;
        const recipient_result* first_temporary = nullptr;
        for (const auto& r : result.recipients) {
            if (r.accepted()) continue;
            ++refused;
            if (!first_refusal) first_refusal = &r;
            if (!first_temporary && r.reply.code >= 400 && r.reply.code < 500) first_temporary = &r;
        }
        if (refused == result.recipients.size()) {
            if (first_temporary) return {451, first_temporary->reply.text};
            if (first_refusal) return {554, first_refusal->reply.text};
            return {554, "5.5.1 No valid recipients"};
        }
        if (!result.data.positive()) return after_data(result.data);
        if (refused == 0) return reply::ok();
        return {250, "OK (" + std::to_string(refused) + " of " +
                         std::to_string(result.recipients.size()) +
                         " recipients refused upstream)"};
    }

    /// aiosmtpd's header insertion: `X-Peer: <peer_host>` before the first line that is only a
    /// line ending (CRLF, CR or LF), with that ending; before the last line when there is none.
    static std::string add_peer(std::string_view content, std::string_view peer_host) {
        std::size_t at = 0, last_start = 0;
        std::string_view ending = "\r\n";
        bool found = false;
        for (std::size_t pos = 0; pos < content.size();) {
            std::size_t end = content.find_first_of("\r\n", pos);
            std::size_t next =
                end == std::string_view::npos ? content.size()
                : (content[end] == '\r' && end + 1 < content.size() && content[end + 1] == '\n')
                    ? end + 2
                    : end + 1;
            last_start = pos;
            if (end == pos) { // a line that is only its ending
                at = pos;
                ending = content.substr(pos, next - pos);
                found = true;
                break;
            }
            pos = next;
        }
        if (!found) at = last_start;
        std::string out;
        out.reserve(content.size() + peer_host.size() + 10);
        out.append(content.substr(0, at)).append("X-Peer: ").append(peer_host).append(ending);
        out.append(content.substr(at));
        return out;
    }

    /// The next server's host.
    const std::string& remote_host() const noexcept { return host_; }
    /// The next server's port.
    std::uint16_t remote_port() const noexcept { return port_; }

private:
    static reply unavailable() {
        return {451, "4.4.1 Upstream server unavailable, try again later"};
    }

    // A refusal of MAIL or of the message, as a reply to the end of our DATA.
    static reply after_data(const reply& r) {
        switch (r.code) {
        case 450:
        case 451:
        case 452:
        case 550:
        case 552:
        case 554: return r;
        default:
            if (r.text.empty()) return unavailable();
            return {r.code >= 500 ? 554 : 451, r.text};
        }
    }

    std::string host_;
    std::uint16_t port_;
    relay_options opts_;
};

} // namespace smtp::handlers

#endif
