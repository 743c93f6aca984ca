#ifndef SMTP_DETAIL_MECHANISM_SET_HPP
#define SMTP_DETAIL_MECHANISM_SET_HPP

#include <smtp/auth.hpp>

#include <boost/hana/for_each.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace smtp::detail {

// The mechanisms a server offers: its AuthPolicy's, then those its handler lists in
// `using auth_mechanisms = smtp::auth::mechanisms<...>`.

template <class Handler>
struct handler_mechanisms {
    using type = auth::mechanisms<>;
};
template <class Handler>
requires requires {
    typename Handler::auth_mechanisms;
}
struct handler_mechanisms<Handler> {
    using type = typename Handler::auth_mechanisms;
};

template <class A, class B>
struct concat_mechanisms;
template <class... A, class... B>
struct concat_mechanisms<auth::mechanisms<A...>, auth::mechanisms<B...>> {
    using type = auth::mechanisms<A..., B...>;
};

template <std::size_t N>
constexpr bool names_unique(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i + 1; j < N; ++j)
            if (names[i] == names[j]) return false; // names are upper case, so this is case-blind
    return true;
}

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
    static_assert(names_unique(names),
                  "two AUTH mechanisms have the same name: the AuthPolicy and the handler's "
                  "auth_mechanisms must name each mechanism once (a handler replaces a built-in "
                  "one with an auth_PLAIN / auth_LOGIN hook instead)");
    static constexpr mechanism_line<sizeof...(M)> line{names};

    /// Calls `f(boost::hana::type_c<M>)` for the mechanism named `name` (exactly as offered);
    /// returns false when there is none.
    template <class F>
    static bool visit(std::string_view name, F&& f) {
        bool found = false;
        boost::hana::for_each(boost::hana::tuple_t<M...>, [&](auto type) {
            using mechanism = typename decltype(type)::type;
            if (!found && mechanism::name == name) {
                found = true;
                f(type);
            }
        });
        return found;
    }
};

template <class Policy, class Handler>
using server_mechanisms = mechanism_set<
    typename concat_mechanisms<Policy, typename handler_mechanisms<Handler>::type>::type>;

} // namespace smtp::detail

#endif
