#ifndef SMTP_SESSION_HPP
#define SMTP_SESSION_HPP

#include <smtp/forwarded_client.hpp>
#include <smtp/proxy_protocol.hpp>

#include <any>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace smtp {

/// The address of a connection's peer.
struct peer_address {
    /// What kind of address it is.
    enum class family_type : std::uint8_t { unknown, ipv4, ipv6, local };
    /// The address family.
    family_type family = family_type::unknown;
    /// The IP address in text form ("127.0.0.1", "::1"); the socket path for local sockets.
    std::string host = {};
    /// The TCP port; 0 for local sockets.
    std::uint16_t port = 0;

    /// Python's repr() of aiosmtpd's `session.peer`: `('127.0.0.1', 40000)`,
    /// `('::1', 40000, 0, 0)`, or `''` for a local socket. Used by the Debugging handler.
    std::string python_repr() const {
        switch (family) {
        case family_type::ipv4: return "('" + host + "', " + std::to_string(port) + ")";
        case family_type::ipv6: return "('" + host + "', " + std::to_string(port) + ", 0, 0)";
        default: return "''";
        }
    }
};

/// What the TLS layer of a connection says (aiosmtpd's `session.ssl`, which it leaves empty under
/// implicit TLS).
struct tls_info {
    std::string version = {};      ///< "TLSv1.3"
    std::string cipher = {};       ///< "TLS_AES_256_GCM_SHA384"
    std::string server_name = {};  ///< the SNI name the client asked for, if any
    bool peer_certificate = false; ///< the client presented a certificate
    bool peer_verified = false;    ///< ... and it verified against the configured CAs
    std::string peer_subject = {}; ///< its subject, one line ("/CN=client")
    /// The client's certificate in PEM form, if it sent one.
    std::string peer_certificate_pem = {};
};

/// What the server knows about one connection. A new session starts with each connection (and,
/// later, after STARTTLS). Hooks may read and change it.
struct session {
    /// The connection's ID in logs, when the handler asks for IDs (`static constexpr bool
    /// assign_ids = true`, as smtp::logging::logged does); empty otherwise. Kept across STARTTLS.
    std::string id = {};
    /// The client's address.
    peer_address peer = {};
    /// The name the client gave in HELO/EHLO/LHLO. Empty until it has greeted; MAIL, RCPT and
    /// DATA answer `503 Error: send HELO first` while it is empty.
    std::string host_name = {};
    /// Set once TLS is active (after STARTTLS, or from the start on an implicit-TLS listener);
    /// null before. Pointers here and in `proxy` and `xclient` keep a plain session small
    /// (memory per idle connection): what only some sessions have is not carried by all.
    std::shared_ptr<const tls_info> ssl = nullptr;
    /// What the PROXY protocol header said (with `options::proxy_protocol_timeout`). `peer` is
    /// then the original client, and `proxy_peer` the proxy that connected. Kept across STARTTLS
    /// (aiosmtpd loses it: its #287).
    std::shared_ptr<const proxy_data> proxy = nullptr;
    /// The address the connection really came from, when a PROXY header replaced `peer`.
    std::optional<peer_address> proxy_peer = std::nullopt;
    /// The server's own address the client reached (its port tells 25 from 465 and 587): the
    /// listening socket's, or the destination a PROXY header names. Empty family for a UNIX
    /// socket. Kept across STARTTLS.
    peer_address local = {};
    /// True after EHLO (or LHLO), false after HELO.
    bool extended_smtp = false;
    /// True once AUTH succeeded.
    bool authenticated = false;
    /// What the successful AUTH mechanism or authenticator returned (`auth_result::auth_data`).
    std::any auth_data = {};
    /// The user the session acts as: the login name when `auth_data` holds a `login_password`
    /// (aiosmtpd's `login_data`; PLAIN's authorization identity when `authorize_proxy` allowed
    /// one), the user of an OAUTHBEARER, XOAUTH2 or EXTERNAL login.
    std::string login_data = {};

    /// What XCLIENT said (options::xclient_trusted), when a trusted client sent it; null
    /// otherwise. Its ADDR and PORT are then `peer`, its DESTADDR and DESTPORT `local`, its HELO
    /// `host_name`, its LOGIN `login_data` (with `authenticated`). A pointer, not the value, so
    /// that sessions which never see XCLIENT (nearly all) do not carry its ten strings.
    std::shared_ptr<const forwarded_client> xclient = nullptr;
};

} // namespace smtp

#endif
