#ifndef SMTP_FORWARDED_CLIENT_HPP
#define SMTP_FORWARDED_CLIENT_HPP

#include <string>

namespace smtp {

/// The original client of a connection as a trusted proxy or content filter describes it with
/// Postfix's XCLIENT or XFORWARD command (Postfix's XCLIENT_README and XFORWARD_README).
///
/// Values are xtext-decoded, with non-printable octets replaced by `?`. An attribute the command
/// did not carry is empty. `[UNAVAILABLE]` (and for NAME `[TEMPUNAVAIL]`) is stored as Postfix
/// stores it: `unknown` for NAME, ADDR, PORT, PROTO (XFORWARD) and IDENT, empty for HELO and
/// LOGIN, `LOCAL` for SOURCE.
struct forwarded_client {
    std::string name = {};      ///< NAME: the client's host name as DNS gave it
    std::string addr = {};      ///< ADDR: its IP address ("192.0.2.1", "2001:db8::1")
    std::string port = {};      ///< PORT: its TCP port
    std::string proto = {};     ///< PROTO: SMTP or ESMTP (XCLIENT), anything (XFORWARD)
    std::string helo = {};      ///< HELO: the name it greeted with
    std::string login = {};     ///< LOGIN (XCLIENT): the SASL login name
    std::string dest_addr = {}; ///< DESTADDR (XCLIENT): the server address it connected to
    std::string dest_port = {}; ///< DESTPORT (XCLIENT): the server port it connected to
    std::string ident = {};     ///< IDENT (XFORWARD): the message's ID at the sending MTA
    std::string source = {};    ///< SOURCE (XFORWARD): LOCAL or REMOTE

    /// True when no attribute is set.
    bool empty() const noexcept {
        return name.empty() && addr.empty() && port.empty() && proto.empty() && helo.empty() &&
               login.empty() && dest_addr.empty() && dest_port.empty() && ident.empty() &&
               source.empty();
    }
};

} // namespace smtp

#endif
