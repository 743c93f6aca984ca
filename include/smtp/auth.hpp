#ifndef SMTP_AUTH_HPP
#define SMTP_AUTH_HPP

#include <smtp/reply.hpp>

#include <algorithm>
#include <any>
#include <array>
#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

/// \file
/// SMTP AUTH (RFC 4954): results, credentials, and the AuthPolicy.
///
/// An **AuthPolicy** is `smtp::auth::mechanisms<M...>`, a compile-time list of mechanism types.
/// The server offers the policy's mechanisms plus those the handler lists in a member type
/// `using auth_mechanisms = smtp::auth::mechanisms<...>;`. Names must be unique
/// (case-insensitively) across both: a duplicate is a compile error.
///
/// A **mechanism** is a type with
/// - `static constexpr std::string_view name`, upper case `[A-Z0-9_-]+`, at most 20 characters;
/// - `template <class Handler, class Content> static boost::asio::awaitable<smtp::auth_result>
///   authenticate(Handler&, smtp::connection&, smtp::session&, smtp::envelope<Content>&,
///   std::optional<std::string> initial_response)` — the initial response already
///   base64-decoded (absent when the client sent none; `=` is the empty response). It talks to
///   the client with `connection::challenge()` and returns the outcome.
///
/// The built-in PLAIN and LOGIN check the credentials with the handler's optional hook
/// `authenticate(smtp::connection&, smtp::session&, smtp::envelope<C>&, std::string_view
/// mechanism, const smtp::login_password&)` returning `auth_result` (or an awaitable of it);
/// without it every login fails, as with aiosmtpd's default. A handler can replace either
/// mechanism entirely with `auth_PLAIN` / `auth_LOGIN` hooks of the same shape as
/// `authenticate` above (minus the Handler parameter).
namespace smtp {

/// A login name and password, as PLAIN and LOGIN collect them. Printing it never shows the
/// password.
struct login_password {
    /// The authentication identity (user name).
    std::string login;
    /// The password, in clear.
    std::string password;
    /// PLAIN's authorization identity (RFC 4616 authzid), when the client asked to act as
    /// another user; empty otherwise. Such a login also needs the handler's `authorize_proxy`.
    std::string authzid = {};

    /// Prints the login name and `password=...`.
    friend std::ostream& operator<<(std::ostream& os, const login_password& lp) {
        os << "login_password(login='" << lp.login << "', password=...";
        if (!lp.authzid.empty()) os << ", authzid='" << lp.authzid << "'";
        return os << ")";
    }
};

/// The outcome of an AUTH exchange (aiosmtpd's `AuthResult`).
///
/// - success: the session is authenticated, `session.auth_data` becomes `auth_data`, and the
///   client gets `message` or `235 2.7.0 Authentication successful`.
/// - failure: the client gets `message` or `535 5.7.8 Authentication credentials invalid`.
/// - failure with `handled`: the mechanism already sent the final reply (the client cancelled,
///   say); if in fact nothing was sent, the server still sends 535 — unlike aiosmtpd, a failed
///   AUTH always gets a reply.
struct auth_result {
    /// The client is authenticated.
    bool success = false;
    /// The mechanism already sent the final reply (with `success` false).
    bool handled = false;
    /// The reply to send; empty: the standard 235 or 535.
    reply message = {};
    /// What `session.auth_data` becomes on success (a `login_password` for PLAIN and LOGIN).
    std::any auth_data = {};

    /// Success, with `data` for `session.auth_data`.
    static auth_result accept(std::any data = {}) { return {true, false, {}, std::move(data)}; }
    /// Failure, answered with `message` (empty: `535 5.7.8 Authentication credentials invalid`).
    static auth_result reject(reply message = {}) { return {false, false, std::move(message), {}}; }
    /// The mechanism has replied already.
    static auth_result replied() { return {false, true, {}, {}}; }
};

namespace auth {

/// True for a valid SASL mechanism name (RFC 4422: upper case, digits, '-' and '_', 1–20).
constexpr bool valid_mechanism_name(std::string_view name) {
    if (name.empty() || name.size() > 20) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

/// An AuthPolicy: the mechanism types, in a compile-time list.
template <class... Mechanisms>
struct mechanisms {
    static_assert((valid_mechanism_name(Mechanisms::name) && ...),
                  "an AUTH mechanism name must be 1 to 20 characters of A-Z, 0-9, '-' and '_'");
    /// The mechanism names, in order.
    static constexpr std::array<std::string_view, sizeof...(Mechanisms)> names = {
        Mechanisms::name...};
};

} // namespace auth
} // namespace smtp

#endif
