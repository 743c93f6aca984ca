#ifndef SMTP_DETAIL_COMMAND_HPP
#define SMTP_DETAIL_COMMAND_HPP

#include <smtp/detail/ascii.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smtp::detail {

/// The verbs the server knows. `unknown` is everything else.
enum class verb : std::uint8_t {
    helo,
    ehlo,
    lhlo,
    mail,
    rcpt,
    data,
    rset,
    noop,
    quit,
    vrfy,
    expn,
    help,
    auth,
    bdat,
    starttls,
    xclient, // Postfix's XCLIENT and XFORWARD: known only to a trusted client (forwarding.hpp)
    xforward,
    unknown
};
inline constexpr std::size_t verb_count = std::size_t(verb::unknown) + 1;

inline constexpr std::array<std::string_view, verb_count> verb_names = {
    "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA",     "RSET",    "NOOP",     "QUIT",
    "VRFY", "EXPN", "HELP", "AUTH", "BDAT", "STARTTLS", "XCLIENT", "XFORWARD", ""};

inline constexpr std::string_view name_of(verb v) noexcept {
    return verb_names[std::size_t(v)];
}

/// Maps an upper-case verb to its enumerator.
inline verb verb_from_name(std::string_view name) noexcept {
    if (name.size() == 4) {
        for (std::size_t i = 0; i < verb_count - 1; ++i)
            if (verb_names[i] == name) return verb(i);
    } else if (name == "STARTTLS") {
        return verb::starttls;
    } else if (name == "XCLIENT") {
        return verb::xclient;
    } else if (name == "XFORWARD") {
        return verb::xforward;
    }
    return verb::unknown;
}

constexpr bool is_python_space(char c) noexcept {
    // bytes.strip() strips ASCII whitespace: space, \t, \n, \v, \f, \r.
    return c == ' ' || (c >= '\t' && c <= '\r');
}

constexpr std::string_view strip(std::string_view s) noexcept {
    while (!s.empty() && is_python_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_python_space(s.back()))
        s.remove_suffix(1);
    return s;
}

/// One parsed command line.
struct command {
    verb id = verb::unknown;
    std::string_view name;  // the verb, upper-cased
    std::string_view arg;   // the stripped argument; empty when there is none
    std::size_t length = 0; // the line's length without its trailing CR/LF run
};

/// Splits command lines the way aiosmtpd does (§2.2 steps 2–4). Holds the upper-cased verb, so
/// a parsed command is valid until the next parse.
/// Where the secret of an AUTH command line starts (its initial response), or npos when the
/// line is no AUTH command or carries none. Mechanism and response may be separated by spaces
/// or tabs, as AUTH's own parsing accepts.
constexpr std::size_t auth_secret_start(std::string_view line) noexcept {
    constexpr std::string_view verb = "AUTH ";
    if (!istarts_with(line, verb)) return std::string_view::npos;
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    auto end_of_line = [](char c) { return c == '\r' || c == '\n'; };
    std::size_t i = verb.size();
    while (i < line.size() && blank(line[i]))
        ++i;
    while (i < line.size() && !blank(line[i]) && !end_of_line(line[i])) // the mechanism
        ++i;
    while (i < line.size() && blank(line[i]))
        ++i;
    return i < line.size() && !end_of_line(line[i]) ? i : std::string_view::npos;
}

class command_parser {
public:
    enum class status { ok, empty, bad_verb, non_ascii_argument };

    /// `line` is one framed line, LF included. `ascii_only`: arguments must be ASCII
    /// (SMTPUTF8 disabled).
    status parse(std::string_view line, bool ascii_only, command& out) {
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.remove_suffix(1);
        out = command{};
        out.length = line.size();
        if (line.empty()) return status::empty;
        std::size_t space = line.find(' ');
        std::string_view word = line.substr(0, space);
        name_.assign(word);
        for (char& c : name_) {
            if (static_cast<unsigned char>(c) >= 0x80) return status::bad_verb;
            c = ascii_upper(c);
        }
        out.name = name_;
        out.id = verb_from_name(name_);
        if (space != std::string_view::npos) out.arg = strip(line.substr(space + 1));
        if (ascii_only)
            for (char c : out.arg)
                if (static_cast<unsigned char>(c) >= 0x80) return status::non_ascii_argument;
        return status::ok;
    }

private:
    std::string name_; // reused: no allocation per command once it has grown
};

} // namespace smtp::detail

#endif
