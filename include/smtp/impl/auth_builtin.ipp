#ifndef SMTP_IMPL_AUTH_BUILTIN_IPP
#define SMTP_IMPL_AUTH_BUILTIN_IPP

// The exchanges of the built-in PLAIN and LOGIN mechanisms with the client (smtp/auth/builtin.hpp):
// what they do not need the handler for, compiled once by <smtp/src.hpp> under
// SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/auth/builtin.hpp>

namespace smtp::auth {

SMTP_DECL boost::asio::awaitable<auth_result>
refuse_collected(boost::asio::awaitable<collected_credentials> collecting) {
    collected_credentials got = co_await std::move(collecting);
    if (!got.credentials) co_return std::move(got.ended);
    co_return auth_result::reject();
}

SMTP_DECL boost::asio::awaitable<collected_credentials>
plain::collect(connection& conn, std::optional<std::string> initial) {
    if (!initial) {
        initial = co_await conn.challenge("");
        if (!initial) co_return collected_credentials{std::nullopt, auth_result::replied()};
    }
    std::optional<login_password> credentials = parse_plain_response(*initial);
    if (!credentials)
        co_return collected_credentials{std::nullopt,
                                        auth_result::reject({501, "5.5.2 Can't split auth value"})};
    co_return collected_credentials{std::move(credentials)};
}

SMTP_DECL boost::asio::awaitable<collected_credentials>
login::collect(connection& conn, std::optional<std::string> initial) {
    bool standard = conn.options().auth_login_prompts == login_prompts::standard;
    std::optional<std::string> user = std::move(initial);
    if (!user) {
        user = co_await conn.challenge(standard ? std::string_view("Username:")
                                                : std::string_view("User Name\0", 10));
        if (!user) co_return collected_credentials{std::nullopt, auth_result::replied()};
    }
    std::optional<std::string> password = co_await conn.challenge(
        standard ? std::string_view("Password:") : std::string_view("Password\0", 9));
    if (!password) co_return collected_credentials{std::nullopt, auth_result::replied()};
    co_return collected_credentials{login_password{std::move(*user), std::move(*password)}};
}

} // namespace smtp::auth

#endif
