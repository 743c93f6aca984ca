#include <smtp/logging/event_line.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// One event a line, whatever the values hold: JSON escapes (bytes that are not UTF-8 as
// \u00XX), text quotes what has spaces, quotes, '=' or control bytes.

using smtp::logging::event_line;
using smtp::logging::format;

namespace {
// The line after its time field.
std::string after_time(const std::string& line, format how) {
    if (how == format::json) return "{" + line.substr(line.find(",\"event\"") + 1);
    return line.substr(line.find(' ') + 1);
}
} // namespace

BOOST_AUTO_TEST_SUITE(logging_event_line)

BOOST_AUTO_TEST_CASE(json_escapes_every_value) {
    auto line = event_line(format::json, "mail")
                    .add("session", "ABC")
                    .add("arg", "FROM:<a\"b\\c@x>\r\n\x01\xff")
                    .add("utf8", "caf\xc3\xa9")
                    .add("size", std::uint64_t(42))
                    .add_bool("ok", true);
    std::string text = std::move(line).finish();
    BOOST_TEST(text.starts_with("{\"time\":\""));
    BOOST_TEST(text.ends_with("}\n"));
    BOOST_TEST(text.find('\n') == text.size() - 1);
    BOOST_TEST(after_time(text, format::json) ==
               "{\"event\":\"mail\",\"session\":\"ABC\",\"arg\":\"FROM:<a\\\"b\\\\c@x>\\r\\n"
               "\\u0001\\u00ff\",\"utf8\":\"caf\xc3\xa9\",\"size\":42,\"ok\":true}\n");
}

BOOST_AUTO_TEST_CASE(text_quotes_only_what_needs_it) {
    auto line = event_line(format::text, "reply")
                    .add("session", "ABC")
                    .add("code", std::uint64_t(550))
                    .add("text", "5.7.1 No \"spam\"\x07")
                    .add("empty", "");
    std::string text = std::move(line).finish();
    BOOST_TEST(text.size() > 24u);
    BOOST_TEST(text[23] == 'Z'); // 2026-12-03T10:00:00.123Z
    BOOST_TEST(after_time(text, format::text) ==
               "event=reply session=ABC code=550 text=\"5.7.1 No \\\"spam\\\"\\x07\" empty=\"\"\n");
}

BOOST_AUTO_TEST_SUITE_END()
