#include <smtp/cli/arguments.hpp>
#include <smtp/detail/offline_session.hpp>
#include <smtp/detail/xtext.hpp>
#include <smtp/handlers/debugging.hpp>

#include "wire_lines.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

// RFC 3461 (DSN) and RFC 8689 (REQUIRETLS) on the session state machine, without sockets: the
// RFCs' examples, every error case, and that nothing changes with the options off.

namespace {

using session_type = smtp::detail::offline_session<>;

smtp::options dsn_options() {
    smtp::options o;
    o.hostname = "mx.test";
    o.dsn = true;
    return o;
}

// Feeds `input` after EHLO and returns the replies to it.
std::string after_ehlo(session_type& s, const std::string& input) {
    s.feed("EHLO client.test\r\n");
    s.take_output();
    s.feed(input);
    return s.take_output();
}

using wire_lines::ok;

} // namespace

BOOST_AUTO_TEST_SUITE(dsn)

BOOST_AUTO_TEST_CASE(xtext_round_trip) {
    std::string out;
    BOOST_TEST(smtp::detail::decode_xtext("Bob+2BFoo+3DBar@x", out));
    BOOST_TEST(out == "Bob+Foo=Bar@x");
    BOOST_TEST(smtp::detail::decode_xtext("a+2b", out)); // lower-case hex is accepted
    BOOST_TEST(out == "a+");
    BOOST_TEST(smtp::detail::encode_xtext("Bob+Foo=Bar @x") == "Bob+2BFoo+3DBar+20@x");
    for (std::string bad :
         std::vector<std::string>{"a+", "a+2", "a+G0", "a=b", "a b", "a\x7f", "\xc3\xa9"})
        BOOST_TEST(!smtp::detail::decode_xtext(bad, out), bad);
}

BOOST_AUTO_TEST_CASE(ehlo_advertises_dsn_only_when_on) {
    session_type off(smtp::options{.hostname = "mx.test"});
    off.feed("EHLO x\r\n");
    BOOST_TEST(off.take_output().find("DSN") == std::string::npos);
    session_type on(dsn_options());
    on.feed("EHLO x\r\n");
    BOOST_TEST(on.take_output().find("250-DSN\r\n") != std::string::npos);
}

// RFC 3461 §6.2's example transaction, replies and decoded data.
BOOST_AUTO_TEST_CASE(rfc3461_example) {
    session_type s(dsn_options());
    std::string replies = after_ehlo(
        s, "MAIL FROM:<Alice@Test.ORG> RET=HDRS ENVID=QQ314159\r\n"
           "RCPT TO:<Bob@Foo.ORG> NOTIFY=SUCCESS ORCPT=rfc822;Bob@Foo.ORG\r\n"
           "RCPT TO:<Carol@Ivory.EDU> NOTIFY=FAILURE ORCPT=rfc822;Carol@Ivory.EDU\r\n"
           "RCPT TO:<Dana@Ivory.EDU> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Dana@Ivory.EDU\r\n"
           "RCPT TO:<Eric@Bombs.AF.MIL> NOTIFY=FAILURE ORCPT=rfc822;Eric@Bombs.AF.MIL\r\n"
           "RCPT TO:<Fred@Bombs.AF.MIL> NOTIFY=NEVER\r\n"
           "RCPT TO:<George@Tax-ME.GOV> NOTIFY=FAILURE ORCPT=rfc822;George@Tax-ME.GOV\r\n");
    std::string expected;
    for (int i = 0; i < 7; ++i)
        expected += ok;
    BOOST_TEST(replies == expected);
    const auto& env = s.current_envelope();
    BOOST_TEST((env.dsn.ret == smtp::dsn_return::headers));
    BOOST_TEST(env.dsn.envid == "QQ314159");
    // aiosmtpd's upper-cased tokens stay as they were.
    BOOST_TEST(env.mail_options == (std::vector<std::string>{"RET=HDRS", "ENVID=QQ314159"}),
               boost::test_tools::per_element());
    BOOST_TEST(env.rcpt_options.size() == 11u);
    BOOST_TEST(env.rcpt_options[1] == "ORCPT=RFC822;BOB@FOO.ORG");
    BOOST_REQUIRE(env.dsn.recipients.size() == 6u);
    const auto& bob = env.dsn.recipients[0];
    BOOST_TEST((bob.notify == smtp::dsn_notify{.success = true}));
    BOOST_TEST(bob.orcpt_type == "rfc822");
    BOOST_TEST(bob.orcpt == "Bob@Foo.ORG"); // case kept
    BOOST_TEST(
        (env.dsn.recipients[2].notify == smtp::dsn_notify{.success = true, .failure = true}));
    const auto& fred = env.dsn.recipients[4];
    BOOST_TEST((fred.notify == smtp::dsn_notify{.never = true}));
    BOOST_TEST(fred.orcpt.empty());
    BOOST_TEST(env.dsn.recipients[5].orcpt == "George@Tax-ME.GOV");
    // The message goes through, and the next transaction starts without DSN data.
    s.feed("DATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n");
    BOOST_TEST(s.delivered().size() == 1u);
    BOOST_TEST(s.current_envelope().dsn.recipients.empty());
    BOOST_TEST(s.current_envelope().dsn.envid.empty());
}

BOOST_AUTO_TEST_CASE(values_are_decoded_with_case_kept) {
    session_type s(dsn_options());
    std::string replies = after_ehlo(s, "MAIL FROM:<a@x> ret=full envid=Id+2B1+3D2\r\n"
                                        "RCPT TO:<b@x> notify=delay,Success "
                                        "orcpt=RFC822;Mixed+2BCase+20Name@Example.COM\r\n"
                                        "RCPT TO:<c@x>\r\n");
    BOOST_TEST(replies == ok + ok + ok);
    const auto& env = s.current_envelope();
    BOOST_TEST((env.dsn.ret == smtp::dsn_return::full));
    BOOST_TEST(env.dsn.envid == "Id+1=2");
    BOOST_REQUIRE(env.dsn.recipients.size() == 2u);
    BOOST_TEST((env.dsn.recipients[0].notify == smtp::dsn_notify{.success = true, .delay = true}));
    BOOST_TEST(env.dsn.recipients[0].orcpt_type == "RFC822");
    BOOST_TEST(env.dsn.recipients[0].orcpt == "Mixed+Case Name@Example.COM");
    BOOST_TEST(!env.dsn.recipients[1].notify.specified()); // no NOTIFY: the server's choice
}

struct refusal {
    const char* name;
    std::string command; // after a successful MAIL when it is a RCPT
    std::string reply;
};

BOOST_AUTO_TEST_CASE(invalid_parameters_get_501) {
    const std::string env100(100, 'E');
    const std::string orcpt500 = "rfc822;" + std::string(493, 'o');
    const std::vector<refusal> cases = {
        {"ret_value", "MAIL FROM:<a@x> RET=ALL\r\n", "501 Error: RET can only be FULL or HDRS\r\n"},
        {"ret_without_value", "MAIL FROM:<a@x> RET\r\n",
         "501 Error: RET can only be FULL or HDRS\r\n"},
        {"ret_twice", "MAIL FROM:<a@x> RET=FULL RET=HDRS\r\n",
         "501 Error: duplicate RET parameter\r\n"},
        {"envid_twice", "MAIL FROM:<a@x> ENVID=a ENVID=a\r\n",
         "501 Error: duplicate ENVID parameter\r\n"},
        {"envid_bad_xtext", "MAIL FROM:<a@x> ENVID=a+zz\r\n",
         "501 Error: ENVID is not valid xtext\r\n"},
        {"envid_equals", "MAIL FROM:<a@x> ENVID=a=b\r\n",
         "501 Error: ENVID is not valid xtext\r\n"},
        {"envid_too_long", "MAIL FROM:<a@x> ENVID=" + env100 + "E\r\n",
         "501 Error: ENVID is longer than 100 characters\r\n"},
        {"notify_never_and_more", "RCPT TO:<b@x> NOTIFY=NEVER,SUCCESS\r\n",
         "501 Error: NOTIFY can only be NEVER or a list of SUCCESS, FAILURE, DELAY\r\n"},
        {"notify_empty_item", "RCPT TO:<b@x> NOTIFY=SUCCESS,,DELAY\r\n",
         "501 Error: NOTIFY can only be NEVER or a list of SUCCESS, FAILURE, DELAY\r\n"},
        {"notify_unknown", "RCPT TO:<b@x> NOTIFY=ALWAYS\r\n",
         "501 Error: NOTIFY can only be NEVER or a list of SUCCESS, FAILURE, DELAY\r\n"},
        {"notify_twice", "RCPT TO:<b@x> NOTIFY=DELAY NOTIFY=DELAY\r\n",
         "501 Error: duplicate NOTIFY parameter\r\n"},
        {"orcpt_no_type", "RCPT TO:<b@x> ORCPT=b@x\r\n",
         "501 Error: ORCPT must be <addr-type>;<xtext>\r\n"},
        {"orcpt_empty_type", "RCPT TO:<b@x> ORCPT=;b@x\r\n",
         "501 Error: ORCPT must be <addr-type>;<xtext>\r\n"},
        {"orcpt_empty_address", "RCPT TO:<b@x> ORCPT=rfc822;\r\n",
         "501 Error: ORCPT must be <addr-type>;<xtext>\r\n"},
        {"orcpt_bad_xtext", "RCPT TO:<b@x> ORCPT=rfc822;b+4@x\r\n",
         "501 Error: ORCPT must be <addr-type>;<xtext>\r\n"},
        {"orcpt_too_long", "RCPT TO:<b@x> ORCPT=" + orcpt500 + "o\r\n",
         "501 Error: ORCPT is longer than 500 characters\r\n"},
        {"orcpt_twice", "RCPT TO:<b@x> ORCPT=rfc822;b@x ORCPT=rfc822;b@x\r\n",
         "501 Error: duplicate ORCPT parameter\r\n"},
        // Parameters of the other command stay unknown.
        {"notify_on_mail", "MAIL FROM:<a@x> NOTIFY=NEVER\r\n",
         "555 MAIL FROM parameters not recognized or not implemented\r\n"},
        {"ret_on_rcpt", "RCPT TO:<b@x> RET=FULL\r\n",
         "555 RCPT TO parameters not recognized or not implemented\r\n"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            session_type s(dsn_options());
            bool rcpt = c.command.starts_with("RCPT");
            std::string replies = after_ehlo(s, (rcpt ? "MAIL FROM:<a@x>\r\n" : "") + c.command);
            BOOST_TEST(replies == (rcpt ? ok : "") + c.reply);
            // The refused command leaves nothing behind.
            BOOST_TEST(s.current_envelope().dsn.recipients.empty());
            BOOST_TEST(s.current_envelope().rcpt_tos.empty());
        }
    }
    // The limits themselves pass.
    session_type s(dsn_options());
    BOOST_TEST(after_ehlo(s, "MAIL FROM:<a@x> ENVID=" + env100 +
                                 "\r\nRCPT TO:<b@x> ORCPT=" + orcpt500 + "\r\n") == ok + ok);
}

BOOST_AUTO_TEST_CASE(enhanced_code_on_errors) {
    smtp::options o = dsn_options();
    o.enhanced_status_codes = true;
    session_type s(o);
    BOOST_TEST(after_ehlo(s, "MAIL FROM:<a@x> RET=NONE\r\n") ==
               "501 5.5.4 Error: RET can only be FULL or HDRS\r\n");
}

BOOST_AUTO_TEST_CASE(without_the_option_dsn_parameters_are_unknown) {
    session_type s(smtp::options{.hostname = "mx.test"});
    BOOST_TEST(after_ehlo(s, "MAIL FROM:<a@x> RET=HDRS\r\nMAIL FROM:<a@x>\r\n"
                             "RCPT TO:<b@x> NOTIFY=NEVER\r\n") ==
               "555 MAIL FROM parameters not recognized or not implemented\r\n" + ok +
                   "555 RCPT TO parameters not recognized or not implemented\r\n");
    // Nothing is recorded per recipient either.
    s.feed("RCPT TO:<c@x>\r\n");
    BOOST_TEST(s.current_envelope().rcpt_tos.size() == 1u);
    BOOST_TEST(s.current_envelope().dsn.recipients.empty());
}

// RFC 3461 §5: with DSN the RCPT line may be 515 characters longer, MAIL 110.
BOOST_AUTO_TEST_CASE(longer_command_lines) {
    const std::string orcpt = "RCPT TO:<" + std::string(200, 'b') +
                              "@x> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;" +
                              std::string(480, 'o') + "@x\r\n"; // about 760 octets
    session_type on(dsn_options());
    BOOST_TEST(after_ehlo(on, "MAIL FROM:<a@x>\r\n" + orcpt) == ok + ok);
    session_type off(smtp::options{.hostname = "mx.test"});
    BOOST_TEST(after_ehlo(off, "MAIL FROM:<a@x>\r\n" + orcpt) ==
               ok + "500 Command line too long\r\n");
}

// smtpd -c Debugging shows the decoded values (quoted, so a decoded CR LF cannot forge a line)
// and REQUIRETLS; recipients without DSN parameters get no line.
BOOST_AUTO_TEST_CASE(debugging_prints_dsn_and_requiretls) {
    smtp::envelope<> env;
    env.mail_options = {"RET=FULL", "ENVID=A+0D+0AB", "REQUIRETLS"};
    env.dsn.ret = smtp::dsn_return::full;
    env.dsn.envid = "A\r\nB";
    env.require_tls = true;
    env.rcpt_tos = {"b@x", "c@x"};
    env.dsn.recipients = {{.notify = {.failure = true, .delay = true}}, {}};
    env.original_content = "Subject: x\r\n\r\nbody\r\n";
    smtp::session s;
    s.peer = {smtp::peer_address::family_type::ipv4, "127.0.0.1", 40000};
    BOOST_TEST(smtp::handlers::debugging::format(s, env) ==
               "---------- MESSAGE FOLLOWS ----------\n"
               "mail options: ['RET=FULL', 'ENVID=A+0D+0AB', 'REQUIRETLS']\n"
               "dsn: RET=FULL ENVID='A\\r\\nB'\n"
               "dsn for 'b@x': NOTIFY=FAILURE,DELAY\n"
               "requiretls: True\n"
               "\n"
               "Subject: x\n"
               "X-Peer: ('127.0.0.1', 40000)\n"
               "\n"
               "body\n"
               "------------ END MESSAGE ------------\n");
}

// examples/smtpd: --dsn and --requiretls (not aiosmtpd's --no-requiretls, about STARTTLS).
BOOST_AUTO_TEST_CASE(command_line_flags) {
    auto on = smtp::cli::make_options(
        smtp::cli::parse(std::vector<std::string>{"--dsn", "--requiretls"}));
    BOOST_TEST(on.dsn);
    BOOST_TEST(on.requiretls);
    BOOST_TEST(!on.require_starttls);
    auto off = smtp::cli::make_options(smtp::cli::parse(std::vector<std::string>{}));
    BOOST_TEST(!off.dsn);
    BOOST_TEST(!off.requiretls);
    BOOST_TEST(smtp::cli::usage("smtpd").find("[--dsn]") != std::string::npos);
    BOOST_TEST(smtp::cli::usage("smtpd").find("[--requiretls]") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(requiretls)

smtp::options requiretls_options() {
    smtp::options o;
    o.hostname = "mx.test";
    o.requiretls = true;
    return o;
}

// RFC 8689 §4.1's MAIL, accepted over TLS only.
BOOST_AUTO_TEST_CASE(accepted_over_tls) {
    session_type s(requiretls_options());
    s.tls_started();
    s.feed("EHLO client.test\r\n");
    BOOST_TEST(s.take_output().find("250-REQUIRETLS\r\n") != std::string::npos);
    s.feed("MAIL FROM:<roger@example.org> REQUIRETLS\r\n");
    BOOST_TEST(s.take_output() == ok);
    BOOST_TEST(s.current_envelope().require_tls);
    BOOST_TEST(s.current_envelope().mail_options == std::vector<std::string>{"REQUIRETLS"},
               boost::test_tools::per_element());
    s.feed("RSET\r\nMAIL FROM:<roger@example.org> REQUIRETLS=YES\r\n");
    BOOST_TEST(s.take_output() == ok + "501 Error: REQUIRETLS takes no arguments\r\n");
    BOOST_TEST(!s.current_envelope().require_tls);
    s.feed("MAIL FROM:<roger@example.org>\r\n");
    BOOST_TEST(s.take_output() == ok);
    BOOST_TEST(!s.current_envelope().require_tls);
}

BOOST_AUTO_TEST_CASE(unknown_without_tls_or_option) {
    session_type plain(requiretls_options());
    plain.feed("EHLO client.test\r\n");
    BOOST_TEST(plain.take_output().find("REQUIRETLS") == std::string::npos);
    plain.feed("MAIL FROM:<a@x> REQUIRETLS\r\n");
    BOOST_TEST(plain.take_output() ==
               "555 MAIL FROM parameters not recognized or not implemented\r\n");
    session_type off(smtp::options{.hostname = "mx.test"});
    off.tls_started();
    off.feed("EHLO client.test\r\n");
    BOOST_TEST(off.take_output().find("REQUIRETLS") == std::string::npos);
    off.feed("MAIL FROM:<a@x> REQUIRETLS\r\n");
    BOOST_TEST(off.take_output() ==
               "555 MAIL FROM parameters not recognized or not implemented\r\n");
    BOOST_TEST(!off.current_envelope().require_tls);
}

BOOST_AUTO_TEST_SUITE_END()
