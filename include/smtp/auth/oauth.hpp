#ifndef SMTP_AUTH_OAUTH_HPP
#define SMTP_AUTH_OAUTH_HPP

#include <smtp/auth.hpp>
#include <smtp/auth/bearer_response.hpp>
#include <smtp/connection.hpp>
#include <smtp/detail/call_hook.hpp>
#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <any>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

/// \file
/// OAuth 2.0 bearer tokens over SASL: OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's and
/// Microsoft's). Neither is in the default AuthPolicy; compose them:
/// \code
/// using server = smtp::server<my_handler,
///     smtp::auth::mechanisms<smtp::auth::oauthbearer, smtp::auth::xoauth2>>;
/// \endcode
/// Both hand the user and the token to the handler's hook
/// `authenticate_token(smtp::connection&, smtp::session&, std::string_view user,
/// std::string_view token)` returning `smtp::auth_result` or an awaitable of it (to ask an
/// introspection endpoint, or check a JWT on another thread, without blocking the session).
/// Without the hook every token is refused.
namespace smtp {

namespace detail {

struct authenticate_token_fallback {
    void authenticate_token();
};
template <class T>
struct authenticate_token_probe : T, authenticate_token_fallback {};
// H has a member named authenticate_token, whatever its signature.
template <class T>
concept declares_authenticate_token = std::is_class_v<T> &&
    ((!std::is_final_v<T> && !requires { &authenticate_token_probe<T>::authenticate_token; }) ||
     (std::is_final_v<T> && requires { &T::authenticate_token; }));

} // namespace detail

/// `authenticate_token(conn, session, std::string_view user, std::string_view token)`: checks
/// an OAuth 2.0 bearer token that OAUTHBEARER or XOAUTH2 carried, plain or coroutine. `user`
/// is what the client claims (empty for an OAUTHBEARER login without an authorization
/// identity): the hook must check that the token was issued to that user.
template <class H>
concept has_authenticate_token = requires(H& h, connection& c, session& s, std::string_view user,
                                          std::string_view token) {
    { h.authenticate_token(c, s, user, token) } -> detail::returns<auth_result>;
};

namespace auth {

/// Checks a bearer token with the handler's `authenticate_token` hook (every token fails
/// without one). On success, `session.auth_data` is the `bearer_token` unless the hook chose
/// something else, and `session.login_data` the user (when the client named none, the
/// `std::string` the hook accepted with, if any).
template <class Handler>
boost::asio::awaitable<auth_result> check_token(Handler& handler, connection& conn, session& s,
                                                bearer_token credentials) {
    static_assert(!detail::declares_authenticate_token<Handler> || has_authenticate_token<Handler>,
                  "authenticate_token is declared but cannot be called as "
                  "smtp::auth_result authenticate_token(smtp::connection&, smtp::session&, "
                  "std::string_view user, std::string_view token) (or returning "
                  "boost::asio::awaitable<smtp::auth_result>).");
    auth_result result;
    if constexpr (has_authenticate_token<Handler>)
        SMTP_DETAIL_CALL_HOOK(
            result, handler.authenticate_token(conn, s, credentials.user, credentials.token));
    else
        result = auth_result::reject();
    if (result.success) {
        // An OAUTHBEARER client may leave the user to the token: the hook's accept(user) names
        // it then.
        const auto* named = std::any_cast<std::string>(&result.auth_data);
        s.login_data = credentials.user.empty() && named ? *named : credentials.user;
        if (!result.auth_data.has_value()) result.auth_data = std::move(credentials);
    }
    co_return result;
}

/// The end of a failed token login, as both mechanisms have it: the error as a JSON challenge
/// (`334 <base64 JSON>`), the client's acknowledgement (OAUTHBEARER: `\x01`; XOAUTH2: an empty
/// line), then the hook's reply or 535.
inline boost::asio::awaitable<auth_result> refuse_token(connection& conn, std::string_view json,
                                                        auth_result refused) {
    // Whatever the client answers, the exchange fails (RFC 7628 §3.2.3); `*` is answered 501.
    auto acknowledged = co_await conn.challenge(json);
    if (!acknowledged) co_return auth_result::replied();
    refused.success = false;
    co_return refused;
}

/// OAUTHBEARER (RFC 7628): the client's response `n,a=user,\x01auth=Bearer <token>\x01\x01`
/// (with `host=` and `port=` pairs, usually) in the initial response or after an empty `334 `.
/// A malformed response gets `501 5.5.2`; a refused token the RFC's error challenge
/// `{"status":"invalid_token","schemes":"bearer"}`, then, after the client's `\x01`, 535.
struct oauthbearer {
    /// The SASL name.
    static constexpr std::string_view name = "OAUTHBEARER";
    /// The error challenge after a refused token (RFC 7628 §3.2.2).
    static constexpr std::string_view error_challenge =
        R"({"status":"invalid_token","schemes":"bearer"})";

    /// The exchange; the token goes to the handler's `authenticate_token` hook.
    template <class Handler, class Content>
    static boost::asio::awaitable<auth_result> authenticate(Handler& handler, connection& conn,
                                                            session& s, envelope<Content>&,
                                                            std::optional<std::string> initial) {
        if (!initial) {
            initial = co_await conn.challenge("");
            if (!initial) co_return auth_result::replied();
        }
        auto credentials = parse_oauthbearer(*initial);
        if (!credentials)
            co_return auth_result::reject({501, "5.5.2 Malformed OAUTHBEARER response"});
        auto result = co_await check_token(handler, conn, s, std::move(*credentials));
        if (result.success) co_return result;
        co_return co_await refuse_token(conn, error_challenge, std::move(result));
    }
};

/// XOAUTH2 (Google's and Microsoft's SMTP): `user=<user>\x01auth=Bearer <token>\x01\x01` in the
/// initial response or after an empty `334 `. A malformed response gets `501 5.5.2`; a refused
/// token the error challenge `{"status":"401","schemes":"bearer"}`, then, after the client's
/// (empty) answer, 535.
struct xoauth2 {
    /// The SASL name.
    static constexpr std::string_view name = "XOAUTH2";
    /// The error challenge after a refused token (Google's format: an HTTP status).
    static constexpr std::string_view error_challenge = R"({"status":"401","schemes":"bearer"})";

    /// The exchange; the token goes to the handler's `authenticate_token` hook.
    template <class Handler, class Content>
    static boost::asio::awaitable<auth_result> authenticate(Handler& handler, connection& conn,
                                                            session& s, envelope<Content>&,
                                                            std::optional<std::string> initial) {
        if (!initial) {
            initial = co_await conn.challenge("");
            if (!initial) co_return auth_result::replied();
        }
        auto credentials = parse_xoauth2(*initial);
        if (!credentials) co_return auth_result::reject({501, "5.5.2 Malformed XOAUTH2 response"});
        auto result = co_await check_token(handler, conn, s, std::move(*credentials));
        if (result.success) co_return result;
        co_return co_await refuse_token(conn, error_challenge, std::move(result));
    }
};

} // namespace auth
} // namespace smtp

#endif
