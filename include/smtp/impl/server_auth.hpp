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
// the result applied to the session; outcome::close when the connection is to close
// (options::auth_failure_limit). Not a coroutine itself: without handle_AUTH, what comes after
// the exchange is the base's conclude_exchange(), compiled once for a handler that observes
// nothing.
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::authenticate(served_connection& conn,
                                                             protocol_type& proto,
                                                             envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    conn.begin_auth_exchange();
    if constexpr (has_handle_AUTH<Handler, content_type>) {
        return authenticate_by_hook(conn, proto, env);
    } else {
        std::string_view mechanism = proto.auth().mechanism;
        // The initial response, decoded before the exchange reads more input over its bytes.
        std::optional<std::string> initial;
        if (!decode_initial_response(conn, proto.auth().initial_response, initial)) {
            detail::observe_auth(handler_, conn, mechanism, false);
            return finished(outcome::go_on);
        }
        auto exchange = mechanism_exchange(conn, env, mechanism, std::move(initial));
        if constexpr (has_auth_completed<Handler> || has_limit_reached<Handler>)
            return conclude_exchange(conn, mechanism, std::move(exchange), auth_observer{handler_});
        else
            return conclude_exchange(conn, mechanism, std::move(exchange),
                                     detail::no_auth_observer{});
    }
}

// The exchange of the mechanism the client named (created here, started when awaited).
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::mechanism_exchange(
    served_connection& conn, envelope_type& env, std::string_view mechanism,
    std::optional<std::string> initial) -> boost::asio::awaitable<auth_result> {
    std::optional<boost::asio::awaitable<auth_result>> exchange;
    mechanisms::visit(mechanism, [&](auto type) {
        using mechanism_type = typename decltype(type)::type;
        exchange.emplace(auth::exchange<mechanism_type>(handler_, conn, conn.session(), env,
                                                        std::move(initial)));
    });
    if (exchange) return std::move(*exchange);
    return auth::answered(auth_result{}); // not offered (the protocol core refused it already)
}

// AUTH by the handler's handle_AUTH, which does the whole exchange itself.
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::authenticate_by_hook(served_connection& conn,
                                                                     protocol_type& proto,
                                                                     envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    std::vector<std::string> args;
    for (std::string_view rest = proto.current_command().arg; !rest.empty();) {
        auto end = rest.find_first_of(" \t");
        args.emplace_back(rest.substr(0, end));
        rest = detail::strip(rest.substr(end == std::string_view::npos ? rest.size() : end));
    }
    reply r;
    // (Under `if constexpr`: an explicit instantiation of the server instantiates this too.)
    if constexpr (has_handle_AUTH<Handler, content_type>)
        SMTP_DETAIL_CALL_HOOK(
            r, handler_.handle_AUTH(conn, conn.session(), env, std::span<const std::string>(args)));
    if (!r.empty() || !conn.auth_replied()) {
        conn.note_final_reply(r.empty() ? 451 : r.code);
        proto.write_hook_reply(r);
    }
    if constexpr (has_auth_completed<Handler>) {
        std::string_view named = args.empty() ? std::string_view() : args.front();
        detail::observe_auth(handler_, conn, named, conn.session().authenticated);
    }
    auth_settled how = co_await settle_auth(conn); // named: see server_base.hpp (g++ 12)
    co_return settled(conn, how, auth_observer{handler_});
}

} // namespace smtp

#endif
