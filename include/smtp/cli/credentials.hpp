#ifndef SMTP_CLI_CREDENTIALS_HPP
#define SMTP_CLI_CREDENTIALS_HPP

#include <smtp/auth.hpp>
#include <smtp/cli/password_file.hpp>
#include <smtp/envelope.hpp>
#include <smtp/handlers/detail/offload.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <openssl/crypto.h>

#include <memory>
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
};

/// The handler, plus an `authenticate` hook that checks the command line's accounts (every
/// login fails when there are none, as without an authenticator). The handler's own
/// `authenticate`, if it has one, is replaced.
template <class Handler>
class with_credentials : public Handler {
public:
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

private:
    std::shared_ptr<const account_list> accounts_;
    std::shared_ptr<boost::asio::thread_pool> hashing_;
};

} // namespace smtp::cli::detail

#endif
