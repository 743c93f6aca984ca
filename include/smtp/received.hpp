#ifndef SMTP_RECEIVED_HPP
#define SMTP_RECEIVED_HPP

#include <smtp/detail/config.hpp>

#include <smtp/envelope.hpp>
#include <smtp/session.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace smtp {

/// The RFC 3848 `with` keyword of a session: SMTP after HELO, ESMTP after EHLO, LMTP (with
/// `lmtp`), each but SMTP followed by `S` over TLS and `A` once authenticated (ESMTPSA, LMTPS…).
SMTP_DECL std::string received_protocol(const session& s, bool lmtp);

/// An RFC 5322 date-time in UTC, `Thu, 03 Dec 2026 19:13:58 +0000`, independent of the locale.
SMTP_DECL std::string rfc5322_date(std::chrono::system_clock::time_point when);

/// The `Received:` trace header field (RFC 5321 §4.4) a server adds to a message it accepted,
/// as Postfix writes it, folded, ending in CRLF:
///
/// \code{.unparsed}
/// Received: from client.example (mail.client.example [192.0.2.7])
///         (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
///         by mx.example with ESMTPSA id 4F3A9C2B
///         for <bob@example.com>; Thu, 03 Dec 2026 19:13:58 +0000
/// \endcode
///
/// `from` is the HELO name, and in parentheses the client's host name (XCLIENT's NAME, else
/// `unknown`: the server looks up no DNS) and its address; the TLS comment is there over TLS (the
/// key size only for the AES and ChaCha20 ciphers, whose names say it); `with` is
/// received_protocol(); `id` is `envelope.message_id`, else `session.id` (when the server
/// assigns IDs), else absent; `for` is there when the message has exactly one recipient. After
/// XFORWARD the original client it names (HELO, NAME, ADDR, PROTO) is written instead, as
/// Postfix does. `by` is the server's host name.
SMTP_DECL std::string
received_header(const session& s, const envelope_base& env, std::string_view by, bool lmtp = false,
                std::chrono::system_clock::time_point when = std::chrono::system_clock::now());

} // namespace smtp

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/received.ipp>
#endif

#endif
