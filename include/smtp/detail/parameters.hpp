#ifndef SMTP_DETAIL_PARAMETERS_HPP
#define SMTP_DETAIL_PARAMETERS_HPP

#include <smtp/detail/command.hpp>
#include <smtp/envelope.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace smtp::detail {

/// Splits an ESMTP parameter string into upper-cased tokens (aiosmtpd: `rest.upper().split()`),
/// reusing the strings in `tokens`.
inline void split_parameters(std::string_view rest, std::vector<std::string>& tokens) {
    tokens.clear();
    for (;;) {
        while (!rest.empty() && is_python_space(rest.front()))
            rest.remove_prefix(1);
        if (rest.empty()) return;
        std::size_t end = 0;
        while (end < rest.size() && !is_python_space(rest[end]))
            ++end;
        std::string& token = tokens.emplace_back(rest.substr(0, end));
        for (char& c : token)
            if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
        rest.remove_prefix(end);
    }
}

/// One `KEYWORD[=VALUE]` token split at its first '='.
struct parameter {
    std::string_view keyword;
    std::string_view value;
    bool has_value = false;
};

constexpr bool is_ascii_alnum(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/// aiosmtpd's `_getparams` validity rule: the keyword is alphanumeric and `KEY=` has a value.
/// (So `MT-PRIORITY=3` is a syntax error, as in aiosmtpd.)
inline bool parse_parameter(std::string_view token, parameter& out) noexcept {
    std::size_t eq = token.find('=');
    out.keyword = token.substr(0, eq);
    out.has_value = eq != std::string_view::npos;
    out.value = out.has_value ? token.substr(eq + 1) : std::string_view{};
    if (out.keyword.empty() || (out.has_value && out.value.empty())) return false;
    for (char c : out.keyword)
        if (!is_ascii_alnum(c)) return false;
    return true;
}

/// What MAIL's parameters say, after aiosmtpd's checks (§2.6). Duplicates: the last one wins.
struct mail_parameters {
    enum class status {
        ok,
        syntax,         // 501 Syntax: MAIL FROM: <address> ...
        bad_body,       // 501 Error: BODY can only be one of 7BIT, 8BITMIME[, BINARYMIME]
        smtputf8_value, // 501 Error: SMTPUTF8 takes no arguments
        smtputf8_off,   // 501 Error: SMTPUTF8 disabled
        too_big,        // 552 Error: message size exceeds fixed maximum message size
        unknown         // 555 MAIL FROM parameters not recognized or not implemented
    };
    bool smtputf8 = false;
    body_type body = body_type::unspecified;
};

/// Validates MAIL parameter tokens. `understand_body`: BODY= is known (8BITMIME offered);
/// `binary_mime`: BODY=BINARYMIME too (CHUNKING offered).
inline mail_parameters::status check_mail_parameters(const std::vector<std::string>& tokens,
                                                     bool understand_body, bool smtputf8_enabled,
                                                     std::size_t size_limit, mail_parameters& out,
                                                     bool binary_mime = false) noexcept {
    using status = mail_parameters::status;
    parameter p;
    for (const auto& token : tokens)
        if (!parse_parameter(token, p)) return status::syntax;
    // The checks run keyword by keyword in aiosmtpd's order, each on the last occurrence.
    auto last = [&](std::string_view keyword, parameter& found) {
        bool seen = false;
        for (const auto& token : tokens) {
            parameter q;
            parse_parameter(token, q);
            if (q.keyword == keyword) {
                found = q;
                seen = true;
            }
        }
        return seen;
    };
    out.body = body_type::unspecified;
    if ((understand_body || binary_mime) && last("BODY", p)) {
        if (p.value == "7BIT" && understand_body)
            out.body = body_type::seven_bit;
        else if (p.value == "8BITMIME" && understand_body)
            out.body = body_type::eight_bit_mime;
        else if (p.value == "BINARYMIME" && binary_mime)
            out.body = body_type::binary_mime;
        else
            return status::bad_body;
    }
    out.smtputf8 = false;
    if (last("SMTPUTF8", p)) {
        if (p.has_value) return status::smtputf8_value;
        if (!smtputf8_enabled) return status::smtputf8_off;
        out.smtputf8 = true;
    }
    if (last("SIZE", p)) {
        if (!p.has_value) return status::syntax;
        std::size_t size = 0;
        bool overflow = false;
        for (char c : p.value) {
            if (c < '0' || c > '9') return status::syntax;
            if (size > (std::size_t(-1) - 9) / 10) overflow = true;
            size = size * 10 + std::size_t(c - '0');
        }
        if (size_limit != 0 && (overflow || size > size_limit)) return status::too_big;
    }
    for (const auto& token : tokens) {
        parse_parameter(token, p);
        if (p.keyword == "SIZE" || p.keyword == "SMTPUTF8") continue;
        if ((understand_body || binary_mime) && p.keyword == "BODY") continue;
        return status::unknown;
    }
    return status::ok;
}

/// RCPT accepts no parameters yet: any valid token is 555, an invalid one 501.
enum class rcpt_parameters_status { ok, syntax, unknown };

inline rcpt_parameters_status check_rcpt_parameters(const std::vector<std::string>& tokens) {
    parameter p;
    for (const auto& token : tokens)
        if (!parse_parameter(token, p)) return rcpt_parameters_status::syntax;
    return tokens.empty() ? rcpt_parameters_status::ok : rcpt_parameters_status::unknown;
}

} // namespace smtp::detail

#endif
