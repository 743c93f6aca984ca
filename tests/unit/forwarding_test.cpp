#include <smtp/detail/forwarding.hpp>

#include <smtp/cli/arguments.hpp>
#include <smtp/client/forwarding.hpp>
#include <smtp/handlers/debugging.hpp>

#include <smtp/detail/data_reader.hpp>
#include <smtp/detail/offline_session.hpp>

#include <boost/test/unit_test.hpp>

#include <string>

// XCLIENT and XFORWARD (Postfix's replies, applied to the session and the envelope), LIMITS in
// EHLO, and the DATA reader's bare-newline modes, without sockets.

namespace {

using smtp::detail::forwarding_command;
using smtp::detail::parse_forwarding;

smtp::options forwarding_options() {
    smtp::options o;
    o.hostname = "mx.test";
    return o;
}

// What the server wrote after its greeting for `input`, from a client trusted for both verbs
// (or not).
std::string run(const std::string& input, bool trusted = true,
                const smtp::options& opts = forwarding_options()) {
    smtp::detail::offline_session<> s(opts);
    s.trust_forwarding(trusted, trusted);
    s.take_output();
    s.feed(input);
    return s.output();
}

// The DATA reader over `body` (which must end with CRLF.CRLF) in one piece or cut everywhere.
struct read_result {
    std::string content;
    smtp::detail::data_reader::outcome outcome;
    std::size_t consumed;
};
read_result read_body(std::string_view body, smtp::detail::data_reader::limits::bare_newline mode,
                      std::size_t cut = 0) {
    smtp::detail::data_reader r;
    r.start({0, 1001, mode});
    std::string out;
    std::size_t consumed = 0;
    if (cut != 0 && cut < body.size()) consumed = r.feed(body.substr(0, cut), out);
    if (!r.done()) consumed += r.feed(body.substr(consumed), out);
    return {out, r.result(), consumed};
}

} // namespace

BOOST_AUTO_TEST_SUITE(forwarding)

BOOST_AUTO_TEST_CASE(parse_xclient_every_attribute) {
    smtp::forwarded_client c;
    auto r = parse_forwarding(forwarding_command::xclient,
                              "NAME=mail.example ADDR=IPv6:2001:DB8::7 PORT=4321 PROTO=esmtp "
                              "HELO=helo+2Eexample LOGIN=anne DESTADDR=192.0.2.1 DESTPORT=587",
                              c);
    BOOST_TEST(r.empty());
    BOOST_TEST(c.name == "mail.example");
    BOOST_TEST(c.addr == "2001:db8::7");
    BOOST_TEST(c.port == "4321");
    BOOST_TEST(c.proto == "ESMTP");
    BOOST_TEST(c.helo == "helo.example");
    BOOST_TEST(c.login == "anne");
    BOOST_TEST(c.dest_addr == "192.0.2.1");
    BOOST_TEST(c.dest_port == "587");
}

BOOST_AUTO_TEST_CASE(parse_unavailable_values) {
    smtp::forwarded_client c;
    auto r = parse_forwarding(forwarding_command::xclient,
                              "NAME=[TEMPUNAVAIL] ADDR=[UNAVAILABLE] PORT=[UNAVAILABLE] "
                              "HELO=[UNAVAILABLE] LOGIN=[UNAVAILABLE]",
                              c);
    BOOST_TEST(r.empty());
    BOOST_TEST(c.name == "unknown");
    BOOST_TEST(c.addr == "unknown");
    BOOST_TEST(c.port == "unknown");
    BOOST_TEST(c.helo.empty());
    BOOST_TEST(c.login.empty());
    smtp::forwarded_client f;
    BOOST_TEST(parse_forwarding(forwarding_command::xforward,
                                "SOURCE=[UNAVAILABLE] IDENT=[UNAVAILABLE] PROTO=[UNAVAILABLE]", f)
                   .empty());
    BOOST_TEST(f.source == "LOCAL");
    BOOST_TEST(f.ident == "unknown");
    BOOST_TEST(f.proto == "unknown");
}

BOOST_AUTO_TEST_CASE(parse_errors_are_postfix_s) {
    struct row {
        forwarding_command which;
        std::string arg;
        std::string text;
    };
    const row rows[] = {
        {forwarding_command::xclient, "", "5.5.4 Syntax: XCLIENT attribute=value..."},
        {forwarding_command::xforward, "  ", "5.5.4 Syntax: XFORWARD attribute=value..."},
        {forwarding_command::xclient, "NAME", "5.5.4 Error: attribute=value expected"},
        {forwarding_command::xclient, "NAME=", "5.5.4 Error: attribute=value expected"},
        {forwarding_command::xclient, "HELO=" + std::string(256, 'a'),
         "5.5.4 Error: attribute value too long"},
        {forwarding_command::xclient, "NAME=-bad.example", "5.5.4 Bad NAME syntax: -bad.example"},
        {forwarding_command::xclient, "NAME=192.0.2.1", "5.5.4 Bad NAME syntax: 192.0.2.1"},
        {forwarding_command::xclient, "ADDR=999.0.0.1", "5.5.4 Bad ADDR syntax: 999.0.0.1"},
        {forwarding_command::xclient, "ADDR=[TEMPUNAVAIL]", "5.5.4 Bad ADDR syntax: [TEMPUNAVAIL]"},
        {forwarding_command::xclient, "PORT=123456", "5.5.4 Bad PORT syntax: 123456"},
        {forwarding_command::xclient, "PORT=65536", "5.5.4 Bad PORT syntax: 65536"},
        {forwarding_command::xclient, "DESTPORT=99999", "5.5.4 Bad DESTPORT syntax: 99999"},
        {forwarding_command::xclient, "PORT=12a", "5.5.4 Bad PORT syntax: 12a"},
        {forwarding_command::xclient, "PROTO=LMTP", "5.5.4 Bad PROTO syntax: LMTP"},
        {forwarding_command::xclient, "DESTPORT=x", "5.5.4 Bad DESTPORT syntax: x"},
        {forwarding_command::xclient, "DESTADDR=x", "5.5.4 Bad DESTADDR syntax: x"},
        {forwarding_command::xclient, "IDENT=1", "5.5.4 Bad XCLIENT attribute name: IDENT"},
        {forwarding_command::xforward, "LOGIN=a", "5.5.4 Bad XFORWARD attribute name: LOGIN"},
        {forwarding_command::xforward, "SOURCE=MARS", "5.5.4 Bad SOURCE syntax: MARS"},
        {forwarding_command::xforward, "PROTO=" + std::string(65, 'P'),
         "5.5.4 Bad PROTO syntax: " + std::string(65, 'P')},
        // a decoded CR LF cannot forge a reply line: control octets become '?'
        {forwarding_command::xclient, "NAME=a+0D+0A250+20ok", "5.5.4 Bad NAME syntax: a??250 ok"},
    };
    for (const auto& r : rows) {
        smtp::forwarded_client c;
        auto error = parse_forwarding(r.which, r.arg, c);
        BOOST_TEST_CONTEXT(r.arg) {
            BOOST_TEST(error.code == 501);
            BOOST_TEST(error.text == r.text);
        }
    }
}

BOOST_AUTO_TEST_CASE(ehlo_offers_them_to_trusted_clients_only) {
    std::string trusted = run("EHLO c.test\r\n");
    BOOST_TEST(trusted.find("250-XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT\r\n") !=
               std::string::npos);
    BOOST_TEST(trusted.find("250-XFORWARD NAME ADDR PROTO HELO IDENT SOURCE PORT\r\n") !=
               std::string::npos);
    std::string untrusted =
        run("EHLO c.test\r\nXCLIENT ADDR=192.0.2.1\r\nXFORWARD NAME=a.b\r\n", false);
    BOOST_TEST(untrusted == "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n"
                            "500 Error: command \"XCLIENT\" not recognized\r\n"
                            "500 Error: command \"XFORWARD\" not recognized\r\n");
}

BOOST_AUTO_TEST_CASE(xclient_overrides_the_client_and_greets_again) {
    smtp::detail::offline_session<> s(forwarding_options());
    s.trust_forwarding(true, false);
    s.take_output();
    s.feed("EHLO proxy.test\r\nXCLIENT NAME=mail.example ADDR=192.0.2.7 PORT=4321 LOGIN=anne\r\n");
    BOOST_TEST(
        s.take_output().ends_with("250 HELP\r\n220 mx.test " + smtp::options{}.ident + "\r\n"));
    const auto& session = s.current_session();
    BOOST_TEST(session.peer.host == "192.0.2.7");
    BOOST_TEST((session.peer.family == smtp::peer_address::family_type::ipv4));
    BOOST_TEST(session.peer.port == 4321);
    BOOST_TEST(session.host_name.empty()); // HELO is reset: the client greets again
    BOOST_TEST(session.authenticated);
    BOOST_TEST(session.login_data == "anne");
    BOOST_TEST(session.xclient->name == "mail.example");
    BOOST_TEST(session.xclient->proto == "SMTP");
    s.feed("MAIL FROM:<a@b.c>\r\n");
    BOOST_TEST(s.take_output() == "503 Error: send HELO first\r\n");
    // HELO named: the session is greeted; a second XCLIENT keeps what it does not name
    s.feed("XCLIENT HELO=mail.example PROTO=ESMTP\r\nMAIL FROM:<a@b.c>\r\n");
    BOOST_TEST(s.take_output().ends_with("\r\n250 OK\r\n"));
    BOOST_TEST(s.current_session().host_name == "mail.example");
    BOOST_TEST(s.current_session().extended_smtp);
    BOOST_TEST(s.current_session().peer.host == "192.0.2.7");
    BOOST_TEST(!s.current_session().authenticated); // LOGIN not named: logged out
    s.feed("XCLIENT ADDR=192.0.2.8\r\n");
    BOOST_TEST(s.take_output() == "503 5.5.1 Error: MAIL transaction in progress\r\n");
    s.feed("RSET\r\nXCLIENT ADDR=nonsense\r\n");
    BOOST_TEST(s.take_output() == "250 OK\r\n501 5.5.4 Bad ADDR syntax: nonsense\r\n");
    BOOST_TEST(s.current_session().peer.host == "192.0.2.7"); // a refused XCLIENT changes nothing
}

BOOST_AUTO_TEST_CASE(xforward_is_kept_for_one_transaction) {
    smtp::detail::offline_session<> s(forwarding_options());
    s.trust_forwarding(false, true);
    s.feed("EHLO filter.test\r\nXFORWARD NAME=mail.example ADDR=192.0.2.7\r\n"
           "XFORWARD IDENT=4Q2yLb SOURCE=remote\r\nMAIL FROM:<a@b.c>\r\n");
    BOOST_TEST(s.output().ends_with("250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n250 OK\r\n"));
    const auto& xf = s.current_envelope().xforward;
    BOOST_TEST_REQUIRE(xf != nullptr);
    BOOST_TEST(xf->name == "mail.example");
    BOOST_TEST(xf->addr == "192.0.2.7");
    BOOST_TEST(xf->ident == "4Q2yLb");
    BOOST_TEST(xf->source == "REMOTE");
    s.take_output();
    s.feed("XFORWARD NAME=x.example\r\nRCPT TO:<d@e.f>\r\nDATA\r\nhi\r\n.\r\n");
    BOOST_TEST(s.take_output() == "503 5.5.1 Error: MAIL transaction in progress\r\n250 OK\r\n"
                                  "354 End data with <CR><LF>.<CR><LF>\r\n250 OK\r\n");
    BOOST_TEST(s.current_envelope().xforward == nullptr);
}

BOOST_AUTO_TEST_CASE(limits_keyword_from_the_limits) {
    smtp::options o = forwarding_options();
    o.limits_extension = true;
    o.max_messages_per_connection = 5;
    BOOST_TEST(run("EHLO c.test\r\n", false, o).find("250-LIMITS RCPTMAX=1000 MAILMAX=5\r\n") !=
               std::string::npos);
    o.max_messages_per_connection = 0;
    o.max_recipients = 0;
    BOOST_TEST(run("EHLO c.test\r\n", false, o).find("LIMITS") == std::string::npos);
    o.limits_extension = false;
    o.max_recipients = 50;
    BOOST_TEST(run("EHLO c.test\r\n", false, o).find("LIMITS") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bare_newlines_refused_after_the_whole_body) {
    using mode = smtp::detail::data_reader::limits::bare_newline;
    // The smuggling patterns: none ends the body, each is refused, the session goes on.
    for (std::string pattern : {"\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\n", "\r.\r"}) {
        std::string body = "Subject: x\r\n\r\nA" + pattern + "MAIL FROM:<evil@x>\r\n.\r\nNOOP\r\n";
        for (std::size_t cut = 0; cut < body.size(); ++cut) {
            BOOST_TEST_CONTEXT("pattern " << pattern.size() << " cut " << cut) {
                auto keep = read_body(body, mode::keep, cut);
                BOOST_TEST((keep.outcome == smtp::detail::data_reader::outcome::ok));
                auto refused = read_body(body, mode::reject, cut);
                BOOST_TEST((refused.outcome == smtp::detail::data_reader::outcome::bare_newline));
                BOOST_TEST(refused.content.empty());
                BOOST_TEST(refused.consumed == body.size() - 6); // "NOOP\r\n" stays
                auto normal = read_body(body, mode::normalize, cut);
                BOOST_TEST((normal.outcome == smtp::detail::data_reader::outcome::ok));
                BOOST_TEST(normal.consumed == body.size() - 6);
                // every line end is CRLF now
                std::string_view c = normal.content;
                for (std::size_t i = 0; i < c.size(); ++i) {
                    if (c[i] == '\n') BOOST_TEST((i > 0 && c[i - 1] == '\r'));
                    if (c[i] == '\r') BOOST_TEST((i + 1 < c.size() && c[i + 1] == '\n'));
                }
            }
        }
    }
    auto normal = read_body("a\nb\rc\r\r\nd\r\n.\r\n", mode::normalize);
    BOOST_TEST(normal.content == "a\r\nb\r\nc\r\n\r\nd\r\n");
}

BOOST_AUTO_TEST_CASE(bare_newline_reply_and_session_goes_on) {
    smtp::options o = forwarding_options();
    o.bare_newline = smtp::bare_newline_policy::reject;
    std::string out = run("HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\n"
                          "x\n.\nMAIL FROM:<evil@x>\r\n.\r\nNOOP\r\n",
                          false, o);
    BOOST_TEST(out == "250 mx.test\r\n250 OK\r\n250 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
                      "550 5.6.11 mx.test Error: bare <LF> received\r\n250 OK\r\n");
    out = run("HELO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nx\r.\r\n.\r\n", false, o);
    BOOST_TEST(out.ends_with("550 5.6.11 mx.test Error: bare <CR> received\r\n"));
}

BOOST_AUTO_TEST_CASE(client_commands_carry_what_the_server_offers) {
    smtp::forwarded_client who{.name = "[UNAVAILABLE]",
                               .addr = "192.0.2.7",
                               .helo = "a b=c",
                               .login = "anne",
                               .ident = "Q1"};
    auto lines = smtp::detail::forwarding_commands("XFORWARD", "NAME ADDR PROTO HELO IDENT", who);
    BOOST_TEST_REQUIRE(lines.size() == 1u);
    BOOST_TEST(lines[0] == "XFORWARD NAME=[UNAVAILABLE] ADDR=192.0.2.7 HELO=a+20b+3Dc IDENT=Q1");
    who.helo = std::string(250, 'h');
    who.name = std::string(250, 'n');
    who.addr = std::string(250, 'a');
    lines = smtp::detail::forwarding_commands("XCLIENT", "NAME ADDR HELO LOGIN", who);
    BOOST_TEST_REQUIRE(lines.size() == 3u); // no line over 512 octets: one long value each
    for (const auto& l : lines)
        BOOST_TEST(l.size() <= 512u);
    BOOST_TEST(lines[2].ends_with(" LOGIN=anne"));
    BOOST_TEST(smtp::detail::forwarding_commands("XCLIENT", "PORT", who).empty());
}

BOOST_AUTO_TEST_CASE(original_client_of_a_session) {
    smtp::session s;
    s.peer = {smtp::peer_address::family_type::ipv4, "192.0.2.7", 4000};
    s.host_name = "client.example";
    s.extended_smtp = true;
    smtp::envelope<> env;
    env.message_id = "Q1";
    auto c = smtp::original_client(s, env);
    BOOST_TEST(c.name == "[UNAVAILABLE]");
    BOOST_TEST(c.addr == "192.0.2.7");
    BOOST_TEST(c.port == "4000");
    BOOST_TEST(c.proto == "ESMTP");
    BOOST_TEST(c.helo == "client.example");
    BOOST_TEST(c.ident == "Q1");
    env.xforward = std::make_shared<const smtp::forwarded_client>(
        smtp::forwarded_client{.name = "origin.example"});
    BOOST_TEST(smtp::original_client(s, env).name == "origin.example"); // passed on as received
}

BOOST_AUTO_TEST_CASE(debugging_prints_the_forwarded_client) {
    smtp::detail::offline_session<> s(forwarding_options());
    s.trust_forwarding(true, true);
    s.feed("XCLIENT NAME=mail.example ADDR=192.0.2.7 PORT=4321 HELO=mail.example PROTO=ESMTP\r\n"
           "XFORWARD IDENT=Q1 SOURCE=REMOTE\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\n");
    smtp::envelope<> env = s.current_envelope();
    env.original_content = "Subject: x\r\n\r\nhi\r\n";
    std::string printed = smtp::handlers::debugging::format(s.current_session(), env);
    BOOST_TEST(printed.find("xclient: NAME='mail.example' ADDR='192.0.2.7' PORT='4321' "
                            "PROTO='ESMTP' HELO='mail.example'\n") != std::string::npos,
               printed);
    BOOST_TEST(printed.find("xforward: IDENT='Q1' SOURCE='REMOTE'\n") != std::string::npos,
               printed);
    BOOST_TEST(printed.find("X-Peer: ('192.0.2.7', 4321)\n") != std::string::npos, printed);
}

BOOST_AUTO_TEST_CASE(smtpd_flags_set_the_options) {
    std::vector<std::string> argv{"--xclient",  "10.0.0.0/8", "--xclient",    "::1",
                                  "--xforward", "192.0.2.1",  "--limits-ext", "--bare-lf",
                                  "normalize",  "--received"};
    auto opts = smtp::cli::make_options(smtp::cli::parse(argv));
    BOOST_TEST((opts.xclient_trusted == std::vector<std::string>{"10.0.0.0/8", "::1"}));
    BOOST_TEST((opts.xforward_trusted == std::vector<std::string>{"192.0.2.1"}));
    BOOST_TEST(opts.limits_extension);
    BOOST_TEST((opts.bare_newline == smtp::bare_newline_policy::normalize));
    BOOST_TEST(opts.received_header);
    auto defaults = smtp::cli::make_options(smtp::cli::parse(std::vector<std::string>{}));
    BOOST_TEST(defaults.xclient_trusted.empty());
    BOOST_TEST(!defaults.limits_extension);
    BOOST_TEST((defaults.bare_newline == smtp::bare_newline_policy::accept));
    BOOST_TEST(!defaults.received_header);
    std::vector<std::string> bad{"--xforward", "example.com"};
    BOOST_CHECK_THROW(smtp::cli::parse(bad), smtp::usage_error);
}

BOOST_AUTO_TEST_SUITE_END()
