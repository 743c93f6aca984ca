#ifndef SMTP_AUTH_BUILTIN_HPP
#define SMTP_AUTH_BUILTIN_HPP

#include <smtp/auth.hpp>
#include <smtp/connection.hpp>
#include <smtp/detail/call_hook.hpp>
#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

/// The built-in SASL mechanisms, PLAIN (RFC 4616) and LOGIN, and the default AuthPolicy.
namespace smtp::auth {

/// Checks a login and password with the handler's `authenticate` hook; fails without one.
template <class Handler, class Content>
boost::asio::awaitable<auth_result> check_login(Handler& handler, connection& conn, session& s,
                                                envelope<Content>& env, std::string_view mechanism,
                                                login_password credentials) {
    auth_result result;
    if constexpr (has_authenticate<Handler, Content>)
        SMTP_DETAIL_CALL_HOOK(result, handler.authenticate(conn, s, env, mechanism, credentials));
    else
        result = auth_result::reject(); // aiosmtpd's default authenticator fails every login
    // The credentials are what a successful login leaves in session.auth_data, unless the
    // authenticator chose something else.
    if (result.success && !result.auth_data.has_value()) result.auth_data = std::move(credentials);
    co_return result;
}

/// Splits a decoded PLAIN response, `authzid NUL authcid NUL password`, into the login and
/// password; nothing unless there are exactly three parts (aiosmtpd's "Can't split").
inline std::optional<login_password> parse_plain_response(std::string_view value) {
    auto first = value.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    auto second = value.find('\0', first + 1);
    if (second == std::string_view::npos || value.find('\0', second + 1) != std::string_view::npos)
        return std::nullopt;
    return login_password{std::string(value.substr(first + 1, second - first - 1)),
                          std::string(value.substr(second + 1))};
}

/// PLAIN (RFC 4616): `authzid NUL authcid NUL password`, in the initial response or after an
/// empty `334 ` prompt. The authorization identity is ignored, as in aiosmtpd.
struct plain {
    /// The SASL name.
    static constexpr std::string_view name = "PLAIN";

    /// The exchange; the credentials go to the handler's `authenticate` hook.
    template <class Handler, class Content>
    static boost::asio::awaitable<auth_result> authenticate(Handler& handler, connection& conn,
                                                            session& s, envelope<Content>& env,
                                                            std::optional<std::string> initial) {
        if (!initial) {
            initial = co_await conn.challenge("");
            if (!initial) co_return auth_result::replied();
        }
        auto credentials = parse_plain_response(*initial);
        if (!credentials) co_return auth_result::reject({501, "5.5.2 Can't split auth value"});
        co_return co_await check_login(handler, conn, s, env, name, std::move(*credentials));
    }
};

/// LOGIN: the user name and the password, each after its own `334` prompt (the user name may
/// come as the initial response). The prompts follow `options::auth_login_prompts`.
struct login {
    /// The SASL name.
    static constexpr std::string_view name = "LOGIN";

    /// The exchange; the credentials go to the handler's `authenticate` hook.
    template <class Handler, class Content>
    static boost::asio::awaitable<auth_result> authenticate(Handler& handler, connection& conn,
                                                            session& s, envelope<Content>& env,
                                                            std::optional<std::string> initial) {
        bool standard = conn.options().auth_login_prompts == login_prompts::standard;
        std::optional<std::string> user = std::move(initial);
        if (!user) {
            user = co_await conn.challenge(standard ? std::string_view("Username:")
                                                    : std::string_view("User Name\0", 10));
            if (!user) co_return auth_result::replied();
        }
        auto password = co_await conn.challenge(standard ? std::string_view("Password:")
                                                         : std::string_view("Password\0", 9));
        if (!password) co_return auth_result::replied();
        // A named local, not a temporary in the co_await expression: g++ 12 destroys such
        // temporaries too early.
        login_password credentials{std::move(*user), std::move(*password)};
        co_return co_await check_login(handler, conn, s, env, name, std::move(credentials));
    }
};

/// Runs `Mechanism`'s exchange, or the handler's own for a built-in one: a handler with
/// `auth_PLAIN` or `auth_LOGIN` replaces PLAIN's or LOGIN's (as aiosmtpd's do).
template <class Mechanism, class Handler, class Content>
boost::asio::awaitable<auth_result> exchange(Handler& handler, connection& conn, session& s,
                                             envelope<Content>& env,
                                             std::optional<std::string> initial) {
    auth_result result;
    if constexpr (std::is_same_v<Mechanism, plain> && has_auth_PLAIN<Handler, Content>)
        SMTP_DETAIL_CALL_HOOK(result, handler.auth_PLAIN(conn, s, env, std::move(initial)));
    else if constexpr (std::is_same_v<Mechanism, login> && has_auth_LOGIN<Handler, Content>)
        SMTP_DETAIL_CALL_HOOK(result, handler.auth_LOGIN(conn, s, env, std::move(initial)));
    else
        result = co_await Mechanism::authenticate(handler, conn, s, env, std::move(initial));
    co_return result;
}

/// The default AuthPolicy: PLAIN and LOGIN.
using builtin = mechanisms<plain, login>;

} // namespace smtp::auth

#endif
