#ifndef SMTP_AUTH_BEARER_RESPONSE_HPP
#define SMTP_AUTH_BEARER_RESPONSE_HPP

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

/// \file
/// Parsing the client responses of the OAuth 2.0 SASL mechanisms: OAUTHBEARER (RFC 7628 §3.1)
/// and XOAUTH2 (Google's and Microsoft's format). Both carry a user name and a bearer token in
/// `key=value` pairs separated by `\x01`. The input is the client's, decoded from base64: the
/// parsers accept only what the grammars allow and never read past the view.
namespace smtp::auth {

/// A user name and an OAuth 2.0 bearer token, as OAUTHBEARER and XOAUTH2 carry them. Printing
/// it never shows the token.
struct bearer_token {
    /// The user: XOAUTH2's `user=`, OAUTHBEARER's authorization identity (`a=`, empty when the
    /// client left it out: the token then names the user).
    std::string user;
    /// The token (RFC 6750 `b64token`), without the `Bearer ` scheme.
    std::string token;
    /// OAUTHBEARER's `host=` and `port=` (what the client connected to), when sent.
    std::string host = {};
    /// OAUTHBEARER's `port=`, when sent.
    std::string port = {};

    /// Prints the user and `token=...`.
    friend std::ostream& operator<<(std::ostream& os, const bearer_token& t) {
        return os << "bearer_token(user='" << t.user << "', token=...)";
    }
};

/// The pieces of the parsers below (public for the fuzz target's checks).
namespace bearer_detail {

/// ASCII letters.
inline bool is_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/// RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
inline bool is_b64token(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() &&
           (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' ||
            s[i] == '_' || s[i] == '~' || s[i] == '+' || s[i] == '/'))
        ++i;
    if (i == 0) return false;
    while (i < s.size() && s[i] == '=')
        ++i;
    return i == s.size();
}

/// RFC 7628 value: *(VCHAR / SP / HTAB / CR / LF).
inline bool is_kv_value(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (!((u >= 0x21 && u <= 0x7e) || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            return false;
    }
    return true;
}

/// No control characters in a user name: it goes into logs and Received lines.
inline bool has_control(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
    return false;
}

/// `auth=` is `Bearer` (the scheme is case-insensitive, RFC 7235 §2.1), spaces, the token.
inline std::optional<std::string> bearer_from_auth(std::string_view value) {
    constexpr std::string_view scheme = "bearer";
    if (value.size() <= scheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if ((value[i] | 0x20) != scheme[i]) return std::nullopt;
    value.remove_prefix(scheme.size());
    if (value.front() != ' ') return std::nullopt;
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    if (!is_b64token(value)) return std::nullopt;
    return std::string(value);
}

/// The `key=value\x01` pairs and the final `\x01`: fills `user` (with `user_key`), the token and
/// OAUTHBEARER's host and port; other keys are ignored (RFC 7628 §3.1: extensions).
inline bool parse_kvpairs(std::string_view rest, bearer_token& out, bool user_key) {
    bool have_auth = false;
    for (;;) {
        if (rest.empty()) return false; // no final separator
        if (rest.front() == '\x01') return rest.size() == 1 && have_auth;
        auto end = rest.find('\x01');
        if (end == std::string_view::npos) return false;
        std::string_view pair = rest.substr(0, end);
        rest.remove_prefix(end + 1);
        auto equals = pair.find('=');
        if (equals == 0 || equals == std::string_view::npos) return false;
        std::string_view key = pair.substr(0, equals), value = pair.substr(equals + 1);
        for (char c : key)
            if (!is_alpha(c)) return false;
        if (!is_kv_value(value)) return false;
        if (key == "auth") {
            if (have_auth) return false;
            auto token = bearer_from_auth(value);
            if (!token) return false;
            out.token = std::move(*token);
            have_auth = true;
        } else if (user_key && key == "user") {
            if (has_control(value)) return false;
            out.user = value;
        } else if (!user_key && key == "host") {
            out.host = value;
        } else if (!user_key && key == "port") {
            out.port = value;
        }
    }
}

/// RFC 5801 saslname: UTF8 without ',' and '=', those two written "=2C" and "=3D" (and here
/// without control characters).
inline std::optional<std::string> decode_saslname(std::string_view s) {
    if (has_control(s)) return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == ',') return std::nullopt;
        if (s[i] != '=') {
            out.push_back(s[i]);
            continue;
        }
        std::string_view escape = s.substr(i + 1, 2);
        if (escape == "2C")
            out.push_back(',');
        else if (escape == "3D")
            out.push_back('=');
        else
            return std::nullopt;
        i += 2;
    }
    return out;
}

} // namespace bearer_detail

/// An OAUTHBEARER client response (RFC 7628 §3.1): the GS2 header `n,a=user,` (or `y,`; no
/// authorization identity: `n,,`), `\x01`, the `key=value\x01` pairs with `auth=Bearer <token>`
/// among them, and a final `\x01`. Nothing when it does not follow that grammar, or asks for
/// channel binding (`p=`), which SMTP does not define.
inline std::optional<bearer_token> parse_oauthbearer(std::string_view response) {
    if (response.size() < 2 || (response[0] != 'n' && response[0] != 'y') || response[1] != ',')
        return std::nullopt;
    response.remove_prefix(2);
    auto comma = response.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    std::string_view authzid = response.substr(0, comma);
    response.remove_prefix(comma + 1);
    bearer_token out;
    if (!authzid.empty()) {
        if (!authzid.starts_with("a=")) return std::nullopt;
        auto user = bearer_detail::decode_saslname(authzid.substr(2));
        if (!user) return std::nullopt;
        out.user = std::move(*user);
    }
    if (response.empty() || response.front() != '\x01') return std::nullopt;
    response.remove_prefix(1);
    if (!bearer_detail::parse_kvpairs(response, out, false)) return std::nullopt;
    return out;
}

/// An XOAUTH2 client response: `user=<user>\x01auth=Bearer <token>\x01\x01`. Nothing when it
/// does not follow that format or lacks the user.
inline std::optional<bearer_token> parse_xoauth2(std::string_view response) {
    bearer_token out;
    if (!response.starts_with("user=")) return std::nullopt;
    if (!bearer_detail::parse_kvpairs(response, out, true) || out.user.empty()) return std::nullopt;
    return out;
}

} // namespace smtp::auth

#endif
