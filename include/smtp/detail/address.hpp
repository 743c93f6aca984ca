#ifndef SMTP_DETAIL_ADDRESS_HPP
#define SMTP_DETAIL_ADDRESS_HPP

// MAIL FROM / RCPT TO address parsing, equivalent to aiosmtpd's `_getaddr` (AIOSMTPD.md §2.5).
//
// aiosmtpd hands the argument to Python's RFC 5322 header parser
// (`email._header_value_parser.get_angle_addr` / `get_addr_spec`) and reports the parse tree's
// `addr_spec`. That parser is very lenient (obsolete local parts, comments, source routes, a
// missing '>' is only a "defect") and normalises what it accepts, so this is not an RFC 5321
// parser: it is a single-pass re-implementation of the same observable behaviour, i.e. which
// inputs are refused, the `addr_spec` string and the unparsed remainder. The input is the raw
// UTF-8 byte string; Python sees it decoded with surrogateescape, and every non-ASCII code point
// or undecodable byte is ordinary atom text to it, except the Unicode white space that
// `str.lstrip()` / `str.split()` know about, which is recognised here byte-wise.

#include <smtp/detail/utf8.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace smtp::detail {

struct parsed_address {
    std::string address;   // the normalised addr_spec handed to hooks ("<>" for a null path)
    std::string_view rest; // the unparsed remainder (the ESMTP parameters), a view into the input
};

namespace address_parsing {

inline constexpr std::size_t failed = std::string_view::npos;

// FWS as the parser starts it: only space and tab open white space ...
constexpr bool is_wsp(char c) noexcept {
    return c == ' ' || c == '\t';
}

// ... while `(` opens a comment; together they start CFWS.
constexpr bool is_cfws_start(char c) noexcept {
    return is_wsp(c) || c == '(';
}

// Bytes that end an atom: the RFC 5322 specials and WSP. Bytes >= 0x80 never do. (A table,
// because scanning atoms is most of the work.)
struct atom_end_table {
    bool ends[256] = {};
    constexpr atom_end_table() {
        for (char c : std::string_view("()<>@,:;.\\\"[] \t"))
            ends[static_cast<unsigned char>(c)] = true;
    }
};
inline constexpr atom_end_table atom_ends{};

constexpr bool is_atom_end(char c) noexcept {
    return atom_ends.ends[static_cast<unsigned char>(c)];
}

// RFC 5322 specials.
constexpr bool is_special(char c) noexcept {
    return is_atom_end(c) && !is_wsp(c);
}

// Python's PHRASE_ENDS without '\': where an (obsolete) local part stops. A backslash is taken
// into the local part as a "misplaced special" instead.
constexpr bool is_local_part_end(char c) noexcept {
    return is_special(c) && c != '.' && c != '"' && c != '(' && c != '\\';
}

// Python's DOT_ATOM_ENDS: a local part containing one of these is rendered quoted.
constexpr bool needs_quoting(char c) noexcept {
    return is_atom_end(c) && c != '.';
}

// Length of the code point starting at s[i] if Python's str.isspace() is true for it, else 0.
// The multi-byte lead bytes tested here can never be continuation bytes, so a match at any
// position is a real character of the surrogateescape decoding.
constexpr std::size_t space_length(std::string_view s, std::size_t i) noexcept {
    const auto at = [&](std::size_t k) -> unsigned {
        return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100U;
    };
    const unsigned c = at(0);
    if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20)) return 1;
    if (c == 0xC2) return at(1) == 0x85 || at(1) == 0xA0 ? 2 : 0; // U+0085, U+00A0
    if (c == 0xE1) return at(1) == 0x9A && at(2) == 0x80 ? 3 : 0; // U+1680
    if (c == 0xE3) return at(1) == 0x80 && at(2) == 0x80 ? 3 : 0; // U+3000
    if (c != 0xE2) return 0;
    const unsigned c1 = at(1), c2 = at(2);
    if (c1 == 0x80) // U+2000..U+200A, U+2028, U+2029, U+202F
        return (c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF ? 3 : 0;
    return c1 == 0x81 && c2 == 0x9F ? 3 : 0; // U+205F
}

// The result under construction. Python's result is a str whose code points come from the
// decoded input (a bad byte is one surrogate) or are ASCII it adds. Joined as bytes, pieces can
// fuse into a different UTF-8 sequence, so the code points are counted here, as they are copied
// from the input, for `local_part_limit`: Python's len() of what precedes the last '@'.
class output {
public:
    explicit output(std::string& text) noexcept : text_(text) {}

    bool empty() const noexcept { return text_.empty(); }

    void put(char c) {
        if (c == '@') {
            at_ = chars_;
            at_escapes_ = escapes_;
        }
        escapes_ += c == '\\' || c == '"';
        text_ += c;
        ++chars_;
    }

    // Copies the code point at s[i] (one byte if it is not valid UTF-8); returns the next i.
    std::size_t put(std::string_view s, std::size_t i) {
        const std::size_t len = utf8_length(s, i);
        if (len <= 1) {
            put(s[i]);
            return i + 1;
        }
        text_.append(s.substr(i, len));
        ++chars_;
        return i + len;
    }

    // Copies the code points of s[begin, end), which must not split one.
    void put(std::string_view s, std::size_t begin, std::size_t end) {
        while (begin < end) {
            // Plain ASCII (the usual case) goes in one append; the rest one code point at a time.
            std::size_t plain = begin;
            while (plain < end && is_plain_ascii(s[plain]))
                ++plain;
            text_.append(s.substr(begin, plain - begin));
            chars_ += plain - begin;
            begin = plain < end ? put(s, plain) : plain;
        }
    }

    // Renders the text so far (the local part) the way AddrSpec.addr_spec does: quoted, with
    // '\' and '"' escaped, if it contains a character that a dot-atom cannot hold.
    void quote_if_needed() {
        bool quote = false;
        for (std::size_t i = 0; i < text_.size() && !quote; ++i)
            quote = needs_quoting(text_[i]);
        if (!quote) return;
        // Widen in place from the back: '"' + content with '\' and '"' escaped + '"'.
        std::size_t from = text_.size();
        std::size_t to = from + escapes_ + 2;
        text_.resize(to);
        text_[--to] = '"';
        while (from > 0) {
            const char c = text_[--from];
            text_[--to] = c;
            if (c == '\\' || c == '"') text_[--to] = '\\';
        }
        text_[0] = '"';
        chars_ += escapes_ + 2;
        if (at_ != none) at_ += 1 + at_escapes_;
    }

    // AngleAddr shows an empty local part as `""`.
    void prepend_empty_quotes() {
        text_.insert(0, "\"\"");
        chars_ += 2;
        if (at_ != none) at_ += 2;
    }

    void set_null_path() {
        text_ = "<>";
        chars_ = 2;
        at_ = none;
    }

    // Python's len() of the text before the last '@'; 0 without one (rpartition's empty head).
    std::size_t chars_before_last_at() const noexcept { return at_ == none ? 0 : at_; }

    struct mark {
        std::size_t size, chars, at, at_escapes, escapes;
    };
    mark save() const noexcept { return {text_.size(), chars_, at_, at_escapes_, escapes_}; }
    void restore(const mark& m) {
        text_.resize(m.size);
        chars_ = m.chars;
        at_ = m.at;
        at_escapes_ = m.at_escapes;
        escapes_ = m.escapes;
    }

private:
    // Needs no bookkeeping beyond the code point count.
    static constexpr bool is_plain_ascii(char c) noexcept {
        return static_cast<unsigned char>(c) < 0x80 && c != '@' && c != '\\' && c != '"';
    }

    static constexpr std::size_t none = std::string_view::npos;
    std::string& text_;
    std::size_t chars_ = 0;      // code points in text_
    std::size_t at_ = none;      // code points before the last '@'
    std::size_t at_escapes_ = 0; // escapes_ at that '@'
    std::size_t escapes_ = 0;    // '\' and '"' in text_: what quoting adds
};

class parser {
public:
    parser(std::string_view text, std::string& out) noexcept : s_(text), out_(out) {}

    std::size_t chars_before_last_at() const noexcept { return out_.chars_before_last_at(); }

    // get_angle_addr, from the start of the text. Returns the end of the angle-addr or `failed`.
    std::size_t angle_addr() {
        std::size_t i = skip_cfws(0);
        if (i == s_.size() || s_[i] != '<') return failed;
        if (++i == s_.size()) return failed; // IndexError in Python
        if (s_[i] == '>') {
            out_.set_null_path(); // aiosmtpd's null reverse-path; no CFWS is skipped after it
            return i + 1;
        }
        // Python tries addr-spec first and falls back to an obs-route. The route can only work
        // when '@' comes after CFWS and commas, and then the addr-spec would have failed on that
        // very character, so the choice can be made up front.
        std::size_t j = i;
        while (j < s_.size() && (s_[j] == ',' || is_cfws_start(s_[j])))
            j = s_[j] == ',' ? j + 1 : skip_cfws(j);
        if (j < s_.size() && s_[j] == '@') {
            i = obs_route(j);
            if (i == failed) return failed;
        }
        i = addr_spec(i, true);
        if (i == failed) return failed;
        if (i < s_.size() && s_[i] == '>') ++i; // a missing '>' is only a defect to Python
        return skip_cfws(i);
    }

    // get_addr_spec from `i`. `in_angle`: AngleAddr renders an empty local part as `""`.
    std::size_t addr_spec(std::size_t i, bool in_angle) {
        if (i == s_.size()) return failed; // IndexError in Python
        i = local_part(i);
        if (i == failed) return failed;
        out_.quote_if_needed();
        const bool empty_local_part = out_.empty();
        if (i < s_.size() && s_[i] == '@') {
            out_.put('@');
            i = domain(i + 1);
            if (i == failed) return failed;
        }
        if (in_angle && empty_local_part) out_.prepend_empty_quotes();
        return i;
    }

private:
    std::size_t skip_fws(std::size_t i) const noexcept {
        // get_fws() uses str.lstrip(), so once started, FWS eats any Unicode white space.
        while (std::size_t len = space_length(s_, i))
            i += len;
        return i;
    }

    // A comment, nested ones included, without recursion (the nesting depth is attacker
    // controlled). An unterminated comment runs to the end: only a defect to Python.
    std::size_t skip_comment(std::size_t i) const noexcept {
        std::size_t depth = 0;
        while (i < s_.size()) {
            const char c = s_[i++];
            if (c == '\\') {
                // A quoted pair, except that the parser splits at WSP first, so a backslash
                // before WSP (or at the end) quotes nothing.
                if (i < s_.size() && !is_wsp(s_[i])) ++i;
            } else if (c == '(') {
                ++depth;
            } else if (c == ')' && --depth == 0) {
                break;
            }
        }
        return i;
    }

    std::size_t skip_cfws(std::size_t i) const noexcept {
        while (i < s_.size() && is_cfws_start(s_[i]))
            i = s_[i] == '(' ? skip_comment(i) : skip_fws(i);
        return i;
    }

    std::size_t skip_atext(std::size_t i) const noexcept {
        while (i < s_.size() && !is_atom_end(s_[i]))
            ++i;
        return i;
    }

    // Is s_[i] a backslash that quotes the next character? (See skip_comment.)
    bool is_quoted_pair(std::size_t i) const noexcept {
        return s_[i] == '\\' && i + 1 < s_.size() && !is_wsp(s_[i + 1]);
    }

    // A quoted string at s_[i] == '"'; appends its content with quoted pairs undone.
    std::size_t quoted_string(std::size_t i) {
        ++i;
        while (i < s_.size() && s_[i] != '"') {
            if (s_[i] == '\\' && !is_quoted_pair(i)) {
                ++i; // dropped, as in comments
                continue;
            }
            i = out_.put(s_, s_[i] == '\\' ? i + 1 : i);
        }
        return i < s_.size() ? i + 1 : i; // unterminated: only a defect to Python
    }

    // get_local_part, including the obs-local-part re-parse. Python groups the local part into
    // words (atom or quoted string with the CFWS around it), dots and stray backslashes, and its
    // `local_part` joins them, turning each CFWS into one space unless it sits next to a dot or
    // at either end. The CFWS after a word is only written once the next token is known.
    std::size_t local_part(std::size_t i) {
        const std::size_t first = skip_cfws(i);
        if (first == s_.size() || is_local_part_end(s_[first])) return failed;
        // A lone '"' at the end: Python's LocalPart.local_part indexes an empty token list.
        if (s_[first] == '"' && first + 1 == s_.size()) return failed;
        bool after_dot = true; // the start counts as a dot: leading CFWS is dropped
        bool pending_space = false;
        while (i < s_.size() && !is_local_part_end(s_[i])) {
            if (s_[i] == '.') {
                pending_space = false;
                out_.put('.');
                after_dot = true;
                ++i;
                continue;
            }
            const std::size_t word = skip_cfws(i);
            if (s_[i] != '\\' && (word == s_.size() || (s_[word] != '"' && is_special(s_[word])))) {
                i = word; // CFWS that is not part of a word contributes nothing
                continue;
            }
            if (pending_space) out_.put(' ');
            if (s_[i] == '\\') {
                out_.put('\\'); // a "misplaced special", kept as text
                pending_space = after_dot = false;
                ++i;
                continue;
            }
            if (word > i && !after_dot) out_.put(' ');
            std::size_t end;
            if (s_[word] == '"') {
                end = quoted_string(word);
            } else {
                end = skip_atext(word);
                out_.put(s_, word, end);
            }
            i = skip_cfws(end);
            pending_space = i > end;
            after_dot = false;
        }
        return i;
    }

    // Appends s_[begin, end) without white space: Python's `Domain.domain` is
    // `"".join(value.split())`, so any Unicode white space inside an atom disappears too.
    void put_domain_text(std::size_t begin, std::size_t end) {
        while (begin < end) {
            const std::size_t len = space_length(s_, begin);
            begin = len != 0 ? begin + len : out_.put(s_, begin);
        }
    }

    // get_domain from just after '@'.
    std::size_t domain(std::size_t i) {
        if (i == s_.size()) return failed; // IndexError in Python
        i = skip_cfws(i);
        if (i == s_.size()) return failed;
        return s_[i] == '[' ? domain_literal(i) : dotted_domain(i);
    }

    // dot-atom, or the obsolete `atom *("." atom)` with CFWS allowed around the dots.
    std::size_t dotted_domain(std::size_t i) {
        if (is_atom_end(s_[i])) return failed;
        // Python tries a dot-atom first; one ending in '.' fails and it takes a single atom.
        // The outcome only differs in where the check for a following '@' happens.
        std::size_t end = skip_atext(i);
        std::size_t dotted = end;
        while (dotted < s_.size() && s_[dotted] == '.') {
            if (dotted + 1 == s_.size() || is_atom_end(s_[dotted + 1])) {
                dotted = end;
                break;
            }
            dotted = skip_atext(dotted + 1);
        }
        put_domain_text(i, dotted);
        i = skip_cfws(dotted);
        if (i < s_.size() && s_[i] == '@') return failed; // "Invalid Domain"
        while (i < s_.size() && s_[i] == '.') {
            out_.put('.');
            i = skip_cfws(i + 1);
            if (i == s_.size() || is_atom_end(s_[i])) return failed;
            end = skip_atext(i);
            put_domain_text(i, end);
            i = skip_cfws(end);
        }
        return i;
    }

    // `[` [FWS] dtext [FWS] `]`: Python takes one run of dtext only, so inner WSP is an error.
    std::size_t domain_literal(std::size_t i) {
        ++i;
        // Every early end of input is an exception in Python (AttributeError or
        // UnboundLocalError), reported as malformed here.
        if (i == s_.size()) return failed;
        out_.put('[');
        if (is_wsp(s_[i])) i = skip_fws(i);
        if (i == s_.size()) return failed;
        while (i < s_.size() && !is_wsp(s_[i]) && s_[i] != '[' && s_[i] != ']') {
            if (s_[i] == '\\') {
                if (!is_quoted_pair(i)) {
                    ++i;
                    continue;
                }
                ++i; // the quoted code point is taken (or dropped, if it is white space) as is
            }
            const std::size_t len = space_length(s_, i);
            i = len != 0 ? i + len : out_.put(s_, i);
        }
        if (i < s_.size() && is_wsp(s_[i])) i = skip_fws(i);
        if (i == s_.size() || s_[i] != ']') return failed;
        out_.put(']');
        return skip_cfws(i + 1);
    }

    // obs-route `@a,@b:` at s_[i] == '@'; the domains are checked but not kept.
    std::size_t obs_route(std::size_t i) {
        const output::mark keep = out_.save();
        i = domain(i + 1);
        while (i != failed && i < s_.size() && s_[i] == ',') {
            i = skip_cfws(i + 1);
            if (i == s_.size()) break;
            if (s_[i] == '@') i = domain(i + 1);
        }
        out_.restore(keep);
        if (i == failed || i == s_.size() || s_[i] != ':') return failed;
        return i + 1;
    }

    std::string_view s_;
    output out_;
};

} // namespace address_parsing

// Parses the address at the start of `text` (what follows "FROM:" or "TO:") like aiosmtpd's
// `_getaddr`: angle-addr rules when the left-stripped text starts with '<', else addr-spec rules.
// Returns std::nullopt for a malformed address (553 5.1.3), also where Python raises something
// other than HeaderParseError. `local_part_limit` (0: none) applies to everything before the last
// '@' of the result, counted in code points like Python's len().
inline std::optional<parsed_address> parse_address(std::string_view text,
                                                   std::size_t local_part_limit = 0) {
    using namespace address_parsing;
    parsed_address result;
    result.rest = text; // stays a view into the input even when it is empty
    if (text.empty()) return result;
    result.address.reserve(text.size() + 2);
    parser p(text, result.address);
    std::size_t i = 0;
    while (std::size_t len = space_length(text, i))
        i += len; // str.lstrip()
    const std::size_t end =
        i < text.size() && text[i] == '<' ? p.angle_addr() : p.addr_spec(0, false);
    if (end == failed) return std::nullopt;
    result.rest = text.substr(end);
    if (local_part_limit != 0 && p.chars_before_last_at() > local_part_limit) return std::nullopt;
    return result;
}

} // namespace smtp::detail

#endif // SMTP_DETAIL_ADDRESS_HPP
