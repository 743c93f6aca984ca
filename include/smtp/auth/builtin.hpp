#ifndef SMTP_AUTH_BUILTIN_HPP
#define SMTP_AUTH_BUILTIN_HPP

#include <smtp/auth.hpp>
#include <smtp/connection.hpp>
#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/config.hpp>
#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace smtp::detail {

struct authorize_proxy_fallback {
    void authorize_proxy();
};
template <class T>
struct authorize_proxy_probe : T, authorize_proxy_fallback {};
// H has a member named authorize_proxy, whatever its signature.
template <class T>
concept declares_authorize_proxy = std::is_class_v<T> &&
    ((!std::is_final_v<T> && !requires { &authorize_proxy_probe<T>::authorize_proxy; }) ||
     (std::is_final_v<T> && requires { &T::authorize_proxy; }));

} // namespace smtp::detail

/// The built-in SASL mechanisms, PLAIN (RFC 4616) and LOGIN, and the default AuthPolicy.
namespace smtp::auth {

/// `authorize_proxy(conn, session, std::string_view login, std::string_view authzid)` returning
/// bool (or an awaitable of it): may `login`, whose password was accepted, act as `authzid`
/// (PLAIN's authorization identity, RFC 4616)? Without it such logins are refused.
template <class H>
concept has_authorize_proxy = requires(H& h, connection& c, session& s, std::string_view login,
                                       std::string_view authzid) {
    { h.authorize_proxy(c, s, login, authzid) } -> ::smtp::detail::returns<bool>;
};

/// What a built-in mechanism's exchange collected: the credentials to check, or, when the exchange
/// ended without them (the client cancelled, or sent what cannot be split), its result.
struct collected_credentials {
    /// The login, password and authorization identity the client sent.
    std::optional<login_password> credentials;
    /// The outcome when there are no credentials.
    auth_result ended = {};
};

/// Checks the credentials `collecting` yields with the handler's `authenticate` hook; fails
/// without one. A login that names another user as its authorization identity also needs the
/// handler's `authorize_proxy` to allow it. The one coroutine of PLAIN and LOGIN that depends on
/// the handler: their exchanges with the client (plain::collect, login::collect) do not, and are
/// compiled once.
template <class Handler, class Content>
boost::asio::awaitable<auth_result>
check_collected(Handler& handler, connection& conn, session& s, envelope<Content>& env,
                std::string_view mechanism,
                boost::asio::awaitable<collected_credentials> collecting) {
    collected_credentials got = co_await std::move(collecting);
    if (!got.credentials) co_return std::move(got.ended);
    login_password& credentials = *got.credentials;
    auth_result result;
    SMTP_DETAIL_CALL_HOOK(result, handler.authenticate(conn, s, env, mechanism, credentials));
    if (credentials.authzid == credentials.login) credentials.authzid.clear(); // not a proxy
    if (result.success && !credentials.authzid.empty()) {
        bool allowed = false;
        if constexpr (has_authorize_proxy<Handler>) {
            const std::string& login = credentials.login;
            const std::string& authzid = credentials.authzid;
            SMTP_DETAIL_CALL_HOOK(allowed, handler.authorize_proxy(conn, s, login, authzid));
        }
        // RFC 4616 §2: the server must not act for an identity the login may not assume.
        if (!allowed) result = auth_result::reject();
    }
    // The credentials are what a successful login leaves in session.auth_data, unless the
    // authenticator chose something else.
    if (result.success && !result.auth_data.has_value()) result.auth_data = std::move(credentials);
    co_return result;
}

/// Runs an exchange that collects credentials and refuses them: a handler without an
/// `authenticate` hook, as with aiosmtpd's default authenticator, which fails every login.
SMTP_DECL boost::asio::awaitable<auth_result>
refuse_collected(boost::asio::awaitable<collected_credentials> collecting);

/// The exchange `collecting`, then the handler's verdict on what it collected.
template <class Handler, class Content>
boost::asio::awaitable<auth_result>
judge_collected(Handler& handler, connection& conn, session& s, envelope<Content>& env,
                std::string_view mechanism,
                boost::asio::awaitable<collected_credentials> collecting) {
    static_assert(!::smtp::detail::declares_authorize_proxy<Handler> ||
                      has_authorize_proxy<Handler>,
                  "authorize_proxy is declared but cannot be called as "
                  "bool authorize_proxy(smtp::connection&, smtp::session&, std::string_view "
                  "login, std::string_view authzid) (or returning boost::asio::awaitable<bool>).");
    if constexpr (has_authenticate<Handler, Content>)
        return check_collected(handler, conn, s, env, mechanism, std::move(collecting));
    else
        return refuse_collected(std::move(collecting));
}

/// Splits a decoded PLAIN response, `authzid NUL authcid NUL password`, into the login,
/// password and authorization identity; nothing unless there are exactly three parts
/// (aiosmtpd's "Can't split").
inline std::optional<login_password> parse_plain_response(std::string_view value) {
    auto first = value.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    auto second = value.find('\0', first + 1);
    if (second == std::string_view::npos || value.find('\0', second + 1) != std::string_view::npos)
        return std::nullopt;
    return login_password{std::string(value.substr(first + 1, second - first - 1)),
                          std::string(value.substr(second + 1)),
                          std::string(value.substr(0, first))};
}

/// PLAIN (RFC 4616): `authzid NUL authcid NUL password`, in the initial response or after an
/// empty `334 ` prompt. An authorization identity other than the login needs the handler's
/// `authorize_proxy` (aiosmtpd ignores it); the session then acts as that user.
struct plain {
    /// The SASL name.
    static constexpr std::string_view name = "PLAIN";

    /// The exchange with the client, which does not depend on the handler.
    SMTP_DECL static boost::asio::awaitable<collected_credentials>
    collect(connection& conn, std::optional<std::string> initial);

    /// The exchange; the credentials go to the handler's `authenticate` hook.
    template <class Handler, class Content>
    static boost::asio::awaitable<auth_result> authenticate(Handler& handler, connection& conn,
                                                            session& s, envelope<Content>& env,
                                                            std::optional<std::string> initial) {
        return judge_collected(handler, conn, s, env, name, collect(conn, std::move(initial)));
    }
};

/// LOGIN: the user name and the password, each after its own `334` prompt (the user name may
/// come as the initial response). The prompts follow `options::auth_login_prompts`.
struct login {
    /// The SASL name.
    static constexpr std::string_view name = "LOGIN";

    /// The exchange with the client, which does not depend on the handler.
    SMTP_DECL static boost::asio::awaitable<collected_credentials>
    collect(connection& conn, std::optional<std::string> initial);

    /// The exchange; the credentials go to the handler's `authenticate` hook.
    template <class Handler, class Content>
    static boost::asio::awaitable<auth_result> authenticate(Handler& handler, connection& conn,
                                                            session& s, envelope<Content>& env,
                                                            std::optional<std::string> initial) {
        return judge_collected(handler, conn, s, env, name, collect(conn, std::move(initial)));
    }
};

/// What a handler's plain-function `auth_PLAIN` or `auth_LOGIN` returned, as an awaitable.
inline boost::asio::awaitable<auth_result> answered(auth_result result) {
    co_return result;
}

/// A handler's `auth_PLAIN` or `auth_LOGIN` result: its coroutine, or the reply it gave at once.
template <class Result>
boost::asio::awaitable<auth_result> as_exchange(Result&& result) {
    if constexpr (::smtp::detail::is_awaitable_v<Result>)
        return std::forward<Result>(result);
    else
        return answered(std::forward<Result>(result));
}

/// Runs `Mechanism`'s exchange, or the handler's own for a built-in one: a handler with
/// `auth_PLAIN` or `auth_LOGIN` replaces PLAIN's or LOGIN's (as aiosmtpd's do). Not a coroutine
/// itself: it hands over the mechanism's, so that an exchange has no frame of its own (nor the
/// compiled program a function per handler and mechanism).
template <class Mechanism, class Handler, class Content>
boost::asio::awaitable<auth_result> exchange(Handler& handler, connection& conn, session& s,
                                             envelope<Content>& env,
                                             std::optional<std::string> initial) {
    if constexpr (std::is_same_v<Mechanism, plain> && has_auth_PLAIN<Handler, Content>)
        return as_exchange(handler.auth_PLAIN(conn, s, env, std::move(initial)));
    else if constexpr (std::is_same_v<Mechanism, login> && has_auth_LOGIN<Handler, Content>)
        return as_exchange(handler.auth_LOGIN(conn, s, env, std::move(initial)));
    else
        return Mechanism::authenticate(handler, conn, s, env, std::move(initial));
}

/// The default AuthPolicy: PLAIN and LOGIN.
using builtin = mechanisms<plain, login>;

} // namespace smtp::auth

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/auth_builtin.ipp>
#endif

#endif
