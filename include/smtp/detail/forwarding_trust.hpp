#ifndef SMTP_DETAIL_FORWARDING_TRUST_HPP
#define SMTP_DETAIL_FORWARDING_TRUST_HPP

#include <smtp/detail/config.hpp>

// Whether a client may send XCLIENT or XFORWARD: its address is in one of the networks of
// options::xclient_trusted or xforward_trusted. Decided once per connection, from the address it
// connected from (after a PROXY header: the original client's).

#include <smtp/detail/cidr.hpp>
#include <smtp/session.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace smtp::detail {

/// True when `peer` is an IP address inside one of `networks`. An entry that is no network
/// matches nothing (smtpd refuses it at start; a program's own options may hold one).
SMTP_DECL bool forwarding_trusted(const std::vector<std::string>& networks,
                                  const peer_address& peer);

} // namespace smtp::detail

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/forwarding_trust.ipp>
#endif

#endif
