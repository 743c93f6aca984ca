#ifndef SMTP_TLS_HPP
#define SMTP_TLS_HPP

#include <smtp/detail/ascii.hpp>

#include <boost/asio/ssl/context.hpp>

#include <openssl/ssl.h>

#include <concepts>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace smtp {

class tls_context;

namespace detail {

// The handler's select_certificate hook, type-erased (this header does not know the Handler),
// for one connection's handshake; found by the SNI callback in the SSL object's ex_data. It
// keeps the context it chose for as long as the connection lives.
struct certificate_selector {
    std::shared_ptr<tls_context> (*choose)(void* handler, std::string_view server_name) = nullptr;
    void* handler = nullptr;
    std::shared_ptr<tls_context> chosen = {};

    // The ex_data slot of SSL objects that holds a pointer to one.
    static int index() {
        static const int slot = ::SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
        return slot;
    }
};

struct select_certificate_fallback {
    void select_certificate();
};
template <class T>
struct select_certificate_probe : T, select_certificate_fallback {};
// H has a member named select_certificate, whatever its signature.
template <class T>
concept declares_select_certificate = std::is_class_v<T> &&
    ((!std::is_final_v<T> && !requires { &select_certificate_probe<T>::select_certificate; }) ||
     (std::is_final_v<T> && requires { &T::select_certificate; }));

} // namespace detail

/// `select_certificate(std::string_view server_name)` returning
/// `std::shared_ptr<smtp::tls_context>`: the handler chooses the certificate for the name a TLS
/// client asks for (SNI, lower-cased), at handshake time: from a directory of per-domain
/// certificates, say. Null: the context's own choice (its `add_sni` names, else its default
/// certificate). It runs inside the handshake, on the session's thread, and must not block;
/// an exception fails the handshake. Not called when the client sends no name.
template <class H>
concept has_select_certificate = requires(H& h, std::string_view name) {
    { h.select_certificate(name) } -> std::convertible_to<std::shared_ptr<tls_context>>;
};

/// The server side of TLS: a certificate and key, more of them chosen by the name the client
/// asks for (SNI), and optionally client certificates checked against a CA.
///
/// Set `options::tls` to one to offer STARTTLS (RFC 3207) and to serve implicit TLS listeners:
/// \code
/// auto tls = smtp::tls_context::from_files("mx.pem", "mx.key");
/// tls->add_sni("mail.example.org", "org.pem", "org.key");
/// smtp::options opts{.tls = tls};
/// \endcode
/// Contexts are shared between connections and threads; configure them before serving.
class tls_context {
public:
    /// TLS 1.2 and later with forward-secret AEAD suites only (docs/security.md), with the
    /// certificate chain and key in PEM files.
    static std::shared_ptr<tls_context> from_files(const std::string& certificate_chain,
                                                   const std::string& private_key) {
        auto ctx = std::shared_ptr<tls_context>(new tls_context());
        configure(ctx->default_, certificate_chain, private_key);
        ::SSL_CTX_set_tlsext_servername_callback(ctx->default_.native_handle(), &on_server_name);
        ::SSL_CTX_set_tlsext_servername_arg(ctx->default_.native_handle(), ctx.get());
        return ctx;
    }

    /// Serves `certificate_chain` to clients that ask for `host_name` (matched
    /// case-insensitively); others get the default certificate.
    void add_sni(std::string host_name, const std::string& certificate_chain,
                 const std::string& private_key) {
        detail::to_lower(host_name);
        auto [it, fresh] =
            by_name_.try_emplace(std::move(host_name), boost::asio::ssl::context::tls_server);
        configure(it->second, certificate_chain, private_key);
        apply_client_verification(it->second);
    }

    /// Asks clients for a certificate and verifies it against the CAs in `ca_file` (PEM).
    /// With `required`, a client without a valid certificate cannot complete the handshake;
    /// otherwise `session.ssl->peer_verified` tells whether it had one.
    void verify_clients(const std::string& ca_file, bool required = false) {
        ca_file_ = ca_file;
        require_client_certificate_ = required;
        apply_client_verification(default_);
        for (auto& [name, ctx] : by_name_)
            apply_client_verification(ctx);
    }

    /// The default context (for further OpenSSL settings: ciphers, session tickets, ...).
    boost::asio::ssl::context& native() noexcept { return default_; }

private:
    tls_context() : default_(boost::asio::ssl::context::tls_server) {}

    static void configure(boost::asio::ssl::context& ctx, const std::string& chain,
                          const std::string& key) {
        ctx.set_options(
            boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
            boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
            boost::asio::ssl::context::no_tlsv1_1 | boost::asio::ssl::context::single_dh_use);
        SSL_CTX* native = ctx.native_handle();
        ::SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
        // TLS 1.2 suites as Mozilla's "intermediate" profile has them, less the finite-field
        // DHE ones: forward secrecy (ECDHE) and AEAD only, in the server's order. OpenSSL's
        // DEFAULT also offers static-RSA key exchange and CBC suites (LUCKY13). TLS 1.3's
        // suites are all AEAD and keep OpenSSL's defaults. A user's context may set others.
        ::SSL_CTX_set_cipher_list(native, tls12_ciphers);
        ::SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
        ctx.use_certificate_chain_file(chain);
        ctx.use_private_key_file(key, boost::asio::ssl::context::pem);
    }

    void apply_client_verification(boost::asio::ssl::context& ctx) {
        if (ca_file_.empty()) return;
        ctx.load_verify_file(ca_file_);
        // Verify when a certificate comes; without `required`, accept clients that send none
        // (and those whose certificate fails: the session says it was not verified).
        ctx.set_verify_mode(
            boost::asio::ssl::verify_peer |
            (require_client_certificate_ ? boost::asio::ssl::verify_fail_if_no_peer_cert : 0));
        if (!require_client_certificate_)
            ctx.set_verify_callback([](bool, boost::asio::ssl::verify_context&) { return true; });
        // Client CA names in the CertificateRequest, so clients pick the right certificate.
        ::SSL_CTX_set_client_CA_list(ctx.native_handle(),
                                     ::SSL_load_client_CA_file(ca_file_.c_str()));
    }

    // OpenSSL calls this with the name the client asked for, before choosing a certificate.
    static int on_server_name(SSL* ssl, int*, void* arg) {
        auto* self = static_cast<tls_context*>(arg);
        const char* name = ::SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        if (!name) return SSL_TLSEXT_ERR_OK;
        std::string lower(name);
        detail::to_lower(lower);
        auto* selector = static_cast<detail::certificate_selector*>(
            ::SSL_get_ex_data(ssl, detail::certificate_selector::index()));
        if (selector && selector->choose) {
            try {
                if (auto chosen = selector->choose(selector->handler, lower)) {
                    selector->chosen = std::move(chosen);
                    ::SSL_set_SSL_CTX(ssl, selector->chosen->native().native_handle());
                    return SSL_TLSEXT_ERR_OK;
                }
            } catch (...) {
                return SSL_TLSEXT_ERR_ALERT_FATAL; // no exception may cross OpenSSL
            }
        }
        auto it = self->by_name_.find(lower);
        if (it != self->by_name_.end()) ::SSL_set_SSL_CTX(ssl, it->second.native_handle());
        return SSL_TLSEXT_ERR_OK;
    }

    static constexpr const char* tls12_ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
        "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

    boost::asio::ssl::context default_;
    std::map<std::string, boost::asio::ssl::context, std::less<>> by_name_;
    std::string ca_file_;
    bool require_client_certificate_ = false;
};

} // namespace smtp

#endif
