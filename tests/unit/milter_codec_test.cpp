// The milter codec (smtp/milter/codec.hpp) and message edits (smtp/milter/message_edit.hpp),
// sans I/O.
#include <smtp/milter/codec.hpp>
#include <smtp/milter/config.hpp>
#include <smtp/milter/message_edit.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

namespace milter = smtp::milter;
using namespace std::string_literals;

namespace {

std::string packet_of(char code, std::string_view data) {
    std::string out;
    milter::append_packet(out, code, data);
    return out;
}

std::optional<milter::response> parse(char code, std::string_view data) {
    return milter::parse_response({code, std::string(data)});
}

} // namespace

BOOST_AUTO_TEST_SUITE(milter_codec)

BOOST_AUTO_TEST_CASE(packet_framing) {
    BOOST_TEST(packet_of('c', "") == "\0\0\0\x01"s
                                     "c");
    BOOST_TEST(milter::encode_optneg() == "\0\0\0\x0dO\0\0\0\x06\0\0\x01\xff\0\x1f\xf7\xff"s);
    BOOST_TEST(milter::encode_strings(milter::command::helo, {"client.test"}) ==
               "\0\0\0\x0dHclient.test\0"s);
    BOOST_TEST(milter::encode_connect("[127.0.0.1]", milter::family::ipv4, 40000, "127.0.0.1") ==
               "\0\0\0\x1a"
               "C[127.0.0.1]\0"
               "4\x9c\x40"
               "127.0.0.1\0"s);
    BOOST_TEST(milter::encode_macros('M', {{"i", "Q1"}, {"{mail_addr}", "a@b"}}) ==
               "\0\0\0\x17"
               "DMi\0Q1\0{mail_addr}\0a@b\0"s);
    // A NUL inside a string would end it early on the filter's side.
    BOOST_TEST(milter::encode_strings('H', {"a\0b"s}) == "\0\0\0\x03Ha\0"s);
}

BOOST_AUTO_TEST_CASE(reader_splits_packets_fed_in_pieces) {
    milter::packet_reader reader;
    std::string stream = packet_of('c', "") + packet_of('h', "X-A\0v\0"s);
    for (char c : stream.substr(0, 6))
        reader.feed(std::string_view(&c, 1));
    auto first = reader.next();
    BOOST_REQUIRE(first);
    BOOST_TEST(first->code == 'c');
    BOOST_TEST(!reader.next());
    reader.feed(stream.substr(6));
    auto second = reader.next();
    BOOST_REQUIRE(second);
    BOOST_TEST(second->code == 'h');
    BOOST_TEST(second->data == "X-A\0v\0"s);
    BOOST_TEST(reader.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(reader_refuses_bad_lengths) {
    milter::packet_reader zero;
    zero.feed("\0\0\0\0"s);
    BOOST_TEST(!zero.next());
    BOOST_TEST(zero.failed());
    milter::packet_reader huge;
    huge.feed("\x7f\0\0\0c"s);
    BOOST_TEST(!huge.next());
    BOOST_TEST(huge.failed());
}

BOOST_AUTO_TEST_CASE(negotiation) {
    std::string data = "\0\0\0\x06\0\0\0\x03\0\0\0\x10"s;
    auto n = milter::parse_optneg(data);
    BOOST_REQUIRE(n);
    BOOST_TEST(n->version == 6u);
    BOOST_TEST(n->actions == 3u);
    BOOST_TEST(n->steps == 0x10u);
    auto with_macros = milter::parse_optneg(data + "\0\0\0\x02{mail_addr} i\0"s);
    BOOST_REQUIRE(with_macros);
    BOOST_TEST(*with_macros->macros[2] == "{mail_addr} i");
    // Short, a version out of range, an action or step not offered, a stage out of range.
    BOOST_TEST(!milter::parse_optneg(data.substr(0, 11)));
    BOOST_TEST(!milter::parse_optneg("\0\0\0\x07\0\0\0\x03\0\0\0\x10"s));
    BOOST_TEST(!milter::parse_optneg("\0\0\0\x06\0\0\x02\0\0\0\0\0"s));
    BOOST_TEST(!milter::parse_optneg("\0\0\0\x06\0\0\0\0\0\0\x08\0"s));
    BOOST_TEST(!milter::parse_optneg(data + "\0\0\0\x07i\0"s));
    BOOST_TEST(!milter::parse_optneg(data + "\0\0\0\x02i"s));
}

BOOST_AUTO_TEST_CASE(verdicts) {
    using kind = milter::response::kind;
    BOOST_TEST((parse('c', "")->what == kind::continue_));
    BOOST_TEST((parse('a', "")->what == kind::accept));
    BOOST_TEST((parse('r', "")->what == kind::reject));
    BOOST_TEST((parse('t', "")->what == kind::tempfail));
    BOOST_TEST((parse('d', "")->what == kind::discard));
    BOOST_TEST((parse('s', "")->what == kind::skip));
    BOOST_TEST((parse('p', "")->what == kind::progress));
    BOOST_TEST(parse('c', "")->is_verdict());
    BOOST_TEST(!parse('p', "")->is_verdict());
    BOOST_TEST(!parse('c', "junk"));
    BOOST_TEST(!parse('Z', ""));
}

BOOST_AUTO_TEST_CASE(reply_codes) {
    auto one = parse('y', "550 5.7.1 Go away\0"s);
    BOOST_REQUIRE(one);
    BOOST_TEST(one->smtp_reply.code == 550);
    BOOST_TEST(one->smtp_reply.text == "5.7.1 Go away");
    auto multi = parse('y', "550-5.7.1 first\r\n550 5.7.1 second\0"s);
    BOOST_REQUIRE(multi);
    BOOST_TEST(multi->smtp_reply.text == "5.7.1 first\n5.7.1 second");
    BOOST_TEST(parse('y', "451 4.7.1 later\0"s)->smtp_reply.code == 451);
    BOOST_TEST(parse('y', "550\0"s)->smtp_reply.text == "");
    // Not 4xx/5xx, codes that differ, a last line with '-', no NUL.
    BOOST_TEST(!parse('y', "250 ok\0"s));
    BOOST_TEST(!parse('y', "550-a\r\n551 b\0"s));
    BOOST_TEST(!parse('y', "550-a\0"s));
    BOOST_TEST(!parse('y', "550 a\r\n550 b\0"s));
    BOOST_TEST(!parse('y', "550 a"s));
}

BOOST_AUTO_TEST_CASE(modifications) {
    using kind = milter::response::kind;
    auto add = parse('h', "X-Spam\0yes\0"s);
    BOOST_REQUIRE(add);
    BOOST_TEST((add->what == kind::add_header));
    BOOST_TEST(add->name == "X-Spam");
    BOOST_TEST(add->value == "yes");
    auto insert = parse('i', "\0\0\0\0DKIM-Signature\0v=1\0"s);
    BOOST_REQUIRE(insert);
    BOOST_TEST((insert->what == kind::insert_header));
    BOOST_TEST(insert->index == 0u);
    auto change = parse('m', "\0\0\0\x02Subject\0\0"s);
    BOOST_REQUIRE(change);
    BOOST_TEST(change->index == 2u);
    BOOST_TEST(change->value.empty());
    BOOST_TEST(parse('e', "<new@x>\0"s)->text == "<new@x>");
    BOOST_TEST(parse('e', "<new@x>\0SIZE=1\0"s)->value == "SIZE=1");
    BOOST_TEST(parse('+', "<r@x>\0"s)->text == "<r@x>");
    BOOST_TEST(parse('2', "<r@x>\0NOTIFY=NEVER\0"s)->value == "NOTIFY=NEVER");
    BOOST_TEST((parse('-', "<r@x>\0"s)->what == kind::del_rcpt));
    BOOST_TEST(parse('b', "new body\r\n")->text == "new body\r\n");
    BOOST_TEST(parse('q', "held\0"s)->text == "held");
    BOOST_TEST(!parse('h', "X-Spam\0"s));
    BOOST_TEST(!parse('h', "\0v\0"s));
    BOOST_TEST(!parse('i', "\0\0"s));
    BOOST_TEST(!parse('+', "\0"s));
}

BOOST_AUTO_TEST_CASE(addresses_and_actions) {
    auto inet = milter::filter_address::parse("inet:127.0.0.1:8891");
    BOOST_TEST(!inet.local);
    BOOST_TEST(inet.host == "127.0.0.1");
    BOOST_TEST(inet.port == 8891);
    BOOST_TEST(milter::filter_address::parse("inet:[::1]:25").host == "::1");
    auto local = milter::filter_address::parse("unix:/run/f.sock");
    BOOST_TEST(local.local);
    BOOST_TEST(local.path == "/run/f.sock");
    for (const char* bad :
         {"inet:host", "inet::25", "inet:h:0", "inet:h:70000", "unix:", "tcp:x:1"})
        BOOST_CHECK_THROW(milter::filter_address::parse(bad), smtp::usage_error);
    BOOST_TEST((milter::parse_default_action("accept") == milter::default_action::accept));
    BOOST_CHECK_THROW(milter::parse_default_action("defer"), smtp::usage_error);
}

BOOST_AUTO_TEST_CASE(split_and_edit_a_message) {
    std::string text = "From: a@x\r\nSubject: hi\r\n there\r\nX-A: 1\r\n\r\nbody\r\n";
    auto m = milter::split_message::parse(text);
    BOOST_TEST(m.headers.size() == 3u);
    BOOST_TEST(m.headers[1].value == " hi\r\n there");
    BOOST_TEST(milter::split_message::value_for_filter(m.headers[1].value, false) == "hi\n there");
    BOOST_TEST(m.body == "body\r\n");
    BOOST_TEST(m.serialize() == text);

    m.insert_header(0, "DKIM-Signature", "v=1;\n\tb=x", false);
    m.change_header(1, "subject", "changed", false);
    m.change_header(1, "X-A", "", false);
    m.add_header("X-B", "two\nlines", false);
    m.body = milter::crlf_body("new\nbody\r\n");
    BOOST_TEST(m.serialize() == "DKIM-Signature: v=1;\r\n\tb=x\r\nFrom: a@x\r\nSubject: changed\r\n"
                                "X-B: two\r\n\tlines\r\n\r\nnew\r\nbody\r\n");
}

BOOST_AUTO_TEST_CASE(message_without_header) {
    auto m = milter::split_message::parse("just a body line\r\n");
    BOOST_TEST(m.headers.empty());
    BOOST_TEST(!m.has_separator);
    BOOST_TEST(m.serialize() == "just a body line\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
