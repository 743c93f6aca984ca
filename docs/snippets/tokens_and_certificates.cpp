// docs/policies.md and docs/security.md: OAuth 2.0 tokens, EXTERNAL, and certificates renewed
// while serving. Compiled (not run) by the build, so the documentation's code cannot rot.
#include <smtp/auth/builtin.hpp>
#include <smtp/auth/certificate_name.hpp>
#include <smtp/auth/external.hpp>
#include <smtp/auth/oauth.hpp>
#include <smtp/server.hpp>
#include <smtp/tls.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

// [oauth-handler]
// PLAIN for passwords, OAUTHBEARER and XOAUTH2 for tokens; the token hook may be a coroutine
// (to ask the provider's introspection endpoint) or a plain function.
using submission_mechanisms =
    smtp::auth::mechanisms<smtp::auth::plain, smtp::auth::oauthbearer, smtp::auth::xoauth2>;

struct token_accounts {
    smtp::auth_result authenticate_token(smtp::connection&, smtp::session&, std::string_view user,
                                         std::string_view token) {
        // A real handler checks a JWT's signature, issuer, audience, expiry and subject here.
        if (user == "alice@example.com" && token == "ya29.a-token")
            return smtp::auth_result::accept();
        return smtp::auth_result::reject(); // the client gets the JSON error, then 535
    }
};

using token_server = smtp::server<token_accounts, submission_mechanisms>;
// [oauth-handler]

// [external-handler]
// EXTERNAL: offered only to a client whose certificate the TLS layer verified; the hook maps
// the certificate to a user (here its CN, or first subjectAltName email).
struct certificate_accounts {
    std::optional<std::string> certificate_user(smtp::connection&, smtp::session&,
                                                const smtp::tls_info& tls) {
        return smtp::auth::certificate_name(tls.peer_certificate_pem);
    }
};

using certificate_server =
    smtp::server<certificate_accounts, smtp::auth::mechanisms<smtp::auth::external>>;

std::shared_ptr<smtp::tls_context> client_verifying_context() {
    auto tls = smtp::tls_context::from_files("mx.pem", "mx.key");
    tls->verify_clients("clients-ca.pem"); // ask for a certificate; EXTERNAL if it verifies
    return tls;
}
// [external-handler]

// [tls-reload]
// Renewed certificates (an ACME client's hook, a SIGHUP): new handshakes use them, sessions
// already under TLS keep theirs. A file that fails to load throws, and the old context stays.
template <class Server>
void renew_certificates(Server& server) {
    server.set_tls(smtp::tls_context::from_files("mx.pem", "mx.key"));
}
// [tls-reload]

template class smtp::server<token_accounts, submission_mechanisms>;
template class smtp::server<certificate_accounts, smtp::auth::mechanisms<smtp::auth::external>>;
template void renew_certificates(token_server&);
