#ifndef SMTP_AUTH_EXTERNAL_HPP
#define SMTP_AUTH_EXTERNAL_HPP

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

/// \file
/// EXTERNAL (RFC 4422 Appendix A) with the client certificate TLS verified: the identity is
/// the certificate's, as the handler's hook maps it to a user:
/// `std::optional<std::string> certificate_user(smtp::connection&, smtp::session&, const
/// smtp::tls_info&)` (or an awaitable of it; nothing: no user for this certificate). The server
/// offers EXTERNAL only in sessions whose TLS layer verified a client certificate
/// (`tls_context::verify_clients`); elsewhere it is unknown (504).
namespace smtp {

namespace detail {

struct certificate_user_fallback {
    void certificate_user();
};
template <class T>
struct certificate_user_probe : T, certificate_user_fallback {};
// H has a member named certificate_user, whatever its signature.
template <class T>
concept declares_certificate_user = std::is_class_v<T> &&
    ((!std::is_final_v<T> && !requires { &certificate_user_probe<T>::certificate_user; }) ||
     (std::is_final_v<T> && requires { &T::certificate_user; }));

} // namespace detail

/// `certificate_user(conn, session, const tls_info&)`: the user a verified client
/// certificate (`tls_info::peer_certificate_pem`, `peer_subject`) stands for, or nothing;
/// plain or coroutine.
template <class H>
concept has_certificate_user = requires(H& h, connection& c, session& s, const tls_info& tls) {
    { h.certificate_user(c, s, tls) } -> detail::returns<std::optional<std::string>>;
};

namespace auth {

/// EXTERNAL: the client's response is the authorization identity it wants, or empty (`=`) for
/// the certificate's own. The login succeeds when the handler's `certificate_user` maps the
/// verified certificate to a user and the response is empty or that same user (acting for
/// someone else is refused: 535). `session.auth_data` and `session.login_data` become the user.
struct external {
    /// The SASL name.
    static constexpr std::string_view name = "EXTERNAL";

    /// The exchange; the identity comes from the handler's `certificate_user` hook.
    template <class Handler, class Content>
    static boost::asio::awaitable<auth_result> authenticate(Handler& handler, connection& conn,
                                                            session& s, envelope<Content>&,
                                                            std::optional<std::string> initial) {
        static_assert(!detail::declares_certificate_user<Handler> || has_certificate_user<Handler>,
                      "certificate_user is declared but cannot be called as "
                      "std::optional<std::string> certificate_user(smtp::connection&, "
                      "smtp::session&, const smtp::tls_info&) (or returning "
                      "boost::asio::awaitable<std::optional<std::string>>).");
        if (!initial) {
            initial = co_await conn.challenge("");
            if (!initial) co_return auth_result::replied();
        }
        // The server offers EXTERNAL only then; checked again, as it is the whole proof.
        if (!s.ssl || !s.ssl->peer_certificate || !s.ssl->peer_verified)
            co_return auth_result::reject();
        std::optional<std::string> user;
        if constexpr (has_certificate_user<Handler>) {
            const tls_info& tls = *s.ssl;
            SMTP_DETAIL_CALL_HOOK(user, handler.certificate_user(conn, s, tls));
        }
        if (!user || user->empty()) co_return auth_result::reject();
        if (!initial->empty() && *initial != *user) co_return auth_result::reject();
        s.login_data = *user;
        co_return auth_result::accept(std::move(*user));
    }
};

} // namespace auth
} // namespace smtp

#endif
