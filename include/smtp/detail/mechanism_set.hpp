#ifndef SMTP_DETAIL_MECHANISM_SET_HPP
#define SMTP_DETAIL_MECHANISM_SET_HPP

#include <smtp/auth.hpp>
#include <smtp/detail/type_list.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace smtp::detail {

// The mechanisms a server offers: its AuthPolicy's, then those its handler lists in
// `using auth_mechanisms = smtp::auth::mechanisms<...>`.

template <class Handler>
using auth_mechanisms_of = typename Handler::auth_mechanisms;

template <class A, class B>
struct concat_mechanisms;
template <class... A, class... B>
struct concat_mechanisms<auth::mechanisms<A...>, auth::mechanisms<B...>> {
    using type = auth::mechanisms<A..., B...>;
};

/// The EHLO keyword line `AUTH <names>`, the names sorted as aiosmtpd lists them; computed at
/// compile time.
template <std::size_t N>
struct mechanism_line {
    std::array<char, 4 + N * 21> text{};
    std::size_t size = 0;

    constexpr explicit mechanism_line(std::array<std::string_view, N> names) {
        std::sort(names.begin(), names.end());
        for (char c : std::string_view("AUTH"))
            text[size++] = c;
        for (std::size_t i = 0; i < N; ++i) {
            text[size++] = ' ';
            for (char c : names[i])
                text[size++] = c;
        }
    }
    constexpr std::string_view view() const { return {text.data(), size}; }
};

template <class Policy>
struct mechanism_set;

template <class... M>
struct mechanism_set<auth::mechanisms<M...>> {
    static constexpr std::array<std::string_view, sizeof...(M)> names = {M::name...};
    static_assert((auth::valid_mechanism_name(M::name) && ...),
                  "an AUTH mechanism name must be 1 to 20 characters of A-Z, 0-9, '-' and '_'");
    // The names are upper case: comparing them as they are is case-blind.
    static_assert(all_unique(names),
                  "two AUTH mechanisms have the same name: the AuthPolicy and the handler's "
                  "auth_mechanisms must name each mechanism once (a handler replaces a built-in "
                  "one with an auth_PLAIN / auth_LOGIN hook instead)");
    static constexpr mechanism_line<sizeof...(M)> line{names};

    /// Calls `f(std::type_identity<M>{})` for the mechanism named `name` (exactly as offered);
    /// returns false when there is none.
    template <class F>
    static bool visit(std::string_view name, F&& f) {
        return ((M::name == name && (static_cast<void>(f(std::type_identity<M>{})), true)) || ...);
    }
};

template <class Policy, class Handler>
using server_mechanisms = mechanism_set<typename concat_mechanisms<
    Policy, member_or_t<Handler, auth_mechanisms_of, auth::mechanisms<>>>::type>;

} // namespace smtp::detail

#endif
