#ifndef SMTP_CLIENT_EXTENSIONS_HPP
#define SMTP_CLIENT_EXTENSIONS_HPP

#include <smtp/detail/ascii.hpp>
#include <smtp/reply.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtp {

/// The service extensions a server announced in its EHLO reply (RFC 5321 §4.1.1.1): every line
/// after the first is `KEYWORD [parameters]`. Keywords are matched case-insensitively.
///
/// \code
/// auto ext = smtp::extensions::parse({250, "mx.test\nSIZE 1000\nAUTH PLAIN LOGIN\nSTARTTLS"});
/// ext.has("starttls");         // true
/// ext.size_limit();            // 1000
/// ext.auth_mechanisms();       // {"PLAIN", "LOGIN"}
/// \endcode
class extensions {
public:
    extensions() = default;

    /// The extensions in the reply to EHLO (its first line, the greeting, is skipped).
    static extensions parse(const reply& ehlo_reply) {
        extensions result;
        std::string_view text = ehlo_reply.text;
        for (bool first = true; !text.empty() || first; first = false) {
            std::size_t end = text.find('\n');
            std::string_view line = text.substr(0, end);
            text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
            if (first || line.empty()) continue;
            std::size_t space = line.find(' ');
            std::string keyword(line.substr(0, space));
            detail::to_upper(keyword);
            std::string parameters(space == std::string_view::npos ? std::string_view()
                                                                   : line.substr(space + 1));
            result.entries_.emplace_back(std::move(keyword), std::move(parameters));
        }
        return result;
    }

    /// Whether `keyword` was announced.
    bool has(std::string_view keyword) const { return find(keyword) != nullptr; }

    /// The parameters announced with `keyword` ("" when none), or nothing if not announced.
    std::optional<std::string_view> parameters(std::string_view keyword) const {
        if (const auto* e = find(keyword)) return std::string_view(e->second);
        return std::nullopt;
    }

    /// The SASL mechanisms of `AUTH` (and of the old `AUTH=` form), upper case, in order.
    std::vector<std::string> auth_mechanisms() const {
        std::vector<std::string> names;
        for (const auto& [keyword, parameters] : entries_) {
            std::string list;
            if (keyword == "AUTH")
                list = parameters;
            else if (keyword.starts_with("AUTH="))
                list = keyword.substr(5) + " " + parameters;
            else
                continue;
            std::string_view rest = list;
            while (!rest.empty()) {
                std::size_t space = rest.find(' ');
                std::string name(rest.substr(0, space));
                detail::to_upper(name);
                if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
                    names.push_back(std::move(name));
                rest =
                    space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
            }
        }
        return names;
    }

    /// The `SIZE` limit in octets; nothing when SIZE was not announced or announced no limit.
    std::optional<std::size_t> size_limit() const {
        auto p = parameters("SIZE");
        std::size_t value = 0;
        if (!p || std::from_chars(p->data(), p->data() + p->size(), value).ec != std::errc() ||
            value == 0)
            return std::nullopt;
        return value;
    }

    /// Every keyword (upper case) with its parameters, in the order announced.
    const std::vector<std::pair<std::string, std::string>>& all() const noexcept {
        return entries_;
    }

private:
    const std::pair<std::string, std::string>* find(std::string_view keyword) const {
        for (const auto& e : entries_)
            if (detail::iequals(e.first, keyword)) return &e;
        return nullptr;
    }

    std::vector<std::pair<std::string, std::string>> entries_;
};

} // namespace smtp

#endif
