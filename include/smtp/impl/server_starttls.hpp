#ifndef SMTP_IMPL_SERVER_STARTTLS_HPP
#define SMTP_IMPL_SERVER_STARTTLS_HPP

// STARTTLS (RFC 3207) once the protocol core has checked the command and queued its 220.

#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/observe.hpp>

namespace smtp {

// STARTTLS after its checks passed: 220, the handshake, and a new session (RFC 3207 §4.2: the
// client must greet again). A failed handshake closes the connection without a reply.
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::starttls(served_connection& conn,
                                                         protocol_type& proto, envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    tls_start started = co_await begin_tls_session(conn); // named: see server_base.hpp (g++ 12)
    if (started != tls_start::lost)
        detail::observe_tls(handler_, conn, started == tls_start::secured);
    if (started != tls_start::secured) co_return outcome::lost;
    proto.tls_started();
    if constexpr (has_handle_STARTTLS<Handler, content_type>) {
        bool accepted = false;
        SMTP_DETAIL_CALL_HOOK(accepted, handler_.handle_STARTTLS(conn, conn.session(), env));
        if (!accepted) proto.refuse_commands();
    }
    co_return outcome::go_on;
}

} // namespace smtp

#endif
