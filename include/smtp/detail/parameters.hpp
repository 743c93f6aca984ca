#ifndef SMTP_DETAIL_PARAMETERS_HPP
#define SMTP_DETAIL_PARAMETERS_HPP

#include <smtp/detail/ascii.hpp>
#include <smtp/detail/command.hpp>
#include <smtp/detail/dsn_parameters.hpp>
#include <smtp/envelope.hpp>
#include <smtp/parameters.hpp>
#include <smtp/reply.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smtp::detail {

/// Calls `word(text)` for each run of characters that are not Python's white space in `rest`
/// (Python's `str.split()`).
template <class Word>
void for_each_word(std::string_view rest, Word&& word) {
    for (;;) {
        while (!rest.empty() && is_python_space(rest.front()))
            rest.remove_prefix(1);
        if (rest.empty()) return;
        std::size_t end = 0;
        while (end < rest.size() && !is_python_space(rest[end]))
            ++end;
        word(rest.substr(0, end));
        rest.remove_prefix(end);
    }
}

/// Splits an ESMTP parameter string into upper-cased tokens (aiosmtpd: `rest.upper().split()`),
/// reusing the strings in `tokens`.
inline void split_parameters(std::string_view rest, std::vector<std::string>& tokens) {
    tokens.clear();
    for_each_word(rest, [&](std::string_view w) { to_upper(tokens.emplace_back(w)); });
}

/// The same, also keeping the tokens as sent in `raw` (same order), for the values whose case
/// matters (ENVID, ORCPT, declared parameters).
inline void split_parameters(std::string_view rest, std::vector<std::string>& tokens,
                             std::vector<std::string>& raw) {
    split_parameters(rest, tokens);
    raw.resize(tokens.size());
    std::size_t i = 0;
    for_each_word(rest, [&](std::string_view w) { raw[i++].assign(w); });
}

/// One `KEYWORD[=VALUE]` token split at its first '='.
struct parameter {
    std::string_view keyword;
    std::string_view value;
    bool has_value = false;
};

/// aiosmtpd's `_getparams` validity rule: the keyword is alphanumeric and `KEY=` has a value.
/// (So `MT-PRIORITY=3` is a syntax error, as in aiosmtpd.)
inline bool parse_parameter(std::string_view token, parameter& out) noexcept {
    std::size_t eq = token.find('=');
    out.keyword = token.substr(0, eq);
    out.has_value = eq != std::string_view::npos;
    out.value = out.has_value ? token.substr(eq + 1) : std::string_view{};
    if (out.keyword.empty() || (out.has_value && out.value.empty())) return false;
    for (char c : out.keyword)
        if (!is_alnum(c)) return false;
    return true;
}

/// What a session understands beyond aiosmtpd's MAIL and RCPT parameters.
struct parameter_extensions {
    bool dsn = false;        // RET, ENVID, NOTIFY, ORCPT (options::dsn)
    bool requiretls = false; // REQUIRETLS (options::requiretls, and TLS is active)
    bool auth = false;       // AUTH= on MAIL (RFC 4954 §5): AUTH is offered in this session
    std::span<const parameter_rule> declared = {}; // the handler's mail_ or rcpt_parameters
};

inline const parameter_rule* find_declared(std::span<const parameter_rule> declared,
                                           std::string_view keyword) noexcept {
    for (const auto& rule : declared)
        if (iequals(rule.keyword, keyword)) return &rule;
    return nullptr;
}

/// parse_parameter, except that a declared keyword may hold '-' (RFC 5321's esmtp-keyword),
/// and a declared parameter's value must be an esmtp-value (no '=').
inline bool parse_parameter(std::string_view token, parameter& out,
                            std::span<const parameter_rule> declared) noexcept {
    if (parse_parameter(token, out))
        return !out.has_value || out.value.find('=') == std::string_view::npos ||
               find_declared(declared, out.keyword) == nullptr;
    return !out.keyword.empty() && !(out.has_value && out.value.empty()) &&
           find_declared(declared, out.keyword) != nullptr &&
           out.value.find('=') == std::string_view::npos;
}

/// Where the only token with `keyword` is; `npos` when there is none, `duplicate` when there
/// are several (RFC 3461 allows each of its parameters once).
struct keyword_search {
    static constexpr std::size_t npos = std::size_t(-1);
    static constexpr std::size_t duplicate = std::size_t(-2);
};
inline std::size_t find_only(const std::vector<std::string>& tokens, std::string_view keyword) {
    std::size_t found = keyword_search::npos;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        parameter p;
        parse_parameter(tokens[i], p);
        if (p.keyword != keyword) continue;
        if (found != keyword_search::npos) return keyword_search::duplicate;
        found = i;
    }
    return found;
}

/// Checks the parameter that may come once (RET, ENVID, AUTH, NOTIFY, ORCPT): `parse(i)` reads
/// `tokens[i]` when it is there and says what is wrong with it (empty: nothing). The error, or
/// empty.
template <class Parse>
std::string single_parameter(const std::vector<std::string>& tokens, std::string_view keyword,
                             Parse&& parse) {
    std::size_t i = find_only(tokens, keyword);
    if (i == keyword_search::duplicate)
        return "Error: duplicate " + std::string(keyword) + " parameter";
    if (i == keyword_search::npos) return {};
    return std::string(parse(i));
}

/// The value of `tokens[i]` as the client sent it: from `raw` (the same tokens, case
/// preserved) when given.
inline std::string_view raw_value(const std::vector<std::string>& tokens,
                                  std::span<const std::string> raw, std::size_t i) {
    std::string_view token = raw.size() == tokens.size() ? std::string_view(raw[i]) : tokens[i];
    std::size_t eq = token.find('=');
    return eq == std::string_view::npos ? std::string_view{} : token.substr(eq + 1);
}

/// The 501 answering a wrong parameter value.
inline reply parameter_error(std::string_view text) {
    return {501, std::string(text)};
}

/// Checks the declared parameters among `tokens`: their value rule, duplicates, their check.
/// On failure `error` is the reply.
inline bool check_declared(const std::vector<std::string>& tokens, std::span<const std::string> raw,
                           std::span<const parameter_rule> declared, reply& error) {
    for (const auto& rule : declared) {
        std::string keyword(rule.keyword);
        to_upper(keyword);
        std::size_t i = find_only(tokens, keyword);
        if (i == keyword_search::npos) continue;
        if (i == keyword_search::duplicate) {
            error = parameter_error("Error: duplicate " + keyword + " parameter");
            return false;
        }
        bool has_value = tokens[i].find('=') != std::string::npos;
        if (has_value && rule.value == parameter_value::none) {
            error = parameter_error("Error: " + keyword + " takes no arguments");
            return false;
        }
        if (!has_value && rule.value == parameter_value::required) {
            error = parameter_error("Error: " + keyword + " needs a value");
            return false;
        }
        if (rule.check) {
            reply r = rule.check(raw_value(tokens, raw, i));
            if (!r.empty()) {
                error = std::move(r);
                return false;
            }
        }
    }
    return true;
}

/// Gives the declared parameters among `tokens` back their value as sent (the keyword stays
/// upper case); aiosmtpd never accepts them, so its upper-casing need not be kept.
inline void restore_declared_values(std::vector<std::string>& tokens,
                                    std::span<const std::string> raw,
                                    std::span<const parameter_rule> declared) {
    if (declared.empty() || raw.size() != tokens.size()) return;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        parameter p;
        parse_parameter(tokens[i], p, declared);
        if (p.has_value && find_declared(declared, p.keyword))
            tokens[i].replace(p.keyword.size() + 1, std::string::npos, raw_value(tokens, raw, i));
    }
}

/// What MAIL's parameters say, after aiosmtpd's checks (§2.6). Duplicates: the last one wins
/// (aiosmtpd's parameters); RFC 3461's and declared ones may appear once.
struct mail_parameters {
    enum class status {
        ok,
        syntax,         // 501 Syntax: MAIL FROM: <address> ...
        bad_body,       // 501 Error: BODY can only be one of 7BIT, 8BITMIME[, BINARYMIME]
        smtputf8_value, // 501 Error: SMTPUTF8 takes no arguments
        smtputf8_off,   // 501 Error: SMTPUTF8 disabled
        too_big,        // 552 Error: message size exceeds fixed maximum message size
        unknown,        // 555 MAIL FROM parameters not recognized or not implemented
        invalid         // `error`: a DSN, REQUIRETLS or declared parameter is wrong
    };
    bool smtputf8 = false;
    body_type body = body_type::unspecified;
    dsn_return ret = dsn_return::unspecified;
    std::string envid = {};
    bool require_tls = false;
    std::string auth = {}; // AUTH='s value, xtext-decoded ("<>": the sender is not vouched for)
    reply error = {};
};

/// Validates MAIL parameter tokens. `understand_body`: BODY= is known (8BITMIME offered);
/// `binary_mime`: BODY=BINARYMIME too (CHUNKING offered); `ext`: what else is understood;
/// `raw`: the tokens as sent (for values whose case matters), else values come upper-cased.
inline mail_parameters::status check_mail_parameters(const std::vector<std::string>& tokens,
                                                     bool understand_body, bool smtputf8_enabled,
                                                     std::size_t size_limit, mail_parameters& out,
                                                     bool binary_mime = false,
                                                     const parameter_extensions& ext = {},
                                                     std::span<const std::string> raw = {}) {
    using status = mail_parameters::status;
    parameter p;
    for (const auto& token : tokens)
        if (!parse_parameter(token, p, ext.declared)) return status::syntax;
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
    // Beyond aiosmtpd: RFC 3461, RFC 8689, the handler's own.
    out.ret = dsn_return::unspecified;
    out.envid.clear();
    out.require_tls = false;
    auto fail = [&](std::string_view text) {
        out.error = parameter_error(text);
        return status::invalid;
    };
    if (ext.dsn) {
        std::string e = single_parameter(tokens, "RET", [&](std::size_t i) {
            parse_parameter(tokens[i], p);
            return parse_ret(p.value, out.ret);
        });
        if (e.empty())
            e = single_parameter(tokens, "ENVID", [&](std::size_t i) {
                return parse_envid(raw_value(tokens, raw, i), out.envid);
            });
        if (!e.empty()) return fail(e);
    }
    out.auth.clear();
    if (ext.auth) {
        // RFC 4954 §5: a server that offers AUTH accepts the parameter (Outlook sends it).
        std::string e = single_parameter(tokens, "AUTH", [&](std::size_t i) -> std::string_view {
            parse_parameter(tokens[i], p);
            bool valid = p.has_value && decode_xtext(raw_value(tokens, raw, i), out.auth);
            return valid ? "" : "Error: AUTH is not valid xtext";
        });
        if (!e.empty()) return fail(e);
    }
    if (ext.requiretls && last("REQUIRETLS", p)) {
        if (p.has_value) return fail("Error: REQUIRETLS takes no arguments");
        out.require_tls = true;
    }
    if (!check_declared(tokens, raw, ext.declared, out.error)) return status::invalid;
    for (const auto& token : tokens) {
        parse_parameter(token, p, ext.declared);
        if (p.keyword == "SIZE" || p.keyword == "SMTPUTF8") continue;
        if ((understand_body || binary_mime) && p.keyword == "BODY") continue;
        if (ext.dsn && (p.keyword == "RET" || p.keyword == "ENVID")) continue;
        if (ext.requiretls && p.keyword == "REQUIRETLS") continue;
        if (ext.auth && p.keyword == "AUTH") continue;
        if (find_declared(ext.declared, p.keyword)) continue;
        return status::unknown;
    }
    return status::ok;
}

/// How RCPT's parameters fared: without extensions any valid token is 555 (aiosmtpd), an
/// invalid one 501.
enum class rcpt_parameters_status { ok, syntax, unknown, invalid };

/// What RCPT's parameters say.
struct rcpt_parameters {
    recipient_dsn dsn = {};
    reply error = {}; // for rcpt_parameters_status::invalid
};

inline rcpt_parameters_status check_rcpt_parameters(const std::vector<std::string>& tokens,
                                                    const parameter_extensions& ext,
                                                    rcpt_parameters& out,
                                                    std::span<const std::string> raw = {}) {
    using status = rcpt_parameters_status;
    out.dsn.notify = {};
    out.dsn.orcpt_type.clear();
    out.dsn.orcpt.clear();
    if (tokens.empty()) return status::ok; // the common case, kept short
    parameter p;
    for (const auto& token : tokens)
        if (!parse_parameter(token, p, ext.declared)) return status::syntax;
    auto fail = [&](std::string_view text) {
        out.error = parameter_error(text);
        return status::invalid;
    };
    if (ext.dsn) {
        std::string e = single_parameter(tokens, "NOTIFY", [&](std::size_t i) {
            parse_parameter(tokens[i], p);
            return parse_notify(p.value, out.dsn.notify);
        });
        if (e.empty())
            e = single_parameter(tokens, "ORCPT", [&](std::size_t i) {
                return parse_orcpt(raw_value(tokens, raw, i), out.dsn.orcpt_type, out.dsn.orcpt);
            });
        if (!e.empty()) return fail(e);
    }
    if (!check_declared(tokens, raw, ext.declared, out.error)) return status::invalid;
    for (const auto& token : tokens) {
        parse_parameter(token, p, ext.declared);
        if (ext.dsn && (p.keyword == "NOTIFY" || p.keyword == "ORCPT")) continue;
        if (find_declared(ext.declared, p.keyword)) continue;
        return status::unknown;
    }
    return status::ok;
}

/// RCPT as aiosmtpd has it: no parameters at all.
inline rcpt_parameters_status check_rcpt_parameters(const std::vector<std::string>& tokens) {
    rcpt_parameters out;
    return check_rcpt_parameters(tokens, {}, out);
}

} // namespace smtp::detail

#endif
