#ifndef SMTP_IMPL_SERVER_STARTTLS_HPP
#define SMTP_IMPL_SERVER_STARTTLS_HPP

// STARTTLS (RFC 3207) once the protocol core has checked the command and queued its 220.

#include <smtp/detail/call_hook.hpp>

namespace smtp {

// STARTTLS after its checks passed: 220, the handshake, and a new session (RFC 3207 §4.2: the
// client must greet again). A failed handshake closes the connection without a reply.
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::starttls(served_connection& conn,
                                                         protocol_type& proto, envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    // The core has queued the 220.
    // The context named first: g++ 12 destroys temporaries in a co_await expression too early.
    auto context = tls();
    if (!co_await conn.flush() || !co_await conn.start_tls(std::move(context)))
        co_return outcome::lost;
    session& s = conn.session();
    session fresh;
    fresh.peer = std::move(s.peer);
    fresh.ssl = std::move(s.ssl);
    fresh.proxy = std::move(s.proxy); // what the proxy said still holds (aiosmtpd loses it)
    fresh.proxy_peer = std::move(s.proxy_peer);
    s = std::move(fresh);
    proto.tls_started();
    if constexpr (has_handle_STARTTLS<Handler, content_type>) {
        bool accepted = false;
        SMTP_DETAIL_CALL_HOOK(accepted, handler_.handle_STARTTLS(conn, s, env));
        if (!accepted) proto.refuse_commands();
    }
    co_return outcome::go_on;
}

} // namespace smtp

#endif
