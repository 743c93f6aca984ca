#ifndef SMTP_MILTER_MESSAGE_EDIT_HPP
#define SMTP_MILTER_MESSAGE_EDIT_HPP

#include <smtp/detail/ascii.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

/// \file
/// A message split into header fields and body, as the milter stages send it, and the header
/// and body modifications filters ask for at end of message, sans I/O.
namespace smtp::milter {

/// One header field: its name and its value as it follows the colon (folding kept, CRLFs
/// included, no final CRLF).
struct header_field {
    /// The field name.
    std::string name;
    /// What follows the colon, leading space included.
    std::string value;
};

/// A message as header fields and a body.
struct split_message {
    /// The header fields, in order.
    std::vector<header_field> headers;
    /// True when an empty line ended the header (it is written back then).
    bool has_separator = false;
    /// What follows the empty line (or the whole message when the first line is no field).
    std::string body;

    /// Splits `message` (CRLF line ends): fields up to the first empty line or the first line
    /// that is neither a field nor a continuation.
    static split_message parse(std::string_view message) {
        split_message m;
        std::size_t pos = 0;
        while (pos < message.size()) {
            std::size_t eol = message.find("\r\n", pos);
            std::size_t line_end = eol == std::string_view::npos ? message.size() : eol;
            std::size_t next = eol == std::string_view::npos ? message.size() : eol + 2;
            std::string_view line = message.substr(pos, line_end - pos);
            if (line.empty() && eol != std::string_view::npos) {
                m.has_separator = true;
                pos = next;
                break;
            }
            if ((line.front() == ' ' || line.front() == '\t') && !m.headers.empty()) {
                m.headers.back().value.append("\r\n").append(line);
                pos = next;
                continue;
            }
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || colon == 0 ||
                line.substr(0, colon).find_first_of(" \t") != std::string_view::npos)
                break; // the body starts here, without a separator
            m.headers.push_back(
                {std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
            pos = next;
        }
        m.body.assign(message.substr(pos));
        return m;
    }

    /// The message again, CRLF line ends.
    std::string serialize() const {
        std::string out;
        for (const auto& h : headers)
            out.append(h.name).append(":").append(h.value).append("\r\n");
        if (has_separator) out.append("\r\n");
        out.append(body);
        return out;
    }

    /// `value` as a filter sees it: without the leading blank unless `leading_space`, folding
    /// CRLFs as LFs (Sendmail's form).
    static std::string value_for_filter(std::string_view value, bool leading_space) {
        if (!leading_space && !value.empty() && value.front() == ' ') value.remove_prefix(1);
        std::string out;
        out.reserve(value.size());
        for (std::size_t i = 0; i < value.size(); ++i)
            if (!(value[i] == '\r' && i + 1 < value.size() && value[i + 1] == '\n'))
                out.push_back(value[i]);
        return out;
    }

    /// A filter's header value as it is stored: a space added unless `leading_space`, lone LFs
    /// made CRLF, and every line after the first folded (starts with a blank).
    static std::string value_from_filter(std::string_view value, bool leading_space) {
        std::string out;
        if (!leading_space) out.push_back(' ');
        for (std::size_t i = 0; i < value.size(); ++i) {
            char c = value[i];
            if (c == '\r') continue;
            if (c == '\n') {
                out.append("\r\n");
                if (i + 1 >= value.size() || (value[i + 1] != ' ' && value[i + 1] != '\t'))
                    out.push_back('\t'); // an unfolded line would start a new field
                continue;
            }
            out.push_back(c);
        }
        return out;
    }

    /// SMFIR_ADDHEADER: appends a field.
    void add_header(std::string_view name, std::string_view value, bool leading_space) {
        headers.push_back({std::string(name), value_from_filter(value, leading_space)});
    }

    /// SMFIR_INSHEADER: inserts a field before the `index`th (0: first; past the end: last).
    void insert_header(std::uint32_t index, std::string_view name, std::string_view value,
                       bool leading_space) {
        std::size_t at = index > headers.size() ? headers.size() : index;
        headers.insert(headers.begin() + std::ptrdiff_t(at),
                       {std::string(name), value_from_filter(value, leading_space)});
    }

    /// SMFIR_CHGHEADER: the `index`th (1-based; 0 counts as 1) field named `name` (any case)
    /// gets `value`; an empty value deletes it. A missing one is added when there is a value.
    void change_header(std::uint32_t index, std::string_view name, std::string_view value,
                       bool leading_space) {
        if (index == 0) index = 1;
        std::uint32_t seen = 0;
        for (auto it = headers.begin(); it != headers.end(); ++it) {
            if (!smtp::detail::iequals(it->name, name) || ++seen != index) continue;
            if (value.empty())
                headers.erase(it);
            else
                it->value = value_from_filter(value, leading_space);
            return;
        }
        if (!value.empty()) add_header(name, value, leading_space);
    }
};

/// `body` with every lone LF made CRLF (a filter's replacement body may use either).
inline std::string crlf_body(std::string_view body) {
    std::string out;
    out.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r')) out.push_back('\r');
        out.push_back(body[i]);
    }
    return out;
}

/// An address without its angle brackets.
inline std::string_view strip_brackets(std::string_view address) {
    if (address.size() >= 2 && address.front() == '<' && address.back() == '>')
        return address.substr(1, address.size() - 2);
    return address;
}

} // namespace smtp::milter

#endif
