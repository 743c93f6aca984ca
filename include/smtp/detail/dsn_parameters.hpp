#ifndef SMTP_DETAIL_DSN_PARAMETERS_HPP
#define SMTP_DETAIL_DSN_PARAMETERS_HPP

#include <smtp/detail/ascii.hpp>
#include <smtp/detail/xtext.hpp>
#include <smtp/dsn.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace smtp::detail {

// The values of RFC 3461's parameters. Each parser returns the text of its 501 reply, or an
// empty view when the value is valid. Keyword values (RET, NOTIFY) come upper-cased; xtext
// values (ENVID, ORCPT) as the client sent them, so their decoded form keeps its case.

/// RFC 3461 §4.4: an ENVID holds at most 100 characters.
inline constexpr std::size_t envid_limit = 100;
/// RFC 3461 §4.2: an ORCPT holds at most 500 characters.
inline constexpr std::size_t orcpt_limit = 500;
/// RFC 3461 §5: the MAIL line may be 110 characters longer (RET and ENVID), RCPT 515 (NOTIFY
/// and ORCPT).
inline constexpr std::size_t dsn_mail_line_allowance = 110;
inline constexpr std::size_t dsn_rcpt_line_allowance = 515;

/// `RET=FULL` or `RET=HDRS` (RFC 3461 §4.3).
inline std::string_view parse_ret(std::string_view value, dsn_return& out) {
    if (value == "FULL")
        out = dsn_return::full;
    else if (value == "HDRS")
        out = dsn_return::headers;
    else
        return "Error: RET can only be FULL or HDRS";
    return {};
}

/// `ENVID=<xtext>` (RFC 3461 §4.4).
inline std::string_view parse_envid(std::string_view value, std::string& out) {
    if (value.size() > envid_limit) return "Error: ENVID is longer than 100 characters";
    if (value.empty() || !decode_xtext(value, out)) return "Error: ENVID is not valid xtext";
    return {};
}

/// `NOTIFY=NEVER` or `NOTIFY=` a comma-separated list of SUCCESS, FAILURE and DELAY
/// (RFC 3461 §4.1).
inline std::string_view parse_notify(std::string_view value, dsn_notify& out) {
    constexpr std::string_view error =
        "Error: NOTIFY can only be NEVER or a list of SUCCESS, FAILURE, DELAY";
    out = {};
    if (value == "NEVER") {
        out.never = true;
        return {};
    }
    for (;;) {
        std::size_t comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        if (item == "SUCCESS")
            out.success = true;
        else if (item == "FAILURE")
            out.failure = true;
        else if (item == "DELAY")
            out.delay = true;
        else
            return error; // NEVER in a list, an empty item, anything else
        if (comma == std::string_view::npos) return {};
        value.remove_prefix(comma + 1);
    }
}

/// `ORCPT=<addr-type>;<xtext>` (RFC 3461 §4.2); addr-type is an RFC 5322 atom such as
/// `rfc822`. The address is only xtext-decoded (an RFC 6533 `utf-8` address keeps its
/// `\x{...}` escapes).
inline std::string_view parse_orcpt(std::string_view value, std::string& type,
                                    std::string& address) {
    constexpr std::string_view error = "Error: ORCPT must be <addr-type>;<xtext>";
    if (value.size() > orcpt_limit) return "Error: ORCPT is longer than 500 characters";
    std::size_t semicolon = value.find(';');
    if (semicolon == std::string_view::npos || semicolon == 0 || semicolon + 1 == value.size())
        return error;
    constexpr std::string_view atext_specials = "!#$%&'*+-/=?^_`{|}~";
    for (char c : value.substr(0, semicolon))
        if (!is_alnum(c) && atext_specials.find(c) == std::string_view::npos) return error;
    if (!decode_xtext(value.substr(semicolon + 1), address)) return error;
    type.assign(value.substr(0, semicolon));
    return {};
}

} // namespace smtp::detail

#endif
