#ifndef SMTP_IMPL_SERVER_AUTH_HPP
#define SMTP_IMPL_SERVER_AUTH_HPP

// AUTH (RFC 4954) once the protocol core has checked the command: the exchange with the chosen
// mechanism (or the handler's handle_AUTH), the session's new identity, and the failure delay and
// limit that make password guessing slow.

#include <smtp/detail/base64.hpp>
#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/observe.hpp>

#include <boost/asio/steady_timer.hpp>

#include <any>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace smtp {

// AUTH after its checks passed: the handler's handle_AUTH, or the mechanism's exchange, then
// the result applied to the session.
// False when the connection is to close (options::auth_failure_limit).
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool>
server<Handler, AuthPolicy, DecodePolicy>::authenticate(served_connection& conn,
                                                        protocol_type& proto, envelope_type& env) {
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
        co_return co_await settle_auth(conn);
    }
    std::string_view mechanism = proto.auth().mechanism;
    std::string_view initial_response = proto.auth().initial_response;
    // The initial response, decoded before the exchange reads more input over its bytes.
    std::optional<std::string> initial;
    if (initial_response == "=") {
        initial.emplace(); // RFC 4954: an empty initial response (aiosmtpd rejects it)
    } else if (!initial_response.empty()) {
        initial = detail::base64_decode(initial_response);
        if (!initial) {
            reply::write_to(conn.output(), 501, "5.5.2 Can't decode base64");
            detail::observe_auth(handler_, conn, mechanism, false);
            co_return true;
        }
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
    if (result.success) {
        s.authenticated = true;
        s.auth_data = std::move(result.auth_data);
        if (const auto* credentials = std::any_cast<login_password>(&s.auth_data))
            s.login_data = credentials->authzid.empty() ? credentials->login : credentials->authzid;
        if (result.message.empty())
            reply::write_to(conn.output(), 235, "2.7.0 Authentication successful");
        else
            proto.write(result.message);
        detail::observe_auth(handler_, conn, mechanism, true);
        co_return true;
    }
    detail::observe_auth(handler_, conn, mechanism, false);
    if (!result.message.empty()) {
        conn.note_final_reply(result.message.code);
        proto.write(result.message);
    } else if (!result.handled || !conn.auth_replied()) {
        conn.note_final_reply(535);
        reply::write_to(conn.output(), 535, "5.7.8 Authentication credentials invalid");
    }
    co_return co_await settle_auth(conn);
}

// After an AUTH exchange: the base's pause and limit, and limit_reached when the limit is passed.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool>
server<Handler, AuthPolicy, DecodePolicy>::settle_auth(served_connection& conn) {
    // A 421 from the handler (a rate limit on failed logins: policy::rate_limited) closes the
    // connection, as 421 says; the handler has told its own limit_reached.
    if (conn.auth_reply_code() == 421) co_return false;
    bool goes_on = co_await settle_auth_failure(conn); // named: see server::admit
    if (!goes_on) detail::observe_limit(handler_, conn, limit::auth_failures);
    co_return goes_on;
}

} // namespace smtp

#endif
