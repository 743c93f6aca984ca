#ifndef SMTP_STATS_HPP
#define SMTP_STATS_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

/// \file
/// The figures the observability hooks receive (hooks.hpp: connection_opened,
/// connection_closed, message_accepted, message_rejected): what an operator counts and graphs,
/// with no metrics library behind them.
namespace smtp {

/// One connection, when it closes.
struct connection_stats {
    /// From the accept to the close.
    std::chrono::steady_clock::duration duration{};
    /// Octets read from the socket (TLS records included once TLS is on).
    std::uint64_t bytes_received = 0;
    /// Octets written to the socket.
    std::uint64_t bytes_sent = 0;
    /// Messages the server answered with a 2xx after DATA or the last BDAT.
    std::uint32_t messages_accepted = 0;
    /// Messages answered with anything else.
    std::uint32_t messages_rejected = 0;
};

/// One message, once its DATA reply is decided.
struct message_stats {
    /// Octets of the message as delivered (dot-stuffing removed; for streamed messages, what
    /// handle_DATA_chunk was given).
    std::size_t size = 0;
    /// Recipients of the transaction.
    std::size_t recipients = 0;
    /// The reply code sent (the first one in LMTP, where each recipient gets one).
    int reply_code = 0;
    /// From the DATA command (or the first BDAT) to the reply: the transfer plus the handler's
    /// work.
    std::chrono::steady_clock::duration duration{};
    /// The message's ID (`envelope.message_id`), when the handler asks for IDs
    /// (`static constexpr bool assign_ids = true`); empty otherwise. Valid while the hook runs.
    std::string_view message_id = {};
};

/// Which limit a `limit_reached` hook is told about.
enum class limit {
    connections,            ///< options::max_connections: the connection got a 421
    connections_per_client, ///< options::max_connections_per_client: a 421
    auth_failures,          ///< options::auth_failure_limit: a 421 and the connection closes
    message_size,           ///< the message was over options::data_size_limit: a 552
    timeout,                ///< the client was silent past options::timeout: a 421
    // Rate limits (smtp::policy::rate_limited, docs/policy.md).
    connection_rate,  ///< new connections per client address: a 421 at connect
    message_rate,     ///< messages (MAIL) per client address: a 450
    recipient_rate,   ///< recipients (RCPT) per client address: a 450
    auth_failure_rate ///< failed AUTH per client address or user name: a 421 and close
};

} // namespace smtp

#endif
