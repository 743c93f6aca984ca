#ifndef SMTP_DETAIL_TYPE_LIST_HPP
#define SMTP_DETAIL_TYPE_LIST_HPP

// The two compile-time questions asked of what users declare (a handler's auth_mechanisms,
// mail_parameters and rcpt_parameters, smtpd's handler list): "what does it declare, if
// anything?" and "is each name there once?". Plain templates and constexpr loops: the names are
// values (string_views), which a metaprogramming library's type-level sets cannot compare.

#include <array>
#include <cstddef>

namespace smtp::detail {

/// `Member<T>` where it is well-formed, else `Default`. `Member` is an alias template such as
/// `template <class H> using auth_mechanisms_of = typename H::auth_mechanisms;`.
template <class T, template <class> class Member, class Default>
struct member_or {
    using type = Default;
};
template <class T, template <class> class Member, class Default>
requires requires {
    typename Member<T>;
}
struct member_or<T, Member, Default> {
    using type = Member<T>;
};
template <class T, template <class> class Member, class Default>
using member_or_t = typename member_or<T, Member, Default>::type;

struct equal_to {
    template <class A>
    constexpr bool operator()(const A& a, const A& b) const {
        return a == b;
    }
};

/// No two of `items` are `equal`.
template <class Item, std::size_t N, class Equal = equal_to>
constexpr bool all_unique(const std::array<Item, N>& items, Equal equal = {}) {
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i + 1; j < N; ++j)
            if (equal(items[i], items[j])) return false;
    return true;
}

} // namespace smtp::detail

#endif
