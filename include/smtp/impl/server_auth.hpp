#ifndef SMTP_IMPL_SERVER_AUTH_HPP
#define SMTP_IMPL_SERVER_AUTH_HPP

// AUTH (RFC 4954) once the protocol core has checked the command: the exchange with the chosen
// mechanism (or the handler's handle_AUTH), the session's new identity, and the failure delay and
// limit that make password guessing slow.

#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/observe.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace smtp {

// AUTH after its checks passed: the handler's handle_AUTH, or the mechanism's exchange, then
// the result applied to the session.
// outcome::close when the connection is to close (options::auth_failure_limit).
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::authenticate(served_connection& conn,
                                                             protocol_type& proto,
                                                             envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    session& s = conn.session();
    conn.begin_auth_exchange();
    if constexpr (has_handle_AUTH<Handler, content_type>) {
        std::vector<std::string> args;
        for (std::string_view rest = proto.current_command().arg; !rest.empty();) {
            auto end = rest.find_first_of(" \t");
            args.emplace_back(rest.substr(0, end));
            rest = detail::strip(rest.substr(end == std::string_view::npos ? rest.size() : end));
        }
        reply r;
        SMTP_DETAIL_CALL_HOOK(
            r, handler_.handle_AUTH(conn, s, env, std::span<const std::string>(args)));
        if (!r.empty() || !conn.auth_replied()) {
            conn.note_final_reply(r.empty() ? 451 : r.code);
            proto.write_hook_reply(r);
        }
        if constexpr (has_auth_completed<Handler>) {
            std::string_view named = args.empty() ? std::string_view() : args.front();
            detail::observe_auth(handler_, conn, named, s.authenticated);
        }
        auth_settled how = co_await settle_auth(conn); // named: see server::admit
        co_return settled(conn, how);
    }
    std::string_view mechanism = proto.auth().mechanism;
    // The initial response, decoded before the exchange reads more input over its bytes.
    std::optional<std::string> initial;
    if (!decode_initial_response(conn, proto.auth().initial_response, initial)) {
        detail::observe_auth(handler_, conn, mechanism, false);
        co_return outcome::go_on;
    }
    auth_result result;
    std::optional<boost::asio::awaitable<auth_result>> exchange;
    // The mechanism's coroutine is created here and awaited below (lazily started).
    mechanisms::visit(mechanism, [&](auto type) {
        using mechanism_type = typename decltype(type)::type;
        exchange.emplace(
            auth::exchange<mechanism_type>(handler_, conn, s, env, std::move(initial)));
    });
    if (exchange) result = co_await std::move(*exchange);
    bool success = conclude_auth(conn, result);
    detail::observe_auth(handler_, conn, mechanism, success);
    if (success) co_return outcome::go_on;
    auth_settled how = co_await settle_auth(conn);
    co_return settled(conn, how);
}

template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::settled(served_connection& conn, auth_settled how)
    -> outcome {
    if (how == auth_settled::over_limit)
        detail::observe_limit(handler_, conn, limit::auth_failures);
    return how == auth_settled::go_on ? outcome::go_on : outcome::close;
}

} // namespace smtp

#endif
