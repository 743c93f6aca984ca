#ifndef SMTP_DETAIL_NEXT_ACTION_HPP
#define SMTP_DETAIL_NEXT_ACTION_HPP

#include <smtp/detail/command.hpp>

namespace smtp::detail {

/// What the driver (the server's coroutine, or a socket-free one such as offline_session) does
/// after the protocol core took a step. The core decides every reply and every transition; the
/// driver only performs what it is told: the core has no I/O and calls no hook, the driver
/// checks nothing. (The shape of Boost.MySQL's `next_action` and Boost.Redis' reader FSM.)
struct next_action {
    enum class kind {
        read_command,  ///< replies, if any, are queued: read the next command
        close,         ///< a reply is queued: flush it, then close the connection
        call_hook,     ///< ask the handler about `hook` (protocol::request() holds its
                       ///< arguments), then hand the answer to protocol::hook_answered(); a
                       ///< handler without that hook: protocol::answer_by_default()
        receive_data,  ///< 354 is queued: feed the body to protocol::feed_data(), then call
                       ///< protocol::finish_data()
        receive_chunk, ///< a BDAT chunk follows: protocol::take_chunk() its octets, then
                       ///< protocol::finish_chunk()
        authenticate,  ///< AUTH passed its checks: run protocol::auth_request()'s mechanism
        start_tls,     ///< STARTTLS passed its checks: send `220`, handshake, then
                       ///< protocol::tls_started()
    };

    kind what = kind::read_command;
    /// For `call_hook`: HELO, EHLO (LHLO too), NOOP, QUIT, RSET, VRFY, MAIL or RCPT.
    verb hook = verb::unknown;

    static constexpr next_action read_command() noexcept { return {kind::read_command}; }
    static constexpr next_action close() noexcept { return {kind::close}; }
    static constexpr next_action call(verb v) noexcept { return {kind::call_hook, v}; }
};

} // namespace smtp::detail

#endif
