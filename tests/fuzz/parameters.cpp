// libFuzzer target: ESMTP parameters (detail::split_parameters, check_mail_parameters,
// check_rcpt_parameters, with and without DSN, REQUIRETLS and declared parameters; xtext). The
// input is what follows the address of MAIL or RCPT.
// See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/detail/command.hpp>
#include <smtp/detail/parameters.hpp>
#include <smtp/detail/xtext.hpp>
#include <smtp/parameters.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace {

using smtp::detail::check_mail_parameters;
using smtp::detail::check_rcpt_parameters;
using smtp::detail::is_python_space;
using smtp::detail::mail_parameters;
using smtp::detail::rcpt_parameters_status;
using status = mail_parameters::status;

struct tag {
    static constexpr std::string_view keyword = "X-TAG";
    static constexpr smtp::parameter_value value = smtp::parameter_value::optional;
};
struct flag {
    static constexpr std::string_view keyword = "FLAG";
    static constexpr smtp::parameter_value value = smtp::parameter_value::none;
    static smtp::reply check(std::string_view v) {
        return v.empty() ? smtp::reply{} : smtp::reply{501, "unexpected"};
    }
};
using declared = smtp::parameters<tag, flag>;

void check_tokens(std::string_view rest, const std::vector<std::string>& tokens) {
    // The tokens are the non-space runs of the input, in order, upper-cased.
    std::string joined_input, joined_tokens;
    for (char c : rest)
        if (!is_python_space(c)) joined_input.push_back(c >= 'a' && c <= 'z' ? char(c - 32) : c);
    std::size_t runs = 0;
    for (std::size_t i = 0; i < rest.size(); ++i)
        if (!is_python_space(rest[i]) && (i == 0 || is_python_space(rest[i - 1]))) ++runs;
    FUZZ_CHECK(tokens.size() == runs);
    for (const std::string& t : tokens) {
        FUZZ_CHECK(!t.empty());
        FUZZ_CHECK(!smtp_fuzz::has_ascii_lower(t));
        for (char c : t)
            FUZZ_CHECK(!is_python_space(c));
        joined_tokens += t;
    }
    FUZZ_CHECK(joined_tokens == joined_input);
}

void check_lists(const std::vector<std::string>& tokens) {
    const std::size_t limits[] = {0, 1, 1000, std::numeric_limits<std::size_t>::max()};
    for (std::size_t size_limit : limits) {
        status by_flags[2][2];
        for (bool body : {false, true}) {
            for (bool utf8 : {false, true}) {
                mail_parameters out;
                out.smtputf8 = true; // must be set by the check, whatever it held
                const status s = check_mail_parameters(tokens, body, utf8, size_limit, out);
                by_flags[body][utf8] = s;
                mail_parameters again;
                FUZZ_CHECK(check_mail_parameters(tokens, body, utf8, size_limit, again) == s);
                if (s == status::ok) FUZZ_CHECK(!out.smtputf8 || utf8);
                if (s == status::smtputf8_off) FUZZ_CHECK(!utf8);
                if (s == status::bad_body) FUZZ_CHECK(body);
                if (s == status::too_big) FUZZ_CHECK(size_limit != 0);
                if (tokens.empty()) FUZZ_CHECK(s == status::ok && !out.smtputf8);
            }
        }
        // Understanding BODY= only turns an unknown parameter into a known one.
        for (bool utf8 : {false, true})
            if (by_flags[false][utf8] == status::ok) FUZZ_CHECK(by_flags[true][utf8] == status::ok);
        // Enabling SMTPUTF8 only turns smtputf8_off into something else.
        for (bool body : {false, true})
            if (by_flags[body][false] != status::smtputf8_off)
                FUZZ_CHECK(by_flags[body][true] == by_flags[body][false]);
    }
    const rcpt_parameters_status r = check_rcpt_parameters(tokens);
    FUZZ_CHECK((r == rcpt_parameters_status::ok) == tokens.empty());
    FUZZ_CHECK(check_rcpt_parameters(tokens) == r);
}

// The extensions only give meaning to tokens aiosmtpd refuses: what it accepts stays accepted,
// and what they accept is within the RFCs' limits.
void check_extensions(const std::vector<std::string>& tokens, const std::vector<std::string>& raw) {
    const smtp::detail::parameter_extensions ext{
        .dsn = true, .requiretls = true, .declared = declared::rules};
    mail_parameters plain, extended;
    const status before = check_mail_parameters(tokens, true, true, 1000, plain);
    const status after = check_mail_parameters(tokens, true, true, 1000, extended, false, ext, raw);
    if (before == status::ok) FUZZ_CHECK(after == status::ok);
    if (after == status::invalid) FUZZ_CHECK(!extended.error.empty());
    if (after == status::ok) FUZZ_CHECK(extended.envid.size() <= smtp::detail::envid_limit);
    smtp::detail::rcpt_parameters rcpt;
    const rcpt_parameters_status r = check_rcpt_parameters(tokens, ext, rcpt, raw);
    if (tokens.empty()) FUZZ_CHECK(r == rcpt_parameters_status::ok);
    if (r == rcpt_parameters_status::ok) {
        FUZZ_CHECK(rcpt.dsn.orcpt.size() <= smtp::detail::orcpt_limit);
        FUZZ_CHECK(!rcpt.dsn.notify.never || (!rcpt.dsn.notify.success &&
                                              !rcpt.dsn.notify.failure && !rcpt.dsn.notify.delay));
    }
    if (r == rcpt_parameters_status::invalid) FUZZ_CHECK(!rcpt.error.empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view rest = smtp_fuzz::as_text(data, size);

    std::vector<std::string> tokens = {"STALE", "TOKENS"}; // reused vectors are cleared first
    smtp::detail::split_parameters(rest, tokens);
    check_tokens(rest, tokens);
    check_lists(tokens);
    std::vector<std::string> as_sent;
    smtp::detail::split_parameters(rest, tokens, as_sent);
    FUZZ_CHECK(as_sent.size() == tokens.size());
    for (std::size_t i = 0; i < as_sent.size(); ++i) {
        std::string upper = as_sent[i];
        for (char& c : upper)
            c = smtp::detail::ascii_upper(c);
        FUZZ_CHECK(upper == tokens[i]);
    }
    check_extensions(tokens, as_sent);

    // xtext: what encode_xtext makes decodes back to the input.
    std::string decoded;
    FUZZ_CHECK(smtp::detail::decode_xtext(smtp::detail::encode_xtext(rest), decoded));
    FUZZ_CHECK(decoded == rest);

    // Tokens as no split can make them (lower case, white space inside, empty), NUL-separated:
    // the checks must hold for any list.
    std::vector<std::string> raw;
    std::size_t from = 0;
    for (;;) {
        const std::size_t nul = rest.find('\0', from);
        raw.emplace_back(rest.substr(from, nul - from));
        if (nul == std::string_view::npos) break;
        from = nul + 1;
    }
    check_lists(raw);
    return 0;
}
