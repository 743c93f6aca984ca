#ifndef SMTP_CLI_CREDENTIALS_HPP
#define SMTP_CLI_CREDENTIALS_HPP

#include <smtp/auth.hpp>
#include <smtp/auth/certificate_name.hpp>
#include <smtp/auth/external.hpp>
#include <smtp/auth/oauth.hpp>
#include <smtp/cli/password_file.hpp>
#include <smtp/detail/mechanism_set.hpp>
#include <smtp/envelope.hpp>
#include <smtp/handlers/detail/offload.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <openssl/crypto.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// \file
/// `--auth USER:PASSWORD` and `--auth-file FILE`: the accounts the command line's server
/// accepts with PLAIN and LOGIN.
namespace smtp {
class connection;
}

namespace smtp::cli::detail {

/// The accounts of the command line.
struct account_list {
    /// `--auth`: passwords in the clear (for tests: they show in the process list).
    std::vector<std::pair<std::string, std::string>> plain;
    /// `--auth-file`: password hashes.
    std::vector<hashed_account> hashed;
    /// `--oauth-token USER:TOKEN`: the bearer tokens OAUTHBEARER and XOAUTH2 accept.
    std::vector<std::pair<std::string, std::string>> tokens = {};
};

/// The handler, plus an `authenticate` hook that checks the command line's accounts (every
/// login fails when there are none, as without an authenticator). The handler's own
/// `authenticate`, if it has one, is replaced.
template <class Handler>
class with_credentials : public Handler {
public:
    /// The handler's own mechanisms, then the token and certificate ones: make_options
    /// excludes each unless its flag (`--oauth-token`, `--auth-external`) is given, so the
    /// default EHLO stays aiosmtpd's.
    using auth_mechanisms = typename smtp::detail::concat_mechanisms<
        smtp::detail::member_or_t<Handler, smtp::detail::auth_mechanisms_of,
                                  smtp::auth::mechanisms<>>,
        smtp::auth::mechanisms<smtp::auth::oauthbearer, smtp::auth::xoauth2,
                               smtp::auth::external>>::type;

    with_credentials(Handler&& handler, account_list list)
        : Handler(std::move(handler)),
          accounts_(std::make_shared<const account_list>(std::move(list))),
          // Hashing is slow by design: it runs on threads of its own, never the I/O threads.
          hashing_(accounts_->hashed.empty() ? nullptr
                                             : std::make_shared<boost::asio::thread_pool>(2)) {}

    template <class Content>
    boost::asio::awaitable<auth_result> authenticate(connection&, session&, envelope<Content>&,
                                                     std::string_view,
                                                     const login_password& credentials) const {
        for (const auto& [user, password] : accounts_->plain) {
            // Compared in constant time: the reply's timing says nothing about the password.
            if (user == credentials.login && password.size() == credentials.password.size() &&
                CRYPTO_memcmp(password.data(), credentials.password.data(), password.size()) == 0)
                co_return auth_result::accept();
        }
        if (!hashing_) co_return auth_result::reject();
        // An unknown user costs a hash too, so that timing does not tell which users exist.
        const auto& hashed = accounts_->hashed;
        const hashed_account* account = &hashed.front();
        bool known = false;
        for (const auto& a : hashed)
            if (a.user == credentials.login) {
                account = &a;
                known = true;
                break;
            }
        auto check = [hash = account->hash, password = credentials.password] {
            return password_matches(hash, password);
        };
        bool matches = co_await handlers::detail::offload(*hashing_, std::move(check));
        co_return known&& matches ? auth_result::accept() : auth_result::reject();
    }

    /// `--oauth-token USER:TOKEN`: the token must be the one given for the user (compared in
    /// constant time). An OAUTHBEARER login without a user matches the token alone.
    auth_result authenticate_token(connection&, session&, std::string_view user,
                                   std::string_view token) const {
        for (const auto& [known_user, known_token] : accounts_->tokens) {
            if ((!user.empty() && user != known_user) || token.size() != known_token.size())
                continue;
            if (CRYPTO_memcmp(token.data(), known_token.data(), token.size()) == 0)
                return auth_result::accept(known_user);
        }
        return auth_result::reject();
    }

    /// `--auth-external`: the certificate's CN, or its first subjectAltName email.
    std::optional<std::string> certificate_user(connection&, session&, const tls_info& tls) const {
        return smtp::auth::certificate_name(tls.peer_certificate_pem);
    }

private:
    std::shared_ptr<const account_list> accounts_;
    std::shared_ptr<boost::asio::thread_pool> hashing_;
};

} // namespace smtp::cli::detail

#endif
