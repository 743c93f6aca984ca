#ifndef SMTP_PARSED_MESSAGE_HPP
#define SMTP_PARSED_MESSAGE_HPP

#include <smtp/detail/ascii.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// \file
/// `smtp::parsed_message`, a small RFC 5322 message (header fields in order and a body of
/// bytes), and `smtp::message_traits`, which lets the message handlers use another message type.
namespace smtp {

/// An RFC 5322 message: header fields in the order they came, looked up case-insensitively,
/// and the body as bytes. It parses leniently (as Python's email parser does) and keeps what it
/// parsed, so `to_string()` gives back the same bytes (header lines end in CRLF).
///
/// \code
/// auto m = smtp::parsed_message::parse("Subject: hi\r\n there\r\nFrom: a@b.c\r\n\r\nbody\r\n");
/// m.get("subject");              // "hi there" (unfolded)
/// m.add_header("X-Seen", "yes"); // appended after the others
/// m.prepend_header("Received", "from x by y; Thu, 3 Dec 2026 10:00:00 +0000"); // first
/// m.body();                      // "body\r\n"
/// \endcode
///
/// Encoded words (RFC 2047) and MIME parts are left as they are: plug a MIME library's type into
/// the message handlers (see `message_traits`) when you need them.
class parsed_message {
public:
    /// One header field.
    struct field {
        /// The name as written ("Subject").
        std::string name;
        /// Everything after the colon, as written: leading space and folding line breaks
        /// included, the final line break excluded.
        std::string raw_value;

        /// The value unfolded (RFC 5322 §2.2.3: line breaks before whitespace removed) and
        /// without leading or trailing whitespace.
        std::string value() const;
    };

    parsed_message() = default;

    /// Parses `bytes`. The header section ends at the first empty line (CRLF or LF), or at the
    /// first line that is neither a field nor a continuation (that line starts the body, as in
    /// Python's parser). Lines beginning with a space or tab continue the previous field.
    static parsed_message parse(std::string_view bytes);

    /// The header fields, in order.
    const std::vector<field>& headers() const noexcept { return fields_; }

    /// The unfolded value of the first field called `name` (case-insensitive), if any.
    std::optional<std::string> get(std::string_view name) const;
    /// The unfolded values of every field called `name`, in order.
    std::vector<std::string> get_all(std::string_view name) const;
    /// Whether a field called `name` exists.
    bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }

    /// Appends the field `name: value` after the others (as Python's `msg[name] = value`; fields
    /// of the same name are kept). `value` may be folded (CRLF then a space or tab).
    /// Throws `std::invalid_argument` for a name that is not 1+ printable ASCII characters
    /// other than ':', or a value with a line break that does not fold (header injection).
    void add_header(std::string_view name, std::string_view value);
    /// Puts the field `name: value` before all the others: where trace fields go (`Received:`,
    /// `Delivered-To:`, RFC 5321 §4.4). Checked as add_header() checks.
    void prepend_header(std::string_view name, std::string_view value) {
        insert_header(0, name, value);
    }
    /// Puts the field `name: value` at `position` among the fields (past the end: last).
    /// Checked as add_header() checks.
    void insert_header(std::size_t position, std::string_view name, std::string_view value);
    /// Removes every field called `name`; returns how many there were.
    std::size_t remove_header(std::string_view name);
    /// Replaces every field called `name` by one `name: value` at the end.
    void set_header(std::string_view name, std::string_view value) {
        remove_header(name);
        add_header(name, value);
    }

    /// The body: the bytes after the empty line that ends the header section.
    std::string& body() noexcept { return body_; }
    /// The body (read-only).
    const std::string& body() const noexcept { return body_; }

    /// The message as bytes: each field as `name:raw_value` CRLF, an empty line, the body.
    std::string to_string() const;

private:
    const field* find(std::string_view name) const noexcept;

    std::vector<field> fields_;
    std::string body_;
};

namespace detail {
template <class M>
concept has_parse = requires(std::string_view bytes) {
    { M::parse(bytes) } -> std::convertible_to<M>;
};
template <class M>
concept has_add_header = requires(M& m, std::string_view text) {
    m.add_header(text, text);
};
template <class M>
concept has_to_string = requires(const M& m) {
    { m.to_string() } -> std::convertible_to<std::string>;
};
} // namespace detail

/// How the message handlers (handlers/message.hpp) make, extend and write a `Message`. The
/// default uses `Message::parse`, `add_header` and `to_string`, as `smtp::parsed_message` has them;
/// specialize it to plug a type that spells them differently:
///
/// \code
/// template <> struct smtp::message_traits<mime::entity> {
///     static mime::entity parse(std::string_view bytes) { return mime::entity(bytes); }
///     static void add_header(mime::entity& m, std::string_view n, std::string_view v) {
///         m.header().push_back(mime::field(n, v));
///     }
///     static std::string to_bytes(const mime::entity& m) { return m.str(); } // for mailbox
/// };
/// \endcode
template <class Message>
struct message_traits {
    /// Parses received bytes into a Message.
    static Message parse(std::string_view bytes) requires detail::has_parse<Message> {
        return Message::parse(bytes);
    }
    /// Appends a header field `name: value`.
    static void add_header(Message& m, std::string_view name,
                           std::string_view value) requires detail::has_add_header<Message> {
        m.add_header(name, value);
    }
    /// The Message as bytes to store (handlers::mailbox).
    static std::string to_bytes(const Message& m) requires detail::has_to_string<Message> {
        return m.to_string();
    }
};

/// What the message handlers need of a `Message` type.
template <class Message>
concept message_like = requires(std::string_view bytes, Message& m) {
    { message_traits<Message>::parse(bytes) } -> std::convertible_to<Message>;
    message_traits<Message>::add_header(m, bytes, bytes);
};

// ----------------------------------------------------------------------------------------------

namespace detail {

// RFC 5322 ftext: printable ASCII but the colon.
inline bool is_field_name(std::string_view name) noexcept {
    if (name.empty()) return false;
    for (char c : name)
        if (c < 33 || c > 126 || c == ':') return false;
    return true;
}

// The length of the line at the start of `text` and of its line ending (CRLF or LF; none at
// the end of the text).
inline std::pair<std::size_t, std::size_t> next_line(std::string_view text) noexcept {
    std::size_t lf = text.find('\n');
    if (lf == std::string_view::npos) return {text.size(), 0};
    if (lf > 0 && text[lf - 1] == '\r') return {lf - 1, 2};
    return {lf, 1};
}

} // namespace detail

inline std::string parsed_message::field::value() const {
    std::string out;
    out.reserve(raw_value.size());
    for (std::size_t i = 0; i < raw_value.size(); ++i) {
        char c = raw_value[i];
        if (c == '\r' || c == '\n') continue; // a fold: the break goes, the whitespace stays
        out.push_back(c);
    }
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    std::size_t begin = 0, end = out.size();
    while (begin < end && blank(out[begin]))
        ++begin;
    while (end > begin && blank(out[end - 1]))
        --end;
    return out.substr(begin, end - begin);
}

inline parsed_message parsed_message::parse(std::string_view bytes) {
    parsed_message m;
    std::string_view rest = bytes;
    std::string_view last_break; // the line break before `rest`, kept inside a folded value
    while (!rest.empty()) {
        auto [length, ending] = detail::next_line(rest);
        std::string_view line = rest.substr(0, length);
        if (line.empty() && ending != 0) { // the empty line ends the header section
            rest.remove_prefix(ending);
            break;
        }
        if (line.starts_with(' ') || line.starts_with('\t')) {
            if (m.fields_.empty()) break; // nothing to continue: the body starts here
            m.fields_.back().raw_value.append(last_break).append(line);
        } else {
            std::size_t colon = line.find(':');
            if (colon == std::string_view::npos || !detail::is_field_name(line.substr(0, colon)))
                break; // not a field: the body starts here
            m.fields_.push_back(
                {std::string(line.substr(0, colon)), std::string(line.substr(colon + 1))});
        }
        last_break = rest.substr(length, ending);
        rest.remove_prefix(length + ending);
    }
    m.body_.assign(rest);
    return m;
}

inline const parsed_message::field* parsed_message::find(std::string_view name) const noexcept {
    for (const auto& f : fields_)
        if (detail::iequals(f.name, name)) return &f;
    return nullptr;
}

inline std::optional<std::string> parsed_message::get(std::string_view name) const {
    if (const field* f = find(name)) return f->value();
    return std::nullopt;
}

inline std::vector<std::string> parsed_message::get_all(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& f : fields_)
        if (detail::iequals(f.name, name)) values.push_back(f.value());
    return values;
}

inline void parsed_message::add_header(std::string_view name, std::string_view value) {
    insert_header(fields_.size(), name, value);
}

inline void parsed_message::insert_header(std::size_t position, std::string_view name,
                                          std::string_view value) {
    if (!detail::is_field_name(name))
        throw std::invalid_argument("smtp::parsed_message: invalid header field name");
    // A line break is only allowed as a fold: CRLF followed by a space or tab.
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\n')
            throw std::invalid_argument("smtp::parsed_message: bare LF in header value");
        if (value[i] == '\r') {
            bool fold = i + 2 < value.size() && value[i + 1] == '\n' &&
                        (value[i + 2] == ' ' || value[i + 2] == '\t');
            if (!fold)
                throw std::invalid_argument("smtp::parsed_message: line break in header value");
            ++i;
        }
    }
    std::string raw;
    raw.reserve(value.size() + 1);
    raw.push_back(' ');
    raw.append(value);
    position = std::min(position, fields_.size());
    fields_.insert(fields_.begin() + std::ptrdiff_t(position), {std::string(name), std::move(raw)});
}

inline std::size_t parsed_message::remove_header(std::string_view name) {
    std::size_t before = fields_.size();
    std::erase_if(fields_, [&](const field& f) { return detail::iequals(f.name, name); });
    return before - fields_.size();
}

inline std::string parsed_message::to_string() const {
    std::size_t size = body_.size() + 2;
    for (const auto& f : fields_)
        size += f.name.size() + f.raw_value.size() + 3;
    std::string out;
    out.reserve(size);
    for (const auto& f : fields_)
        out.append(f.name).append(":").append(f.raw_value).append("\r\n");
    out.append("\r\n").append(body_);
    return out;
}

} // namespace smtp

#endif
