#ifndef SMTP_IMPL_FORWARDING_TRUST_IPP
#define SMTP_IMPL_FORWARDING_TRUST_IPP

// The definitions of smtp/detail/forwarding_trust.hpp's functions that are not templates
// (SMTP_DECL): compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/detail/forwarding_trust.hpp>

namespace smtp::detail {

SMTP_DECL bool forwarding_trusted(const std::vector<std::string>& networks,
                                  const peer_address& peer) {
    if (networks.empty() || peer.host.empty() ||
        (peer.family != peer_address::family_type::ipv4 &&
         peer.family != peer_address::family_type::ipv6))
        return false;
    for (const auto& network : networks) {
        try {
            if (cidr(network).contains(std::string_view(peer.host))) return true;
        } catch (const std::invalid_argument&) {
        }
    }
    return false;
}

} // namespace smtp::detail

#endif
