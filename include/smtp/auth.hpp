#ifndef SMTP_AUTH_HPP
#define SMTP_AUTH_HPP

#include <array>
#include <string_view>

/// \file
/// AuthPolicy: which SASL mechanisms the server offers.
///
/// An AuthPolicy is a type with `static constexpr std::array<std::string_view, N> names`, the
/// mechanism names it offers. The mechanisms themselves arrive with the AUTH work; until then
/// the default policy offers none, so AUTH is never advertised and `AUTH X` gets
/// `504 5.5.4 Unrecognized authentication type`.
namespace smtp::auth {

/// A compile-time list of mechanism types, each with `static constexpr std::string_view name`.
template <class... Mechanisms>
struct mechanisms {
    static constexpr std::array<std::string_view, sizeof...(Mechanisms)> names = {
        Mechanisms::name...};
};

/// The default policy.
using builtin = mechanisms<>;

} // namespace smtp::auth

#endif
