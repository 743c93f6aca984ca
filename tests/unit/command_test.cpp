#include <smtp/detail/command.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

using smtp::detail::command;
using smtp::detail::command_parser;
using smtp::detail::verb;

BOOST_AUTO_TEST_SUITE(command_suite)

BOOST_AUTO_TEST_CASE(parse_table) {
    struct row {
        std::string line;
        bool ascii_only;
        command_parser::status status;
        verb id;
        std::string name;
        std::string arg;
        std::size_t length;
    };
    using st = command_parser::status;
    const row rows[] = {
        {"NOOP\r\n", true, st::ok, verb::noop, "NOOP", "", 4},
        {"noop\n", true, st::ok, verb::noop, "NOOP", "", 4},
        {"MAIL FROM:<a@b>  \r\n", true, st::ok, verb::mail, "MAIL", "FROM:<a@b>", 17},
        {"helo   x y  \r\r\n", true, st::ok, verb::helo, "HELO", "x y", 12},
        {"StartTLS\r\n", true, st::ok, verb::starttls, "STARTTLS", "", 8},
        {"XFOO bar\r\n", true, st::ok, verb::unknown, "XFOO", "bar", 8},
        {"NOOP\tX\r\n", true, st::ok, verb::unknown, "NOOP\tX", "", 6},
        {" NOOP\r\n", true, st::ok, verb::unknown, "", "NOOP", 5},
        {"\r\n", true, st::empty, verb::unknown, "", "", 0},
        {"\xc3\xa9T\r\n", true, st::bad_verb, verb::unknown, "", "", 3},
        {"NOOP \xc3\xa9\r\n", true, st::non_ascii_argument, verb::noop, "NOOP", "\xc3\xa9", 7},
        {"NOOP \xc3\xa9\r\n", false, st::ok, verb::noop, "NOOP", "\xc3\xa9", 7},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.line) {
            command_parser parser;
            command cmd;
            auto status = parser.parse(r.line, r.ascii_only, cmd);
            BOOST_TEST((status == r.status));
            if (status == st::ok || status == st::non_ascii_argument) {
                BOOST_TEST((cmd.id == r.id));
                BOOST_TEST(cmd.name == r.name);
                BOOST_TEST(cmd.arg == r.arg);
            }
            BOOST_TEST(cmd.length == r.length);
        }
    }
}

BOOST_AUTO_TEST_CASE(verb_from_name_every_verb) {
    for (std::size_t i = 0; i + 1 < smtp::detail::verb_count; ++i) {
        auto v = verb(i);
        BOOST_TEST((smtp::detail::verb_from_name(smtp::detail::name_of(v)) == v));
    }
    BOOST_TEST((smtp::detail::verb_from_name("NOOPS") == verb::unknown));
    BOOST_TEST((smtp::detail::verb_from_name("") == verb::unknown));
}

BOOST_AUTO_TEST_SUITE_END()
