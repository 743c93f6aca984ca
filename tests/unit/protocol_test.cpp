#include <smtp/detail/offline_session.hpp>

#include "wire_lines.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

// The session state machine without sockets: every base command and aiosmtpd's reply for each
// check, in aiosmtpd's order (AIOSMTPD.md §2), then the same transcripts fed in every split.

namespace {

using session_type = smtp::detail::offline_session<>;

smtp::options test_options() {
    smtp::options o;
    o.hostname = "mx.test";
    return o;
}

// Runs `input` through a fresh session and returns what the server wrote after its greeting.
std::string run(const std::string& input, const smtp::options& opts = test_options()) {
    session_type s(opts);
    s.take_output();
    s.feed(input);
    return s.output();
}

struct transcript {
    const char* name;
    std::string input;
    std::string expected;
};

using wire_lines::ehlo;
const std::string ehlo_reply = "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n";
using wire_lines::mail;
using wire_lines::ok;
using wire_lines::rcpt;
const std::string go_ahead = "354 End data with <CR><LF>.<CR><LF>\r\n";
const std::string mail_syntax_esmtp = "501 Syntax: MAIL FROM: <address> [SP <mail-parameters>]\r\n";
const std::string rcpt_syntax_esmtp = "501 Syntax: RCPT TO: <address> [SP <mail-parameters>]\r\n";

const std::vector<transcript> transcripts = {
    {"helo", "HELO client.test\r\n", "250 mx.test\r\n"},
    {"helo_no_argument", "HELO\r\n", "501 Syntax: HELO hostname\r\n"},
    {"helo_not_validated", "HELO   a b c  \r\n", "250 mx.test\r\n"},
    {"ehlo", ehlo, ehlo_reply},
    {"ehlo_no_argument", "EHLO \r\n", "501 Syntax: EHLO hostname\r\n"},
    {"lowercase_verb", "ehlo x\r\n", ehlo_reply},
    {"bare_lf_command", "NOOP\n", ok},
    {"cr_run_stripped", "NOOP\r\r\n", ok},
    {"empty_line", "\r\n", "500 Error: bad syntax\r\n"},
    {"non_ascii_verb",
     "\x80"
     "FAIL\r\n",
     "500 Error: bad syntax\r\n"},
    {"tab_is_not_a_separator", "NOOP\tX\r\n", "500 Error: command \"NOOP\tX\" not recognized\r\n"},
    {"leading_space", " NOOP\r\n", "500 Error: command \"\" not recognized\r\n"},
    {"non_ascii_argument", "NOOP caf\xc3\xa9\r\n", "500 Error: strict ASCII mode\r\n"},
    {"unknown", "FOO\r\n", "500 Error: command \"FOO\" not recognized\r\n"},
    {"bare_cr_refused", "FOO\rBAR\r\n", "500 Error: bad syntax\r\n"}, // RFC 5321 §2.3.8
    {"unknown_budget", "A\r\nB\r\nC\r\nD\r\nE\r\nNOOP\r\n",
     "500 Error: command \"A\" not recognized\r\n500 Error: command \"B\" not recognized\r\n"
     "500 Error: command \"C\" not recognized\r\n500 Error: command \"D\" not recognized\r\n"
     "502 5.5.1 Too many unrecognized commands, goodbye.\r\n"},
    {"lhlo_is_unknown_in_smtp", "LHLO x\r\n", "500 Error: command \"LHLO\" not recognized\r\n"},
    {"line_512_accepted", "NOOP " + std::string(507, 'x') + "\r\n", ok},
    {"line_513_rejected", "NOOP " + std::string(508, 'x') + "\r\n",
     "500 Command line too long\r\n"},
    {"line_3000_one_reply", "NOOP " + std::string(3000, 'x') + "\r\nNOOP\r\n",
     "500 Command line too long\r\n" + ok},
    {"noop_argument_ignored", "NOOP anything at all\r\n", ok},
    {"quit", "QUIT\r\nNOOP\r\n", "221 Bye\r\n"},
    {"quit_argument", "QUIT now\r\n", "501 Syntax: QUIT\r\n"},
    {"rset", "RSET\r\n", ok},
    {"rset_argument", "RSET x\r\n", "501 Syntax: RSET\r\n"},
    {"help", "HELP\r\n",
     "250 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY\r\n"},
    {"help_mail_helo_mode", "HELP mail\r\n", "250 Syntax: MAIL FROM: <address>\r\n"},
    {"help_mail_esmtp_mode", ehlo + "HELP MAIL\r\n",
     ehlo_reply + "250 Syntax: MAIL FROM: <address> [SP <mail-parameters>]\r\n"},
    {"help_rcpt_esmtp_mode", ehlo + "HELP RCPT\r\n",
     ehlo_reply + "250 Syntax: RCPT TO: <address> [SP <mail-parameters>]\r\n"},
    {"help_noop", "HELP NOOP\r\n", "250 Syntax: NOOP [ignored]\r\n"},
    {"help_unknown", "HELP FOO\r\n",
     "501 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY\r\n"},
    {"help_expn_not_listed", "HELP EXPN\r\n",
     "501 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY\r\n"},
    {"vrfy", "VRFY <a@example.com>\r\n",
     "252 Cannot VRFY user, but will accept message and attempt delivery\r\n"},
    {"vrfy_no_argument", "VRFY\r\n", "501 Syntax: VRFY <address>\r\n"},
    {"vrfy_malformed", "VRFY <@>\r\n", "502 Could not VRFY <@>\r\n"},
    {"expn", "EXPN list\r\n", "502 EXPN not implemented\r\n"},
    {"mail_before_helo", mail, "503 Error: send HELO first\r\n"},
    {"rcpt_before_helo", rcpt, "503 Error: send HELO first\r\n"},
    {"data_before_helo", "DATA\r\n", "503 Error: send HELO first\r\n"},
    {"mail_no_argument", ehlo + "MAIL\r\n", ehlo_reply + mail_syntax_esmtp},
    {"mail_helo_mode_syntax", "HELO x\r\nMAIL\r\n",
     "250 mx.test\r\n501 Syntax: MAIL FROM: <address>\r\n"},
    {"mail_to_keyword", ehlo + "MAIL TO:<a@b.c>\r\n", ehlo_reply + mail_syntax_esmtp},
    {"mail_space_before_colon", ehlo + "MAIL FROM :<a@b.c>\r\n", ehlo_reply + mail_syntax_esmtp},
    {"mail_empty_address", ehlo + "MAIL FROM:\r\n", ehlo_reply + mail_syntax_esmtp},
    {"mail_malformed", ehlo + "MAIL FROM:<@example.com>\r\n",
     ehlo_reply + "553 5.1.3 Error: malformed address\r\n"},
    {"mail_params_in_helo_mode", "HELO x\r\nMAIL FROM:<a@b.c> SIZE=10\r\n",
     "250 mx.test\r\n501 Syntax: MAIL FROM: <address>\r\n"},
    {"mail_null_sender", ehlo + "MAIL FROM:<>\r\n", ehlo_reply + ok},
    {"mail_nested", ehlo + mail + mail, ehlo_reply + ok + "503 Error: nested MAIL command\r\n"},
    {"mail_body_8bitmime", ehlo + "MAIL FROM:<a@b.c> BODY=8BITMIME\r\n", ehlo_reply + ok},
    {"mail_body_7bit_lowercase", ehlo + "MAIL FROM:<a@b.c> body=7bit\r\n", ehlo_reply + ok},
    {"mail_body_binarymime", ehlo + "MAIL FROM:<a@b.c> BODY=BINARYMIME\r\n",
     ehlo_reply + "501 Error: BODY can only be one of 7BIT, 8BITMIME\r\n"},
    {"mail_body_bare", ehlo + "MAIL FROM:<a@b.c> BODY\r\n",
     ehlo_reply + "501 Error: BODY can only be one of 7BIT, 8BITMIME\r\n"},
    {"mail_smtputf8_disabled", ehlo + "MAIL FROM:<a@b.c> SMTPUTF8\r\n",
     ehlo_reply + "501 Error: SMTPUTF8 disabled\r\n"},
    {"mail_size_ok", ehlo + "MAIL FROM:<a@b.c> SIZE=33554432\r\n", ehlo_reply + ok},
    {"mail_size_too_big", ehlo + "MAIL FROM:<a@b.c> SIZE=33554433\r\n",
     ehlo_reply + "552 Error: message size exceeds fixed maximum message size\r\n"},
    {"mail_size_huge", ehlo + "MAIL FROM:<a@b.c> SIZE=999999999999999999999999\r\n",
     ehlo_reply + "552 Error: message size exceeds fixed maximum message size\r\n"},
    {"mail_size_not_digits", ehlo + "MAIL FROM:<a@b.c> SIZE=abc\r\n",
     ehlo_reply + mail_syntax_esmtp},
    {"mail_size_bare", ehlo + "MAIL FROM:<a@b.c> SIZE\r\n", ehlo_reply + mail_syntax_esmtp},
    {"mail_empty_value", ehlo + "MAIL FROM:<a@b.c> SIZE=\r\n", ehlo_reply + mail_syntax_esmtp},
    {"mail_dash_keyword", ehlo + "MAIL FROM:<a@b.c> MT-PRIORITY=3\r\n",
     ehlo_reply + mail_syntax_esmtp},
    {"mail_unknown_param", ehlo + "MAIL FROM:<a@b.c> RET=HDRS\r\n",
     ehlo_reply + "555 MAIL FROM parameters not recognized or not implemented\r\n"},
    {"mail_display_name", ehlo + "MAIL FROM: Anne <anne@example.com>\r\n",
     ehlo_reply + mail_syntax_esmtp},
    {"mail_bare_address", ehlo + "MAIL FROM: anne@example.com\r\n", ehlo_reply + ok},
    {"rcpt_without_mail", ehlo + rcpt, ehlo_reply + "503 Error: need MAIL command\r\n"},
    {"rcpt_no_argument", ehlo + mail + "RCPT\r\n", ehlo_reply + ok + rcpt_syntax_esmtp},
    {"rcpt_from_keyword", ehlo + mail + "RCPT FROM:<a@b.c>\r\n",
     ehlo_reply + ok + rcpt_syntax_esmtp},
    {"rcpt_malformed", ehlo + mail + "RCPT TO:<johnathon@>\r\n",
     ehlo_reply + ok + "553 5.1.3 Error: malformed address\r\n"},
    {"rcpt_param", ehlo + mail + "RCPT TO:<b@c.d> NOTIFY=NEVER\r\n",
     ehlo_reply + ok + "555 RCPT TO parameters not recognized or not implemented\r\n"},
    {"rcpt_postmaster", ehlo + mail + "RCPT TO:<Postmaster>\r\n", ehlo_reply + ok + ok},
    {"data_without_rcpt", ehlo + mail + "DATA\r\n",
     ehlo_reply + ok + "503 Error: need RCPT command\r\n"},
    {"data_argument", ehlo + mail + rcpt + "DATA x\r\n",
     ehlo_reply + ok + ok + "501 Syntax: DATA\r\n"},
    {"data", ehlo + mail + rcpt + "DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n",
     ehlo_reply + ok + ok + go_ahead + ok},
    {"data_resets_transaction", ehlo + mail + rcpt + "DATA\r\n.\r\n" + rcpt,
     ehlo_reply + ok + ok + go_ahead + ok + "503 Error: need MAIL command\r\n"},
    {"data_smuggling_lf_dot_lf", ehlo + mail + rcpt + "DATA\r\nx\n.\nMAIL FROM:<evil>\r\n.\r\n",
     ehlo_reply + ok + ok + go_ahead + ok},
    {"data_line_too_long", ehlo + mail + rcpt + "DATA\r\n" + std::string(1000, 'x') + "\r\n.\r\n",
     ehlo_reply + ok + ok + go_ahead + "500 Line too long (see RFC5321 4.5.3.1.6)\r\n"},
    {"data_line_longest", ehlo + mail + rcpt + "DATA\r\n" + std::string(999, 'x') + "\r\n.\r\n",
     ehlo_reply + ok + ok + go_ahead + ok},
    {"data_after_error_resets",
     ehlo + mail + rcpt + "DATA\r\n" + std::string(1000, 'x') + "\r\n.\r\n" + mail,
     ehlo_reply + ok + ok + go_ahead + "500 Line too long (see RFC5321 4.5.3.1.6)\r\n" + ok},
    {"helo_resets_transaction", ehlo + mail + "HELO x\r\n" + rcpt,
     ehlo_reply + ok + "250 mx.test\r\n503 Error: need MAIL command\r\n"},
    {"rset_resets_transaction", ehlo + mail + "RSET\r\n" + rcpt,
     ehlo_reply + ok + ok + "503 Error: need MAIL command\r\n"},
    {"auth_before_ehlo", "AUTH PLAIN\r\n", "503 Error: send EHLO first\r\n"},
    {"auth_after_helo", "HELO x\r\nAUTH PLAIN\r\n",
     "250 mx.test\r\n500 Error: command 'AUTH' not recognized\r\n"},
    {"auth_requires_tls", ehlo + "AUTH PLAIN\r\n",
     ehlo_reply + "538 5.7.11 Encryption required for requested authentication mechanism\r\n"},
    {"starttls_unavailable", "STARTTLS\r\n", "454 TLS not available\r\n"},
    {"starttls_argument", "STARTTLS x\r\n", "501 Syntax: STARTTLS\r\n"},
    {"pipelined_transaction",
     ehlo + mail + rcpt + "RCPT TO:<c@example.com>\r\nDATA\r\nhi\r\n.\r\nQUIT\r\n",
     ehlo_reply + ok + ok + ok + go_ahead + ok + "221 Bye\r\n"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(protocol)

BOOST_AUTO_TEST_CASE(greeting_names_host_and_ident) {
    session_type s(test_options());
    BOOST_TEST(s.output() == "220 mx.test ESMTP smtp " SMTP_VERSION_STRING "\r\n");
}

BOOST_AUTO_TEST_CASE(transcripts_match_aiosmtpd) {
    for (const auto& t : transcripts) {
        BOOST_TEST_CONTEXT(t.name) {
            BOOST_TEST(run(t.input) == t.expected);
        }
    }
}

// The same transcripts, fed in two pieces split at every byte and one byte at a time.
BOOST_AUTO_TEST_CASE(transcripts_split_everywhere) {
    for (const auto& t : transcripts) {
        BOOST_TEST_CONTEXT(t.name) {
            const std::string whole = run(t.input);
            for (std::size_t cut = 1; cut < t.input.size(); ++cut) {
                session_type s(test_options());
                s.take_output();
                s.feed(std::string_view(t.input).substr(0, cut));
                s.feed(std::string_view(t.input).substr(cut));
                BOOST_TEST_REQUIRE(s.output() == whole, "split at " << cut);
            }
            session_type s(test_options());
            s.take_output();
            for (char c : t.input)
                s.feed(std::string_view(&c, 1));
            BOOST_TEST(s.output() == whole);
        }
    }
}

BOOST_AUTO_TEST_CASE(data_content_unstuffed_and_delivered) {
    session_type s(test_options());
    s.feed(ehlo + mail + rcpt + "DATA\r\nTest\r\n..\r\nmail\r\n.\r\n");
    BOOST_TEST_REQUIRE(s.delivered().size() == 1u);
    BOOST_TEST(s.delivered()[0] == "Test\r\n.\r\nmail\r\n");
}

BOOST_AUTO_TEST_CASE(data_empty_message) {
    session_type s(test_options());
    s.feed(ehlo + mail + rcpt + "DATA\r\n.\r\n");
    BOOST_TEST_REQUIRE(s.delivered().size() == 1u);
    BOOST_TEST(s.delivered()[0] == "");
}

BOOST_AUTO_TEST_CASE(data_smuggled_commands_stay_content) {
    session_type s(test_options());
    s.feed(ehlo + mail + rcpt + "DATA\r\nline1\nsmug\n.\nhidden\r\n.\r\n");
    BOOST_TEST_REQUIRE(s.delivered().size() == 1u);
    BOOST_TEST(s.delivered()[0] == "line1\nsmug\n.\nhidden\r\n");
}

BOOST_AUTO_TEST_CASE(data_size_limit_552_and_session_survives) {
    auto opts = test_options();
    opts.data_size_limit = 10;
    session_type s(opts);
    s.take_output();
    s.feed("EHLO x\r\n" + mail + rcpt + "DATA\r\n0123456789\r\n.\r\nNOOP\r\n");
    BOOST_TEST(s.output() == "250-mx.test\r\n250-SIZE 10\r\n250-8BITMIME\r\n250 HELP\r\n" + ok +
                                 ok + go_ahead + "552 Error: Too much mail data\r\n" + ok);
    BOOST_TEST(s.delivered().empty());
    BOOST_TEST(s.current_envelope().mail_from.empty());
}

BOOST_AUTO_TEST_CASE(data_size_zero_means_unlimited_and_unadvertised) {
    auto opts = test_options();
    opts.data_size_limit = 0;
    BOOST_TEST(run(ehlo + "MAIL FROM:<a@b.c> SIZE=99999999999\r\n", opts) ==
               "250-mx.test\r\n250-8BITMIME\r\n250 HELP\r\n" + ok);
}

BOOST_AUTO_TEST_CASE(smtputf8_enabled) {
    auto opts = test_options();
    opts.enable_smtputf8 = true;
    session_type s(opts);
    s.take_output();
    s.feed(ehlo + "MAIL FROM:<j\xc3\xb6rg@example.com> SMTPUTF8\r\n");
    BOOST_TEST(s.output() ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP\r\n" +
                   ok);
    BOOST_TEST(s.current_envelope().smtp_utf8);
    BOOST_TEST(s.current_envelope().mail_from == "j\xc3\xb6rg@example.com");
    BOOST_TEST(run(ehlo + "MAIL FROM:<a@b.c> SMTPUTF8=YES\r\n", opts)
                   .ends_with("501 Error: SMTPUTF8 takes no arguments\r\n"));
}

// aiosmtpd grows a shared MAIL limit by 26 (+10) on every EHLO; here it is per session.
BOOST_AUTO_TEST_CASE(mail_line_limit_per_session) {
    std::string mail_538 = "MAIL FROM:<" + std::string(538 - 14, 'a') + "@b>\r\n";
    BOOST_TEST(mail_538.size() == 540u);
    std::string mail_539 = "MAIL FROM:<" + std::string(539 - 14, 'a') + "@b>\r\n";
    BOOST_TEST(run(ehlo + mail_538) == ehlo_reply + ok);
    BOOST_TEST(run(ehlo + ehlo + ehlo + mail_539) ==
               ehlo_reply + ehlo_reply + ehlo_reply + "500 Command line too long\r\n");
    BOOST_TEST(run("HELO x\r\n" + mail_538) == "250 mx.test\r\n500 Command line too long\r\n");
}

BOOST_AUTO_TEST_CASE(command_call_limit_closes) {
    auto opts = test_options();
    opts.command_call_limit = smtp::call_limits{3, {{"RSET", 1}}};
    std::string out = run("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n", opts);
    BOOST_TEST(out == ok + ok + ok + "421 4.7.0 NOOP sent too many times\r\n");
    BOOST_TEST(run("RSET\r\nRSET\r\n", opts) == ok + "421 4.7.0 RSET sent too many times\r\n");
    // Rejected calls count too, and unknown verbs have budgets of their own.
    BOOST_TEST(run("QUIT x\r\nQUIT x\r\nQUIT x\r\nQUIT x\r\n", opts) ==
               "501 Syntax: QUIT\r\n501 Syntax: QUIT\r\n501 Syntax: QUIT\r\n"
               "421 4.7.0 QUIT sent too many times\r\n");
}

BOOST_AUTO_TEST_CASE(auth_required_blocks_commands) {
    auto opts = test_options();
    opts.auth_required = true;
    const std::string denied = "530 5.7.0 Authentication required\r\n";
    BOOST_TEST(run(ehlo + mail + rcpt + "DATA\r\nHELP\r\nVRFY x\r\nNOOP\r\n", opts) ==
               ehlo_reply + denied + denied + denied + denied + denied + ok);
}

BOOST_AUTO_TEST_CASE(local_part_limit) {
    auto opts = test_options();
    opts.local_part_limit = 3;
    BOOST_TEST(run(ehlo + "MAIL FROM:<abc@d.e>\r\nRSET\r\nMAIL FROM:<abcd@e.f>\r\n", opts) ==
               ehlo_reply + ok + ok + "553 5.1.3 Error: malformed address\r\n");
}

BOOST_AUTO_TEST_CASE(envelope_records_transaction) {
    session_type s(test_options());
    s.feed(ehlo + "MAIL FROM:<a@example.com> size=100 BODY=8BITMIME\r\n" + rcpt +
           "RCPT TO:<c@example.com>\r\n");
    const auto& env = s.current_envelope();
    BOOST_TEST(env.mail_from == "a@example.com");
    BOOST_TEST(env.mail_options == (std::vector<std::string>{"SIZE=100", "BODY=8BITMIME"}));
    BOOST_TEST(env.rcpt_tos == (std::vector<std::string>{"b@example.com", "c@example.com"}));
    BOOST_TEST(s.current_session().host_name == "client.test");
    BOOST_TEST(s.current_session().extended_smtp);
}

BOOST_AUTO_TEST_CASE(null_sender_is_angle_brackets) {
    session_type s(test_options());
    s.feed(ehlo + "MAIL FROM:<>\r\n");
    BOOST_TEST(s.current_envelope().mail_from == "<>");
}

BOOST_AUTO_TEST_CASE(strict_ascii_data_failure_resets_envelope) {
    smtp::detail::offline_session<smtp::decode::utf8> s(test_options());
    s.take_output();
    s.feed(ehlo + mail + rcpt + "DATA\r\ncaf\xc3\xa9\r\n.\r\n" + mail);
    BOOST_TEST(s.output() == "250-mx.test\r\n250-SIZE 33554432\r\n250 HELP\r\n" + ok + ok +
                                 go_ahead + "500 Error: strict ASCII mode\r\n" + ok);
    // No 8BITMIME, so BODY= is not understood (aiosmtpd: 555).
    smtp::detail::offline_session<smtp::decode::utf8> t(test_options());
    t.take_output();
    t.feed(ehlo + "MAIL FROM:<a@b.c> BODY=8BITMIME\r\n");
    BOOST_TEST(
        t.output().ends_with("555 MAIL FROM parameters not recognized or not implemented\r\n"));
}

BOOST_AUTO_TEST_SUITE_END()

// The core's side of the seam the server drives: each command answers with the next action, the
// hook's arguments are in request(), and what the hook says is written with the verb's own code.
BOOST_AUTO_TEST_SUITE(protocol_next_action)

struct core {
    smtp::options opts;
    smtp::session session;
    smtp::envelope<std::string_view> envelope;
    std::string out;
    smtp::detail::capabilities features;
    smtp::detail::protocol<std::string_view> proto;

    explicit core(smtp::options o = test_options())
        : opts(std::move(o)), proto(opts, "mx.test", features, session, envelope, out) {}
};

using kind = smtp::detail::next_action::kind;
using smtp::detail::verb;

BOOST_AUTO_TEST_CASE(a_hook_is_asked_only_after_the_checks_pass) {
    core c;
    auto next = c.proto.on_line("MAIL FROM:<a@example.com>\r\n");
    BOOST_TEST((next.what == kind::read_command)); // not greeted: the core answered
    BOOST_TEST(c.out == "503 Error: send HELO first\r\n");
    c.out.clear();
    next = c.proto.on_line("EHLO client.test\r\n");
    BOOST_TEST((next.what == kind::call_hook && next.hook == verb::ehlo));
    BOOST_TEST(c.out.empty()); // nothing is written before the hook
    next = c.proto.hook_answered(smtp::reply{250, "welcome"});
    BOOST_TEST((next.what == kind::read_command));
    BOOST_TEST(c.session.host_name == "client.test"); // the hook accepted without setting it
    BOOST_TEST(c.out == "250 welcome\r\n");
}

BOOST_AUTO_TEST_CASE(mail_and_rcpt_hand_their_path_to_the_hook) {
    smtp::options o = test_options();
    o.enhanced_status_codes = true;
    core c(o);
    c.proto.on_line("EHLO client.test\r\n");
    c.proto.answer_by_default();
    c.out.clear();
    auto next = c.proto.on_line("MAIL FROM:<a@example.com> BODY=8BITMIME\r\n");
    BOOST_TEST((next.what == kind::call_hook && next.hook == verb::mail));
    BOOST_TEST(c.proto.request().address == "a@example.com");
    BOOST_TEST(c.proto.request().options == std::vector<std::string>{"BODY=8BITMIME"});
    c.envelope.set_sender("a@example.com", {});
    c.proto.hook_answered(smtp::reply{250, "sender ok"});
    BOOST_TEST(c.out == "250 2.1.0 sender ok\r\n"); // MAIL's own enhanced code
    c.out.clear();
    next = c.proto.on_line("RCPT TO:<b@example.com>\r\n");
    BOOST_TEST((next.what == kind::call_hook && next.hook == verb::rcpt));
    c.proto.hook_answered(smtp::reply{550, "no such user"});
    BOOST_TEST(c.out == "550 5.0.0 no such user\r\n");
    c.out.clear();
    c.proto.on_line("RCPT TO:<c@example.com>\r\n");
    c.proto.answer_by_default();
    BOOST_TEST(c.out == "250 2.1.5 OK\r\n");
    BOOST_TEST(c.envelope.rcpt_tos == std::vector<std::string>{"c@example.com"});
}

BOOST_AUTO_TEST_CASE(a_message_ends_with_its_reply_code_recorded) {
    core c;
    for (const char* line :
         {"HELO client.test\r\n", "MAIL FROM:<a@example.com>\r\n", "RCPT TO:<b@example.com>\r\n"}) {
        auto next = c.proto.on_line(line);
        BOOST_TEST((next.what == kind::call_hook));
        c.proto.answer_by_default();
    }
    auto next = c.proto.on_line("DATA\r\n");
    BOOST_TEST((next.what == kind::receive_data));
    c.proto.feed_data("Subject: hi\r\n\r\nbody\r\n.\r\n");
    next = c.proto.finish_data<smtp::decode::bytes>();
    BOOST_TEST((next.what == kind::call_hook && next.hook == verb::data));
    c.out.clear();
    c.proto.hook_answered(smtp::reply{554, "rejected"});
    BOOST_TEST(c.out == "554 rejected\r\n");
    BOOST_TEST(c.proto.message_reply_code() == 554);
    BOOST_TEST(c.envelope.mail_from.empty()); // the transaction ended with the reply
}

BOOST_AUTO_TEST_CASE(quit_closes_after_its_reply_and_auth_and_starttls_are_actions) {
    core c;
    BOOST_TEST((c.proto.on_line("QUIT\r\n").what == kind::call_hook));
    BOOST_TEST((c.proto.hook_answered(smtp::reply{221, "bye"}).what == kind::close));
    core t;
    t.proto.on_line("EHLO client.test\r\n");
    t.proto.answer_by_default();
    // No TLS configured: STARTTLS is answered by the core, no handshake is asked for.
    BOOST_TEST((t.proto.on_line("STARTTLS\r\n").what == kind::read_command));
    BOOST_TEST(t.out.ends_with("454 TLS not available\r\n"));
}

BOOST_AUTO_TEST_SUITE_END()
