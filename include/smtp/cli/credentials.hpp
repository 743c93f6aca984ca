#ifndef SMTP_CLI_CREDENTIALS_HPP
#define SMTP_CLI_CREDENTIALS_HPP

#include <smtp/auth.hpp>
#include <smtp/envelope.hpp>
#include <smtp/session.hpp>

#include <openssl/crypto.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// \file
/// `--auth USER:PASSWORD`: the accounts the command line's server accepts with PLAIN and LOGIN.
namespace smtp {
class connection;
}

namespace smtp::cli::detail {

/// The handler, plus an `authenticate` hook that checks the accounts given with `--auth`
/// (every login fails when there are none, as without an authenticator). The handler's own
/// `authenticate`, if it has one, is replaced.
template <class Handler>
class with_credentials : public Handler {
public:
    using accounts = std::vector<std::pair<std::string, std::string>>;

    with_credentials(Handler&& handler, accounts list)
        : Handler(std::move(handler)),
          accounts_(std::make_shared<const accounts>(std::move(list))) {}

    template <class Content>
    auth_result authenticate(connection&, session&, envelope<Content>&, std::string_view,
                             const login_password& credentials) const {
        for (const auto& [user, password] : *accounts_) {
            // Compared in constant time: the reply's timing says nothing about the password.
            if (user == credentials.login && password.size() == credentials.password.size() &&
                CRYPTO_memcmp(password.data(), credentials.password.data(), password.size()) == 0)
                return auth_result::accept();
        }
        return auth_result::reject();
    }

private:
    std::shared_ptr<const accounts> accounts_;
};

} // namespace smtp::cli::detail

#endif
