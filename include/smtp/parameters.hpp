#ifndef SMTP_PARAMETERS_HPP
#define SMTP_PARAMETERS_HPP

#include <smtp/detail/ascii.hpp>
#include <smtp/detail/type_list.hpp>
#include <smtp/reply.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

/// \file
/// MAIL and RCPT parameters a handler understands, declared at compile time.
///
/// aiosmtpd answers every MAIL or RCPT parameter it does not know with `555` and rejects
/// keywords with a '-' as a syntax error. A handler lists the parameters it understands instead;
/// the server then checks their syntax and values and hands them to handle_MAIL / handle_RCPT
/// in the options (keyword upper-cased, value as the client sent it):
///
/// \code
/// struct priority {                                          // RFC 6710 MT-PRIORITY
///     static constexpr std::string_view keyword = "MT-PRIORITY";
///     static constexpr smtp::parameter_value value = smtp::parameter_value::required;
///     static constexpr std::string_view ehlo = "MT-PRIORITY MIXER";     // optional
///     static smtp::reply check(std::string_view v) {                   // optional
///         if (v.size() == 1 && v[0] >= '0' && v[0] <= '9') return {};  // empty: valid
///         if (v.size() == 2 && v[0] == '-' && v[1] >= '1' && v[1] <= '9') return {};
///         return {501, "5.5.4 Error: MT-PRIORITY must be -9 to 9"};
///     }
/// };
/// struct handler {
///     using mail_parameters = smtp::parameters<priority>;
///     // using rcpt_parameters = smtp::parameters<...>;
/// };
/// \endcode
///
/// A parameter type has `static constexpr std::string_view keyword` (an RFC 5321
/// esmtp-keyword: letters, digits and '-', not first), and may have `value` (default
/// `required`), `static smtp::reply check(std::string_view value)` (an empty reply accepts; a
/// reply without an enhanced code gets 5.5.4) and `ehlo`, a line the EHLO reply advertises.
/// A bad keyword, a keyword listed twice, or one the server implements itself (SIZE, BODY,
/// SMTPUTF8, RET, ENVID, REQUIRETLS, NOTIFY, ORCPT) does not compile.
namespace smtp {

/// Whether a declared parameter takes a value (`KEY=VALUE`) or not (`KEY`).
enum class parameter_value {
    none,     ///< `KEY` only; `KEY=x` is answered 501
    optional, ///< `KEY` or `KEY=x`
    required  ///< `KEY=x` only; `KEY` is answered 501
};

namespace detail {

/// One declared parameter, as the protocol uses it at run time.
struct parameter_rule {
    std::string_view keyword;
    parameter_value value = parameter_value::required;
    reply (*check)(std::string_view) = nullptr; // null: any value
    std::string_view ehlo = {};                 // empty: nothing advertised
};

/// RFC 5321 esmtp-keyword: `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
constexpr bool valid_esmtp_keyword(std::string_view k) noexcept {
    if (k.empty() || !is_alnum(k.front())) return false;
    for (char c : k)
        if (!is_alnum(c) && c != '-') return false;
    return true;
}

/// The MAIL and RCPT parameters the server implements itself.
inline constexpr std::array<std::string_view, 8> builtin_parameter_keywords = {
    "SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "REQUIRETLS", "NOTIFY", "ORCPT"};

template <class P>
concept has_parameter_keyword = requires {
    { P::keyword } -> std::convertible_to<std::string_view>;
};

template <class P>
constexpr parameter_rule rule_of() {
    static_assert(has_parameter_keyword<P>,
                  "a MAIL/RCPT parameter type needs static constexpr std::string_view keyword");
    parameter_rule r{.keyword = P::keyword};
    if constexpr (requires { P::value; }) r.value = P::value;
    if constexpr (requires { P::check; }) {
        static_assert(
            requires(std::string_view v) {
                { P::check(v) } -> std::convertible_to<reply>;
            },
            "a MAIL/RCPT parameter's check must be static smtp::reply check(std::string_view)");
        r.check = [](std::string_view v) -> reply { return P::check(v); };
    }
    if constexpr (requires { P::ehlo; }) r.ehlo = P::ehlo;
    return r;
}

template <std::size_t N>
constexpr bool keywords_valid(const std::array<parameter_rule, N>& rules) {
    for (const auto& r : rules)
        if (!valid_esmtp_keyword(r.keyword)) return false;
    return true;
}

template <std::size_t N>
constexpr bool keywords_not_builtin(const std::array<parameter_rule, N>& rules) {
    for (const auto& r : rules)
        for (std::string_view builtin : builtin_parameter_keywords)
            if (iequals(r.keyword, builtin)) return false;
    return true;
}

} // namespace detail

/// The MAIL or RCPT parameters a handler understands (see the file comment).
template <class... P>
struct parameters {
    /// The parameters' rules, checked at compile time, as the protocol uses them.
    static constexpr std::array<detail::parameter_rule, sizeof...(P)> rules = {
        detail::rule_of<P>()...};
    static_assert(detail::keywords_valid(rules),
                  "a MAIL/RCPT parameter keyword must be an RFC 5321 esmtp-keyword: letters, "
                  "digits and '-', starting with a letter or digit");
    static_assert(detail::all_unique(rules,
                                     [](const detail::parameter_rule& a,
                                        const detail::parameter_rule& b) {
                                         return detail::iequals(a.keyword, b.keyword);
                                     }),
                  "a MAIL/RCPT parameter keyword is declared twice");
    static_assert(detail::keywords_not_builtin(rules),
                  "a MAIL/RCPT parameter keyword clashes with one the server implements itself "
                  "(SIZE, BODY, SMTPUTF8, RET, ENVID, REQUIRETLS, NOTIFY, ORCPT)");
};

namespace detail {

template <class T>
struct is_parameters : std::false_type {};
template <class... P>
struct is_parameters<parameters<P...>> : std::true_type {};

template <class Handler>
using declared_mail_parameters = typename Handler::mail_parameters;
template <class Handler>
using declared_rcpt_parameters = typename Handler::rcpt_parameters;

/// The handler's `mail_parameters`, or none.
template <class Handler>
struct mail_parameters_of {
    using type = member_or_t<Handler, declared_mail_parameters, parameters<>>;
    static_assert(is_parameters<type>::value,
                  "a handler's mail_parameters must be smtp::parameters<...>");
};

/// The handler's `rcpt_parameters`, or none.
template <class Handler>
struct rcpt_parameters_of {
    using type = member_or_t<Handler, declared_rcpt_parameters, parameters<>>;
    static_assert(is_parameters<type>::value,
                  "a handler's rcpt_parameters must be smtp::parameters<...>");
};

} // namespace detail
} // namespace smtp

#endif
