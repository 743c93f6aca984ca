#include <smtp/cli.hpp>

#include "integration/fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The pure parts of smtp::cli: argument parsing, -l, and the -d log format. Running the
// program is tested in tests/integration/smtpd_cli_test.cpp.

namespace {

// Only the fields that differ from the defaults, in declaration order: short table rows.
std::string describe(const smtp::cli::arguments& a) {
    std::string out;
    auto add = [&](std::string part) { out.append(out.empty() ? "" : " ").append(part); };
    if (a.help) add("help");
    if (a.version) add("version");
    if (!a.setuid) add("nosetuid");
    if (!a.handler_class.empty()) add("class=" + a.handler_class);
    for (const auto& arg : a.handler_args)
        add("arg=" + arg);
    if (a.size != smtp::cli::arguments{}.size) add("size=" + std::to_string(a.size));
    if (a.smtputf8) add("smtputf8");
    if (a.debug != 0) add("debug=" + std::to_string(a.debug));
    if (a.listen) add("listen=" + *a.listen);
    if (!a.hostname.empty()) add("hostname=" + a.hostname);
    if (a.timeout) add("timeout=" + std::to_string(a.timeout->count()) + "ms");
    if (a.command_call_limit != 0) add("limit=" + std::to_string(a.command_call_limit));
    return out;
}

const std::string peer = "('127.0.0.1', 40000)";

struct step {
    smtp::trace_event event;
    std::string bytes;
};

std::string log_of(int level, const std::vector<step>& steps) {
    smtp::cli::detail::conversation_log log(peer, level);
    std::string out;
    for (const auto& s : steps)
        log.on_event(s.event, s.bytes, out);
    return out;
}

std::string info(std::string_view text) {
    return "INFO:mail.log:" + peer + " " + std::string(text) + "\n";
}

std::string data_line(std::string_view repr) {
    return "DEBUG:mail.log:" + peer + " DATA >> " + std::string(repr) + "\n";
}

// A handler with hooks of its own (the recorder's trace, and NOOP), to see that the wrapper
// keeps them.
struct recording_handler : smtp_test::recorder {
    static constexpr const char* cli_name = "Recording";

    smtp::reply handle_NOOP(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view) {
        return {250, "recorded"};
    }
};

// A final class cannot be derived from: -d serves it untraced.
struct final_handler final {
    static constexpr const char* cli_name = "Final";
};

std::string read_all(std::FILE* file) {
    std::fflush(file);
    std::rewind(file);
    std::string text;
    char chunk[512];
    while (std::size_t n = std::fread(chunk, 1, sizeof chunk, file))
        text.append(chunk, n);
    return text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(parse_accepts_argparse_forms) {
    struct row {
        std::vector<std::string> args;
        std::string expected;
    };
    const row rows[] = {
        {{}, ""},
        {{"-n"}, "nosetuid"},
        {{"--nosetuid"}, "nosetuid"},
        {{"-nd"}, "nosetuid debug=1"},
        {{"-dd"}, "debug=2"},
        {{"-d", "--debug"}, "debug=2"},
        {{"-c", "Sink"}, "class=Sink"},
        {{"--class=Sink"}, "class=Sink"},
        {{"--cl", "Sink"}, "class=Sink"}, // an unambiguous prefix
        {{"-s100"}, "size=100"},
        {{"-ns", "100"}, "nosetuid size=100"},
        {{"--size=5"}, "size=5"},
        {{"-u"}, "smtputf8"},
        {{"-l", ":25"}, "listen=:25"},
        {{"-l:25"}, "listen=:25"},
        {{"-l"}, ""},               // alone: the default address
        {{"-l", "-n"}, "nosetuid"}, // an option is not -l's value
        {{"-l", "x:1", "-l"}, ""},  // the last one wins
        {{"--hostname", "mx.test"}, "hostname=mx.test"},
        {{"--timeout", "1.5"}, "timeout=1500ms"},
        {{"--timeout", "0.0001"}, "timeout=1ms"}, // never rounded down to no timeout
        {{"--command-call-limit", "3"}, "limit=3"},
        {{"--command-call-limit", "0"}, ""},
        {{"stderr"}, "arg=stderr"},
        {{"-c", "Debugging", "--", "-x"}, "class=Debugging arg=-x"},
        {{"-5"}, "arg=-5"}, // argparse: a negative number is not an option
        {{"-h", "--bogus"}, "help"},
        {{"-v", "-s", "x"}, "version"},
        {{"-nh", "-x"}, "help nosetuid"},
    };
    for (const auto& r : rows) {
        std::string context;
        for (const auto& a : r.args)
            context.append(a).push_back(' ');
        BOOST_TEST_CONTEXT(context) {
            BOOST_TEST(describe(smtp::cli::parse(r.args)) == r.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_rejects_with_argparse_messages) {
    struct row {
        std::vector<std::string> args;
        std::string message;
    };
    const row rows[] = {
        {{"--bogus"}, "unrecognized arguments: --bogus"},
        {{"-x"}, "unrecognized arguments: -x"},
        {{"-nx"}, "unrecognized arguments: -nx"},
        {{"-s"}, "argument -s/--size: expected one argument"},
        {{"-s", "-n"}, "argument -s/--size: expected one argument"},
        {{"-s", "lots"}, "argument -s/--size: invalid non-negative int value: 'lots'"},
        {{"-s", "-1"}, "argument -s/--size: invalid non-negative int value: '-1'"},
        {{"-c"}, "argument -c/--class: expected one argument"},
        {{"--timeout", "0"}, "argument --timeout: invalid positive number: '0'"},
        {{"--threads", "x"}, "argument --threads: invalid non-negative int value: 'x'"},
        {{"--shutdown-timeout", "0"}, "argument --shutdown-timeout: invalid positive number: '0'"},
        {{"--timeout", "-1"}, "argument --timeout: invalid positive number: '-1'"},
        {{"--timeout", "nan"}, "argument --timeout: invalid positive number: 'nan'"},
        {{"--timeout", "1e10"}, "argument --timeout: invalid positive number: '1e10'"},
        {{"--command-call-limit", "many"},
         "argument --command-call-limit: invalid non-negative int value: 'many'"},
        {{"--hostname", ""}, "argument --hostname: expected a non-empty name"},
        {{"--h"}, "ambiguous option: --h could match --help, --hostname"},
        {{"--nosetuid=yes"}, "argument -n/--nosetuid: ignored explicit argument 'yes'"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.message) {
            std::optional<std::string> thrown;
            try {
                smtp::cli::parse(r.args);
            } catch (const smtp::usage_error& e) {
                thrown = e.what();
            }
            BOOST_TEST(thrown.value_or("(nothing thrown)") == r.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_listen_splits_host_and_port) {
    struct row {
        std::string spec;
        std::string host;
        std::uint16_t port;
    };
    const row rows[] = {
        {"", "", 8025},
        {"foo", "foo", 8025},
        {"foo:", "foo", 8025},
        {"foo:25", "foo", 25},
        {":25", "localhost", 25},
        {"0.0.0.0:0", "0.0.0.0", 0},
        {":65535", "localhost", 65535},
        {"::0:25", "::0", 25}, // aiosmtpd's split at the last colon
        {"[::1]:25", "::1", 25},
        {"[::1]", "::1", 8025},
        {"[::1]:", "::1", 8025},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT("'" << r.spec << "'") {
            auto where = smtp::cli::parse_listen(r.spec);
            BOOST_TEST(where.host == r.host);
            BOOST_TEST(where.port == r.port);
        }
    }
}

BOOST_AUTO_TEST_CASE(parse_listen_rejects_bad_ports) {
    struct row {
        std::string spec;
        std::string message;
    };
    const row rows[] = {
        {"foo:x", "Invalid port number: x"},   {":99999", "Invalid port number: 99999"},
        {":-1", "Invalid port number: -1"},    {":25x", "Invalid port number: 25x"},
        {"[::1]:x", "Invalid port number: x"}, {"[::1]x", "Invalid listen address: [::1]x"},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.spec) {
            std::optional<std::string> thrown;
            try {
                smtp::cli::parse_listen(r.spec);
            } catch (const smtp::usage_error& e) {
                thrown = e.what();
            }
            BOOST_TEST(thrown.value_or("(nothing thrown)") == r.message);
        }
    }
}

BOOST_AUTO_TEST_CASE(make_options_maps_arguments) {
    auto opts = smtp::cli::make_options(
        smtp::cli::parse(std::vector<std::string>{"-s", "100", "-u", "--hostname", "mx.test",
                                                  "--timeout", "2", "--command-call-limit", "7"}));
    BOOST_TEST(opts.data_size_limit == 100u);
    BOOST_TEST(opts.enable_smtputf8);
    BOOST_TEST(opts.hostname == "mx.test");
    BOOST_TEST(opts.timeout.count() == 2000);
    BOOST_REQUIRE(opts.command_call_limit.has_value());
    BOOST_TEST(opts.command_call_limit->default_limit == 7u);

    auto threaded =
        smtp::cli::parse(std::vector<std::string>{"--threads", "3", "--shutdown-timeout", "2.5"});
    BOOST_TEST(smtp::cli::make_options(threaded).threads == 3u);
    BOOST_TEST(threaded.shutdown_timeout.count() == 2500);

    auto defaults = smtp::cli::make_options({});
    BOOST_TEST(defaults.data_size_limit == 33554432u); // aiosmtpd's CLI has no limit
    BOOST_TEST(defaults.max_recipients == 1000u);
    BOOST_TEST(defaults.auth_failure_limit == 3u);
    BOOST_TEST(defaults.auth_failure_delay.count() == 1000);
    BOOST_TEST(smtp::cli::make_options(smtp::cli::parse(std::vector<std::string>{"-s", "0"}))
                   .data_size_limit == 0u);
    BOOST_TEST(defaults.threads == 0u); // smtpd: one thread per core
    BOOST_TEST(smtp::cli::parse(std::vector<std::string>{}).shutdown_timeout.count() == 30000);
    BOOST_TEST(!defaults.command_call_limit.has_value());
}

BOOST_AUTO_TEST_CASE(python_bytes_repr_quotes_like_python) {
    struct row {
        std::string bytes;
        std::string repr;
    };
    const row rows[] = {
        {"EHLO x", "b'EHLO x'"},
        {"", "b''"},
        {"it's", "b\"it's\""},
        {"a'b\"c", "b'a\\'b\"c'"},
        {"\t\r\n\\", "b'\\t\\r\\n\\\\'"},
        {std::string("\x00\x1f\x7f\xc3\xa9", 5), "b'\\x00\\x1f\\x7f\\xc3\\xa9'"},
    };
    for (const auto& r : rows)
        BOOST_TEST(smtp::cli::detail::python_bytes_repr(r.bytes) == r.repr);
}

// The server masks an AUTH command's secret before any trace sees it
// (connection::trace_command); this is where the secret starts.
BOOST_AUTO_TEST_CASE(auth_secret_start_finds_the_initial_response) {
    struct row {
        std::string line;
        std::string shown; // the line up to the secret, "" when there is none
    };
    const row rows[] = {
        {"AUTH PLAIN c2VjcmV0\r\n", "AUTH PLAIN "},
        {"auth  plain   c2VjcmV0 x\r\n", "auth  plain   "},
        {"AUTH PLAIN\tc2VjcmV0\r\n", "AUTH PLAIN\t"},
        {"AUTH LOGIN\r\n", ""},
        {"AUTH LOGIN \r\n", ""},
        {"AUTH \r\n", ""},
        {"AUTHX PLAIN c2VjcmV0\r\n", ""},
        {"NOOP c2VjcmV0\r\n", ""},
    };
    for (const auto& r : rows) {
        std::size_t at = smtp::detail::auth_secret_start(r.line);
        BOOST_TEST((at == std::string::npos ? "" : r.line.substr(0, at)) == r.shown, r.line);
    }
}

BOOST_AUTO_TEST_CASE(conversation_log_formats_events) {
    using enum smtp::trace_event;
    const std::string long_line(9000, 'x');
    struct row {
        const char* scenario;
        int level;
        std::vector<step> steps;
        std::string expected;
    };
    const row rows[] = {
        {"connect and close",
         1,
         {{connected, ""}, {closed, ""}},
         "INFO:mail.log:Peer: " + peer + "\n" + info("handling connection") +
             info("connection lost")},
        {"a command without its line ending",
         1,
         {{command, "EHLO client.test\r\n"}, {command, "NOOP\n"}},
         info(">> b'EHLO client.test'") + info(">> b'NOOP'")},
        {"a multi-line reply, line by line",
         1,
         {{reply, "250-mx.test\r\n250-SIZE 100\r\n250 HELP\r\n"}},
         info("<< b'250-mx.test'") + info("<< b'250-SIZE 100'") + info("<< b'250 HELP'")},
        {"replies to pipelined commands in one event",
         1,
         {{reply, "250 OK\r\n250 OK\r\n"}},
         info("<< b'250 OK'") + info("<< b'250 OK'")},
        {"masked AUTH lines as the server passes them",
         1,
         {{command, "AUTH PLAIN ********\r\n"},
          {reply, "235 2.7.0 Authentication successful\r\n"},
          {command, "********\r\n"}},
         info(">> b'AUTH PLAIN ********'") + info("<< b'235 2.7.0 Authentication successful'") +
             info(">> b'********'")},
        {"-d leaves the message out",
         1,
         {{data, "Subject: x\r\n\r\nbody\r\n.\r\n"}, {reply, "250 OK\r\n"}},
         info("<< b'250 OK'")},
        {"-dd logs message lines whole across chunks, still dot-stuffed",
         2,
         {{data, "Subj"}, {data, "ect: x\r\n\r\n..dot\r\n."}, {data, "\r\n"}},
         data_line("b'Subject: x'") + data_line("b''") + data_line("b'..dot'") + data_line("b'.'")},
        {"-dd logs a very long message line in pieces",
         2,
         {{data, long_line + "\r\n.\r\n"}},
         data_line("b'" + long_line.substr(0, 8192) + "'") +
             data_line("b'" + long_line.substr(8192) + "'") + data_line("b'.'")},
    };
    for (const auto& r : rows) {
        BOOST_TEST_CONTEXT(r.scenario) {
            BOOST_TEST(log_of(r.level, r.steps) == r.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(traced_logs_each_connection_and_keeps_the_hooks) {
    using traced = smtp::cli::detail::traced<recording_handler>;
    static_assert(smtp::has_handle_NOOP<traced, std::string_view>);
    static_assert(smtp::has_trace<traced>);

    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::tmpfile(), &std::fclose);
    BOOST_REQUIRE(file);
    recording_handler inner;
    const recording_handler seen = inner; // copies share what they record
    traced handler(std::move(inner), 1, file.get());

    // Unconnected sockets: no peer (repr ''), and no network needed.
    boost::asio::io_context io;
    smtp::options opts;
    smtp::connection first(smtp::connection::socket_type(io), opts, "mx.test");
    smtp::connection second(smtp::connection::socket_type(io), opts, "mx.test");
    using enum smtp::trace_event;
    handler.trace(first, connected, "");
    handler.trace(second, connected, "");
    handler.trace(first, command, "AUTH LOGIN\r\n");
    handler.trace(second, command, "dXNlcg==\r\n");
    handler.trace(first, command, "********\r\n"); // the server masks SASL responses
    handler.trace(first, closed, "");
    handler.trace(second, closed, "");

    BOOST_TEST(read_all(file.get()) == "INFO:mail.log:Peer: ''\n"
                                       "INFO:mail.log:'' handling connection\n"
                                       "INFO:mail.log:Peer: ''\n"
                                       "INFO:mail.log:'' handling connection\n"
                                       "INFO:mail.log:'' >> b'AUTH LOGIN'\n"
                                       "INFO:mail.log:'' >> b'dXNlcg=='\n"
                                       "INFO:mail.log:'' >> b'********'\n"
                                       "INFO:mail.log:'' connection lost\n"
                                       "INFO:mail.log:'' connection lost\n");
    BOOST_TEST(seen.events().size() == 7u); // the handler's own trace hook still sees everything
    smtp::session s;
    smtp::envelope<> env;
    BOOST_TEST(handler.handle_NOOP(first, s, env, "").text == "recorded");
}

BOOST_AUTO_TEST_CASE(run_instantiates_for_a_final_handler) {
    // Compiling is the test: the -d branch must not try to derive from a final class. (One
    // handler: each more would instantiate five more server types, for nothing.)
    auto* run = &smtp::cli::run<final_handler>;
    BOOST_TEST(run != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
