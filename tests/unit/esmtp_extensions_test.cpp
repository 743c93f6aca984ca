#include <smtp/detail/offline_session.hpp>

#include "wire_lines.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

// The ESMTP extensions aiosmtpd lacks, on the sans-I/O session: what EHLO advertises, RFC 3463
// codes on every reply, and BDAT (RFC 3030) with its examples and failure rules. Each transcript
// is also fed one byte at a time, since a chunk's octets may arrive in any pieces.

namespace {

using namespace std::string_literals;
using session_type = smtp::detail::offline_session<>;

smtp::options base_options() {
    smtp::options o;
    o.hostname = "mx.test";
    return o;
}

smtp::options chunking_options() {
    smtp::options o = base_options();
    o.chunking = true;
    return o;
}

struct result {
    std::string output;
    std::vector<std::string> delivered;
    bool open = true;
};

result run(const std::string& input, const smtp::options& opts) {
    session_type s(opts);
    s.take_output();
    s.feed(input);
    return {s.output(), s.delivered(), s.open()};
}

result run_bytewise(const std::string& input, const smtp::options& opts) {
    session_type s(opts);
    s.take_output();
    for (char c : input)
        s.feed(std::string_view(&c, 1));
    return {s.output(), s.delivered(), s.open()};
}

// Runs whole and byte by byte; both must agree.
result run_both(const std::string& input, const smtp::options& opts) {
    result whole = run(input, opts);
    result bytewise = run_bytewise(input, opts);
    BOOST_TEST(whole.output == bytewise.output);
    BOOST_TEST(whole.delivered == bytewise.delivered);
    return whole;
}

using wire_lines::ehlo;
using wire_lines::mail;
using wire_lines::rcpt;

std::string ehlo_reply(const smtp::options& opts) {
    session_type s(opts);
    s.take_output();
    s.feed(ehlo);
    return s.output();
}

} // namespace

BOOST_AUTO_TEST_SUITE(esmtp_extensions)

BOOST_AUTO_TEST_CASE(ehlo_is_aiosmtpds_with_no_extension_on) {
    BOOST_TEST(ehlo_reply(base_options()) ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
}

BOOST_AUTO_TEST_CASE(ehlo_shows_exactly_what_is_enabled) {
    auto with = [](auto set) {
        smtp::options o = base_options();
        set(o);
        return ehlo_reply(o);
    };
    const std::string head = "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n";
    BOOST_TEST(with([](smtp::options& o) { o.pipelining = true; }) ==
               head + "250-PIPELINING\r\n250 HELP\r\n");
    BOOST_TEST(with([](smtp::options& o) { o.chunking = true; }) ==
               head + "250-CHUNKING\r\n250-BINARYMIME\r\n250 HELP\r\n");
    BOOST_TEST(with([](smtp::options& o) { o.enhanced_status_codes = true; }) ==
               head + "250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n");
    BOOST_TEST(with([](smtp::options& o) { o.dsn = true; }) == head + "250-DSN\r\n250 HELP\r\n");
    // REQUIRETLS is only offered over TLS (RFC 8689 §4).
    BOOST_TEST(with([](smtp::options& o) { o.requiretls = true; }) == head + "250 HELP\r\n");
}

BOOST_AUTO_TEST_CASE(enhanced_codes_on_every_reply_but_greeting_ehlo_and_354) {
    smtp::options o = base_options();
    o.enhanced_status_codes = true;
    session_type s(o);
    BOOST_TEST(s.take_output().starts_with("220 mx.test ")); // the greeting carries none
    s.feed("HELO client.test\r\n");
    BOOST_TEST(s.take_output() == "250 mx.test\r\n");
    s.feed(ehlo);
    BOOST_TEST(s.take_output().ends_with("250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n"));
    s.feed(mail + rcpt + "DATA\r\n");
    BOOST_TEST(s.take_output() ==
               "250 2.1.0 OK\r\n250 2.1.5 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
    s.feed("Subject: x\r\n\r\nbody\r\n.\r\n");
    BOOST_TEST(s.take_output() == "250 2.0.0 OK\r\n");
    s.feed("NOOP\r\nRSET\r\nVRFY <a@b>\r\nEXPN x\r\nFOO\r\nDATA\r\nRCPT TO:<x@y>\r\n");
    BOOST_TEST(s.take_output() ==
               "250 2.0.0 OK\r\n"
               "250 2.0.0 OK\r\n"
               "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"
               "502 5.5.1 EXPN not implemented\r\n"
               "500 5.5.1 Error: command \"FOO\" not recognized\r\n"
               "503 5.5.1 Error: need RCPT command\r\n"
               "503 5.5.1 Error: need MAIL command\r\n");
    // Replies whose text already has a code (aiosmtpd's) get no second one.
    s.feed("MAIL FROM:<bad address@@x>\r\nMAIL FROM:<a@b> SIZE=999999999\r\n");
    BOOST_TEST(s.take_output() ==
               "553 5.1.3 Error: malformed address\r\n"
               "552 5.3.4 Error: message size exceeds fixed maximum message size\r\n");
    s.feed("HELP\r\nQUIT\r\n");
    BOOST_TEST(s.take_output() ==
               "250 2.0.0 Supported commands: AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET "
               "VRFY\r\n221 2.0.0 Bye\r\n");
}

BOOST_AUTO_TEST_CASE(enhanced_codes_off_keeps_aiosmtpds_texts) {
    result r = run(ehlo + mail + rcpt + "DATA\r\nx\r\n.\r\nFOO\r\n", base_options());
    BOOST_TEST(r.output.substr(r.output.find("250 HELP\r\n") + 10) ==
               "250 OK\r\n250 OK\r\n354 End data with <CR><LF>.<CR><LF>\r\n250 OK\r\n"
               "500 Error: command \"FOO\" not recognized\r\n");
}

BOOST_AUTO_TEST_CASE(bdat_is_unknown_without_chunking) {
    result r = run(ehlo + mail + rcpt + "BDAT 3 LAST\r\n", base_options());
    BOOST_TEST(r.output.ends_with("500 Error: command \"BDAT\" not recognized\r\n"));
}

// RFC 3030 §4.1: a message in one chunk.
BOOST_AUTO_TEST_CASE(rfc3030_simple_chunking) {
    const std::string body(86, 'x');
    result r = run_both(ehlo +
                            "MAIL FROM:<Sam@Random.com>\r\nRCPT TO:<Susan@Random.com>\r\n"
                            "BDAT 86 LAST\r\n" +
                            body,
                        chunking_options());
    BOOST_TEST(r.output.ends_with("250 OK\r\n250 OK\r\n250 OK\r\n"));
    BOOST_REQUIRE(r.delivered.size() == 1u);
    BOOST_TEST(r.delivered[0] == body);
}

// RFC 3030 §4.2: BINARYMIME in several pipelined chunks; the octets are taken as they are (a
// line with a lone dot, bare LFs and NULs included).
BOOST_AUTO_TEST_CASE(rfc3030_pipelined_binarymime) {
    const std::string part1 = "MIME-Version: 1.0\r\n\r\n.\r\n\n\0binary"s;
    const std::string part2 = std::string(1000, '\xff') + "\r\n.\r\n";
    const std::string input = ehlo + "MAIL FROM:<ned@ymir.claremont.edu> BODY=BINARYMIME\r\n" +
                              "RCPT TO:<gvaudre@gmail.com>\r\n" + "BDAT " +
                              std::to_string(part1.size()) + "\r\n" + part1 + "BDAT " +
                              std::to_string(part2.size()) + " LAST\r\n" + part2 + "QUIT\r\n";
    result r = run_both(input, chunking_options());
    std::string tail = r.output.substr(r.output.find("250 HELP\r\n") + 10);
    BOOST_TEST(tail == "250 OK\r\n250 OK\r\n250 " + std::to_string(part1.size()) +
                           " octets received\r\n250 OK\r\n221 Bye\r\n");
    BOOST_REQUIRE(r.delivered.size() == 1u);
    BOOST_TEST(r.delivered[0] == part1 + part2);
}

BOOST_AUTO_TEST_CASE(bdat_zero_last_ends_the_message) {
    result r = run_both(ehlo + mail + rcpt + "BDAT 5\r\nhelloBDAT 0 LAST\r\n", chunking_options());
    BOOST_TEST(r.output.ends_with("250 5 octets received\r\n250 OK\r\n"));
    BOOST_REQUIRE(r.delivered.size() == 1u);
    BOOST_TEST(r.delivered[0] == "hello");
}

BOOST_AUTO_TEST_CASE(bdat_and_data_deliver_the_same_content) {
    const std::string message = "Subject: same\r\n\r\nline one\r\nline two\r\n";
    result by_data = run(ehlo + mail + rcpt + "DATA\r\n" + message + ".\r\n", chunking_options());
    result by_bdat =
        run(ehlo + mail + rcpt + "BDAT " + std::to_string(message.size()) + " LAST\r\n" + message,
            chunking_options());
    BOOST_REQUIRE(by_data.delivered.size() == 1u);
    BOOST_TEST(by_data.delivered == by_bdat.delivered);
}

// The client sends a chunk without waiting for a reply: a refused BDAT still has its octets
// read (never taken as commands), and the reply follows them.
BOOST_AUTO_TEST_CASE(refused_bdat_still_consumes_its_octets) {
    result r = run_both(ehlo + "BDAT 12\r\nQUIT\r\nNOOP\r\nNOOP\r\n", chunking_options());
    BOOST_TEST(r.output.ends_with("250 HELP\r\n503 Error: need MAIL command\r\n250 OK\r\n"));
    BOOST_TEST(r.open); // "QUIT\r\nNOOP\r\n" was chunk data, not a QUIT
}

BOOST_AUTO_TEST_CASE(bdat_needs_rcpt) {
    result r = run_both(ehlo + mail + "BDAT 2 LAST\r\nxx", chunking_options());
    BOOST_TEST(r.output.ends_with("250 OK\r\n503 Error: need RCPT command\r\n"));
    BOOST_TEST(r.delivered.empty());
}

// Chunks count against SIZE together; the chunk that crosses it is dropped and answered 552,
// which ends the transaction, so the next chunk finds no MAIL.
BOOST_AUTO_TEST_CASE(bdat_size_limit_counts_every_chunk) {
    smtp::options o = chunking_options();
    o.data_size_limit = 10;
    result r = run_both(ehlo + mail + rcpt + "BDAT 6\r\n123456BDAT 6 LAST\r\n123456NOOP\r\n", o);
    BOOST_TEST(r.output.ends_with("250 6 octets received\r\n552 Error: Too much mail data\r\n"
                                  "250 OK\r\n"));
    BOOST_TEST(r.delivered.empty());
    result after = run_both(ehlo + mail + rcpt + "BDAT 11\r\n12345678901BDAT 1 LAST\r\nx", o);
    BOOST_TEST(after.output.ends_with("552 Error: Too much mail data\r\n"
                                      "503 Error: need MAIL command\r\n"));
}

BOOST_AUTO_TEST_CASE(data_after_bdat_is_refused) {
    result r = run_both(ehlo + mail + rcpt + "BDAT 3\r\nabcDATA\r\nRSET\r\n", chunking_options());
    BOOST_TEST(r.output.ends_with("250 3 octets received\r\n503 Error: DATA after BDAT, send "
                                  "RSET\r\n250 OK\r\n"));
    BOOST_TEST(r.delivered.empty());
}

BOOST_AUTO_TEST_CASE(rset_ends_a_chunked_message) {
    result r =
        run_both(ehlo + mail + rcpt + "BDAT 3\r\nabcRSET\r\nBDAT 1 LAST\r\nx", chunking_options());
    BOOST_TEST(r.output.ends_with("250 OK\r\n503 Error: need MAIL command\r\n"));
    BOOST_TEST(r.delivered.empty());
}

BOOST_AUTO_TEST_CASE(binarymime_needs_bdat) {
    result r = run_both(ehlo + "MAIL FROM:<a@b> BODY=BINARYMIME\r\n" + rcpt + "DATA\r\n",
                        chunking_options());
    BOOST_TEST(r.output.ends_with("503 Error: BODY=BINARYMIME needs BDAT\r\n"));
    // Without CHUNKING, BINARYMIME is not a BODY value the server knows.
    result off = run(ehlo + "MAIL FROM:<a@b> BODY=BINARYMIME\r\n", base_options());
    BOOST_TEST(off.output.ends_with("501 Error: BODY can only be one of 7BIT, 8BITMIME\r\n"));
}

// A BDAT whose size cannot be read leaves the following octets undelimited: the session ends
// rather than read message text as commands.
BOOST_AUTO_TEST_CASE(bdat_without_a_size_closes) {
    for (const char* bad : {"BDAT\r\n", "BDAT x\r\n", "BDAT 5 FIRST\r\n", "BDAT -1\r\n",
                            "BDAT 99999999999999999999999\r\n", "BDAT 5  LAST\r\n"}) {
        result r = run(ehlo + mail + rcpt + bad + "RSET\r\n", chunking_options());
        BOOST_TEST(r.output.ends_with("501 Syntax: BDAT <size> [LAST]\r\n"), bad);
        BOOST_TEST(!r.open, bad);
    }
}

BOOST_AUTO_TEST_CASE(bdat_last_is_case_insensitive_and_help_lists_bdat) {
    result r = run_both(ehlo + mail + rcpt + "bdat 1 last\r\nzHELP BDAT\r\n", chunking_options());
    BOOST_TEST(r.output.ends_with("250 OK\r\n250 Syntax: BDAT <size> [LAST]\r\n"));
    BOOST_TEST(r.delivered.size() == 1u);
}

BOOST_AUTO_TEST_CASE(bdat_in_lmtp_replies_per_recipient) {
    smtp::options o = chunking_options();
    o.lmtp = true;
    result r = run_both(
        "LHLO client\r\n" + mail + rcpt + "RCPT TO:<c@example.com>\r\nBDAT 2 LAST\r\nhi", o);
    BOOST_TEST(r.output.ends_with("250 OK\r\n250 OK\r\n250 OK\r\n250 OK\r\n"));
}

BOOST_AUTO_TEST_SUITE_END()
