#ifndef SMTP_LOGGING_EVENT_LINE_HPP
#define SMTP_LOGGING_EVENT_LINE_HPP

#include <smtp/detail/utf8.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

/// \file
/// One log event as one line of text: JSON (an object a line) or logfmt-style `key=value`.
namespace smtp::logging {

/// How events are written.
enum class format {
    text, ///< `2026-12-03T10:00:00.123Z event=connect session=... peer=127.0.0.1:40000`
    json  ///< `{"time":"2026-12-03T10:00:00.123Z","event":"connect","session":"...",...}`
};

/// Builds one event line: the time and the event's name first, then fields in the order added,
/// then a newline. Values are escaped so that a line is always one line and, in JSON, always
/// parses (bytes that are not UTF-8 are written as `\u00XX`).
class event_line {
public:
    /// Starts a line for `event` at the current time.
    event_line(format how, std::string_view event) : format_(how) {
        line_.reserve(256);
        if (format_ == format::json) line_.push_back('{');
        add("time", now());
        add("event", event);
    }

    /// Adds a text field.
    event_line& add(std::string_view key, std::string_view value) {
        begin_field(key);
        if (format_ == format::json) {
            quoted_json(value);
        } else if (needs_quotes(value)) {
            quoted_text(value);
        } else {
            line_.append(value);
        }
        return *this;
    }
    /// Adds a number.
    event_line& add(std::string_view key, std::uint64_t value) {
        begin_field(key);
        line_.append(std::to_string(value));
        return *this;
    }
    /// Adds a number of seconds, to the millisecond.
    event_line& add_seconds(std::string_view key, std::chrono::steady_clock::duration d) {
        begin_field(key);
        char text[32];
        std::snprintf(text, sizeof text, "%.3f", std::chrono::duration<double>(d).count());
        line_.append(text);
        return *this;
    }
    /// Adds a boolean.
    event_line& add_bool(std::string_view key, bool value) {
        begin_field(key);
        line_.append(value ? "true" : "false");
        return *this;
    }

    /// The finished line, newline included.
    std::string finish() && {
        if (format_ == format::json) line_.push_back('}');
        line_.push_back('\n');
        return std::move(line_);
    }

    /// The current UTC time as `YYYY-MM-DDThh:mm:ss.mmmZ`.
    static std::string now() {
        auto t = std::chrono::system_clock::now();
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
        std::time_t seconds = std::time_t(ms.count() / 1000);
        std::tm utc{};
        ::gmtime_r(&seconds, &utc);
        char text[96]; // room for any int the format could see
        std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                      utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                      int(ms.count() % 1000));
        return text;
    }

private:
    void begin_field(std::string_view key) {
        if (format_ == format::json) {
            if (line_.size() > 1) line_.push_back(',');
            line_.push_back('"');
            line_.append(key).append("\":");
        } else {
            if (!line_.empty()) line_.push_back(' ');
            // The time stands alone at the start of a text line.
            if (key != "time") line_.append(key).push_back('=');
        }
    }

    static bool needs_quotes(std::string_view value) {
        if (value.empty()) return true;
        for (unsigned char c : value)
            if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
        return false;
    }

    void escape_byte(unsigned char c) {
        static constexpr char hex[] = "0123456789abcdef";
        line_.append("\\u00");
        line_.push_back(hex[c >> 4]);
        line_.push_back(hex[c & 15]);
    }

    void quoted_json(std::string_view value) {
        bool utf8 = detail::is_valid_utf8(value);
        line_.push_back('"');
        for (char ch : value) {
            auto c = static_cast<unsigned char>(ch);
            switch (ch) {
            case '"': line_.append("\\\""); continue;
            case '\\': line_.append("\\\\"); continue;
            case '\n': line_.append("\\n"); continue;
            case '\r': line_.append("\\r"); continue;
            case '\t': line_.append("\\t"); continue;
            default: break;
            }
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
                escape_byte(c);
            else
                line_.push_back(ch);
        }
        line_.push_back('"');
    }

    void quoted_text(std::string_view value) {
        static constexpr char hex[] = "0123456789abcdef";
        line_.push_back('"');
        for (char ch : value) {
            auto c = static_cast<unsigned char>(ch);
            if (ch == '"' || ch == '\\') {
                line_.push_back('\\');
                line_.push_back(ch);
            } else if (c < 0x20 || c >= 0x7f) {
                line_.append("\\x");
                line_.push_back(hex[c >> 4]);
                line_.push_back(hex[c & 15]);
            } else {
                line_.push_back(ch);
            }
        }
        line_.push_back('"');
    }

    format format_;
    std::string line_;
};

} // namespace smtp::logging

#endif
