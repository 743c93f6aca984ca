#ifndef SMTP_OPTIONS_HPP
#define SMTP_OPTIONS_HPP

#include <smtp/version.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace smtp {

class tls_context; // tls.hpp

/// Per-verb budgets for `options::command_call_limit` (aiosmtpd's `command_call_limit`).
///
/// Every call of a verb, accepted or not, spends one unit of its budget; the call that finds
/// the budget spent gets `421 4.7.0 <VERB> sent too many times` and the connection closes.
/// Budgets are per connection and survive RSET, HELO, EHLO and STARTTLS.
struct call_limits {
    /// The budget of every verb not listed in `per_verb` (aiosmtpd's `"*"` key, default 20).
    std::size_t default_limit = 20;
    /// Budgets for single verbs, e.g. `{{"NOOP", 5}, {"RSET", 10}}`; names are upper case.
    std::vector<std::pair<std::string, std::size_t>> per_verb = {};
};

/// The prompts of AUTH LOGIN.
enum class login_prompts {
    aiosmtpd, ///< `User Name\0` and `Password\0`, as aiosmtpd sends them
    standard  ///< `Username:` and `Password:`, as most servers send and Go's net/smtp needs
};

/// What the DATA reader does with a bare LF or a bare CR (one not part of a CRLF) in a message
/// (`options::bare_newline`). The body ends only at CRLF.CRLF whatever is chosen.
enum class bare_newline_policy {
    accept,   ///< content like any other octet (aiosmtpd's behaviour, the default)
    reject,   ///< the message is read to its end and refused with `550 5.6.11`
    normalize ///< each bare LF or CR becomes CRLF in the stored message
};

/// Run-time settings of a server, set with designated initialisers:
///
/// \code
/// smtp::options opts{.hostname = "mx.example.com", .data_size_limit = 10 << 20};
/// \endcode
///
/// Defaults are aiosmtpd's `SMTP` class defaults unless stated.
struct options {
    /// Name in the greeting, the HELO reply and the first EHLO line. Empty: the machine's host
    /// name, looked up once when the server is created (aiosmtpd: getfqdn() per connection).
    std::string hostname = {};
    /// Second part of the greeting `220 <hostname> <ident>`.
    std::string ident = "ESMTP smtp " SMTP_VERSION_STRING;
    /// Idle timeout. On expiry the server answers `421 4.4.2 <hostname> Error: timeout
    /// exceeded` and closes. It is re-armed at every command and while DATA bytes flow, and does
    /// not run while a hook is working.
    std::chrono::milliseconds timeout = std::chrono::seconds(300);
    /// Largest message accepted, in octets as received (dot-stuffing and CRLFs counted).
    /// Advertised as `SIZE`; 0 means no limit and no advertisement.
    std::size_t data_size_limit = 33554432;
    /// Advertise and accept SMTPUTF8 (RFC 6531); without it non-ASCII arguments get
    /// `500 Error: strict ASCII mode`.
    bool enable_smtputf8 = false;
    /// Longest command line in octets without its CRLF (RFC 5321: 512). In ESMTP mode MAIL
    /// gets 26 more for SIZE=, and 10 more with SMTPUTF8 (per session, unlike aiosmtpd).
    std::size_t command_size_limit = 512;
    /// Longest DATA line in octets including its CRLF (RFC 5321: 1000; aiosmtpd accepts 1001).
    std::size_t data_line_limit = 1001;
    /// Longest local part of MAIL and RCPT addresses; 0 means no limit (`553` past it).
    std::size_t local_part_limit = 0;
    /// Per-verb call budgets; absent (the default) means none.
    std::optional<call_limits> command_call_limit = std::nullopt;
    /// Unrecognised commands allowed per connection; the last one is answered
    /// `502 5.5.1 Too many unrecognized commands, goodbye.` and closes the connection.
    std::size_t unknown_command_limit = 5;
    /// Certificates for STARTTLS and implicit-TLS listeners (tls.hpp); none: no TLS, and
    /// STARTTLS answers `454 TLS not available`.
    std::shared_ptr<tls_context> tls = nullptr;
    /// How long a TLS handshake may take before the connection is closed.
    std::chrono::milliseconds tls_handshake_timeout = std::chrono::seconds(30);
    /// Refuse everything but NOOP, EHLO, LHLO, STARTTLS and QUIT until TLS is active
    /// (effective only when TLS is configured).
    bool require_starttls = false;
    /// Answer HELP, VRFY, MAIL, RCPT and DATA with `530 5.7.0 Authentication required` until the
    /// client has authenticated.
    bool auth_required = false;
    /// Offer and accept AUTH only over TLS.
    bool auth_require_tls = true;
    /// Failed AUTH attempts allowed per connection: the failure after that many is answered
    /// `421 4.7.0 Too many authentication failures` instead of `535`, and the connection
    /// closes. A failure is an exchange that ends with `535`. 0: no limit (aiosmtpd's).
    std::size_t auth_failure_limit = 3;
    /// How long the server waits before it answers a failed AUTH (`535`, or the `421` above),
    /// so that one connection cannot try passwords at wire speed. Only that session waits;
    /// 0: answer at once (aiosmtpd's).
    std::chrono::milliseconds auth_failure_delay = std::chrono::seconds(1);
    /// Mechanism names removed from those the AuthPolicy offers (matched case-insensitively).
    std::vector<std::string> auth_exclude_mechanism = {};
    /// The prompts of the built-in LOGIN mechanism.
    login_prompts auth_login_prompts = login_prompts::aiosmtpd;
    /// Speak LMTP (RFC 2033) instead of SMTP: LHLO instead of HELO/EHLO, and after DATA one
    /// reply per accepted recipient.
    bool lmtp = false;
    /// Expect a PROXY protocol header (HAProxy's v1 or v2) before the greeting, within this
    /// time; absent: no PROXY protocol. A connection without a valid header is closed.
    std::optional<std::chrono::milliseconds> proxy_protocol_timeout = std::nullopt;
    /// Where PROXY headers may come from: addresses or networks ("10.0.0.0/8", "::1"). Empty:
    /// from anywhere (aiosmtpd's behaviour). A connection from elsewhere is closed unread.
    std::vector<std::string> proxy_trusted = {};

    // ESMTP extensions aiosmtpd does not have. Each is off by default, so that EHLO and every
    // reply stay aiosmtpd's, and on with one flag.

    /// Advertise PIPELINING (RFC 2920). The server behaves the same either way: replies to a
    /// batch of commands are gathered and written once the received input is used up.
    bool pipelining = false;
    /// Advertise CHUNKING and BINARYMIME and accept `BDAT <size> [LAST]` (RFC 3030).
    bool chunking = false;
    /// Advertise ENHANCEDSTATUSCODES: every 2xx, 4xx and 5xx reply but the greeting and the
    /// HELO/EHLO replies starts with an RFC 3463 code (`250 2.1.0 OK`); a hook's reply without
    /// one gets `<class>.0.0`.
    bool enhanced_status_codes = false;
    /// Advertise DSN and accept RFC 3461's RET and ENVID on MAIL and NOTIFY and ORCPT on RCPT,
    /// validated and decoded into `envelope::dsn`.
    bool dsn = false;
    /// Advertise REQUIRETLS over TLS and accept the MAIL parameter REQUIRETLS there
    /// (RFC 8689); it is recorded as `envelope::require_tls`.
    bool requiretls = false;

    // Limits (0 means none). aiosmtpd has none of these; max_recipients is on by default.

    /// Connections served at once; one more is answered `421 <hostname> Too many connections,
    /// try again later` and closed (as Postfix and node's smtp-server do).
    std::size_t max_connections = 0;
    /// Connections at once from one client address.
    std::size_t max_connections_per_client = 0;
    /// Recipients per message; one more gets `452 4.5.3 Too many recipients` (RFC 5321
    /// §4.5.3.1.8: the client sends the rest in another transaction; servers must take at
    /// least 100). The default bounds what one transaction can make the server hold.
    std::size_t max_recipients = 1000;
    /// Messages per connection; the MAIL after that many gets `421 4.7.0 <hostname> Error: too
    /// many messages in this session` and the connection closes.
    std::size_t max_messages_per_connection = 0;
    /// Wait this long before the greeting; a client that speaks first (a spam bot, typically)
    /// gets `554 5.5.1 Error: talking before the greeting` and is closed, as Postfix's
    /// postscreen does. Zero: greet at once.
    std::chrono::milliseconds greeting_delay = std::chrono::milliseconds(0);

    // Postfix's XCLIENT and XFORWARD, RFC 9422's LIMITS, bare line ends in DATA
    // (docs/extensions.md). All off by default.

    /// Networks (CIDR, as `proxy_trusted`) whose clients may send XCLIENT, which EHLO then
    /// offers; from elsewhere XCLIENT is an unknown command. Empty: none.
    std::vector<std::string> xclient_trusted = {};
    /// Networks whose clients may send XFORWARD, which EHLO then offers. Empty: none.
    std::vector<std::string> xforward_trusted = {};
    /// Advertise `LIMITS RCPTMAX=<max_recipients> MAILMAX=<max_messages_per_connection>`
    /// (RFC 9422), each limit only when it is set.
    bool limits_extension = false;
    /// A bare LF or CR in a DATA body: kept, refused or made CRLF (BDAT chunks are binary and
    /// kept as sent).
    bare_newline_policy bare_newline = bare_newline_policy::accept;
    /// Prepend a `Received:` trace header (RFC 5321 §4.4, smtp::received_header) to every
    /// message before its hooks see it (`envelope.original_content` and `content`), so that the
    /// Mailbox, Proxy and Message handlers store or relay it. Streamed bodies
    /// (handle_DATA_chunk) do not get it.
    bool received_header = false;

    /// Threads a `smtp::controller` serves on, each with its own io_context and its own
    /// listener on the shared port (SO_REUSEPORT); 0: one per core. The handler is shared by
    /// all of them (docs/threads.md). A server alone serves on the executors given to listen().
    std::size_t threads = 1;
};

} // namespace smtp

#endif
