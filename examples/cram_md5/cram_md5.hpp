#ifndef SMTP_EXAMPLES_CRAM_MD5_HPP
#define SMTP_EXAMPLES_CRAM_MD5_HPP

// A SASL mechanism the library does not ship: CRAM-MD5 (RFC 2195), as a user would add one.
//
// The server sends a unique challenge; the client answers `user HEXDIGEST`, the HMAC-MD5 of the
// challenge keyed with the user's secret. The handler supplies secrets with
// `std::optional<std::string> cram_md5_secret(std::string_view user)`.
//
// (CRAM-MD5 is obsolete — RFC 8314 prefers PLAIN over TLS — but it is the classic example of a
// mechanism with a challenge.)

#include <smtp/auth.hpp>
#include <smtp/connection.hpp>
#include <smtp/envelope.hpp>

#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace example {

// [cram-md5-mechanism]
struct cram_md5 {
    static constexpr std::string_view name = "CRAM-MD5";

    /// Hex HMAC-MD5 of `challenge` keyed with `secret`.
    static std::string digest(std::string_view secret, std::string_view challenge) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int length = 0;
        HMAC(EVP_md5(), secret.data(), int(secret.size()),
             reinterpret_cast<const unsigned char*>(challenge.data()), challenge.size(), mac,
             &length);
        std::string hex;
        char byte[3];
        for (unsigned int i = 0; i < length; ++i) {
            std::snprintf(byte, sizeof byte, "%02x", mac[i]);
            hex.append(byte, 2);
        }
        return hex;
    }

    template <class Handler, class Content>
    static boost::asio::awaitable<smtp::auth_result>
    authenticate(Handler& handler, smtp::connection& conn, smtp::session&, smtp::envelope<Content>&,
                 std::optional<std::string> initial) {
        if (initial)
            co_return smtp::auth_result::reject({501, "5.5.2 No initial response allowed"});
        // RFC 2195: a challenge unique to this exchange, in msg-id form.
        unsigned long long nonce = 0;
        RAND_bytes(reinterpret_cast<unsigned char*>(&nonce), sizeof nonce);
        auto now = std::chrono::system_clock::now().time_since_epoch().count();
        std::string challenge = "<" + std::to_string(nonce) + "." + std::to_string(now) + "@" +
                                std::string(conn.hostname()) + ">";
        auto answer = co_await conn.challenge(challenge);
        if (!answer) co_return smtp::auth_result::replied();
        auto space = answer->rfind(' ');
        if (space == std::string::npos) co_return smtp::auth_result::reject();
        std::string user = answer->substr(0, space);
        std::string_view given = std::string_view(*answer).substr(space + 1);
        std::optional<std::string> secret = handler.cram_md5_secret(user);
        if (!secret) co_return smtp::auth_result::reject();
        std::string expected = digest(*secret, challenge);
        if (given.size() != expected.size() ||
            CRYPTO_memcmp(given.data(), expected.data(), expected.size()) != 0)
            co_return smtp::auth_result::reject();
        co_return smtp::auth_result::accept(smtp::login_password{user, {}});
    }
};
// [cram-md5-mechanism]

} // namespace example

#endif
