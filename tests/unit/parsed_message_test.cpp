#include <smtp/parsed_message.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

// smtp::parsed_message: parsing as Python's email parser does, lookups, edits, and writing back.

using strings = std::vector<std::string>;

BOOST_AUTO_TEST_SUITE(message)

BOOST_AUTO_TEST_CASE(parse_fields_in_order_and_body) {
    auto m = smtp::parsed_message::parse("From: a@b.c\r\nTo: d@e.f\r\nSubject: hi\r\n\r\nbody\r\n");
    BOOST_TEST_REQUIRE(m.headers().size() == 3u);
    BOOST_TEST(m.headers()[0].name == "From");
    BOOST_TEST(m.headers()[1].name == "To");
    BOOST_TEST(m.headers()[2].name == "Subject");
    BOOST_TEST(m.headers()[2].raw_value == " hi");
    BOOST_TEST(m.body() == "body\r\n");
}

BOOST_AUTO_TEST_CASE(to_string_gives_back_the_parsed_bytes) {
    for (std::string text :
         {"From: a@b.c\r\nSubject: x\r\n\r\nbody\r\n.dot\r\n", "Subject:no-space\r\nX:\r\n\r\n",
          "Subject: folded\r\n\tsecond\r\n "
          "third\r\n\r\nbody",
          "\r\nonly a body\r\n"})
        BOOST_TEST(smtp::parsed_message::parse(text).to_string() == text);
}

BOOST_AUTO_TEST_CASE(get_is_case_insensitive_and_unfolds) {
    auto m = smtp::parsed_message::parse("SUBJECT: a long\r\n  subject\r\nx-thing:  v \r\n\r\n");
    BOOST_TEST(m.get("subject").value() == "a long  subject");
    BOOST_TEST(m.get("Subject").value() == "a long  subject");
    BOOST_TEST(m.get("X-Thing").value() == "v");
    BOOST_TEST(!m.get("To").has_value());
    BOOST_TEST(m.contains("x-THING"));
    BOOST_TEST(!m.contains("Subjec"));
    // The raw value keeps the fold as written.
    BOOST_TEST(m.headers()[0].raw_value == " a long\r\n  subject");
}

BOOST_AUTO_TEST_CASE(get_all_returns_every_field_of_a_name) {
    auto m = smtp::parsed_message::parse("Received: one\r\nX: y\r\nreceived: two\r\n\r\n");
    BOOST_TEST(m.get_all("Received") == (strings{"one", "two"}));
    BOOST_TEST(m.get("received").value() == "one");
    BOOST_TEST(m.get_all("Nope").empty());
}

BOOST_AUTO_TEST_CASE(parse_lf_line_endings) {
    auto m = smtp::parsed_message::parse("Subject: a\n b\nTo: x\n\nbody\n");
    BOOST_TEST(m.get("Subject").value() == "a b");
    BOOST_TEST(m.headers()[0].raw_value == " a\n b");
    BOOST_TEST(m.get("To").value() == "x");
    BOOST_TEST(m.body() == "body\n");
}

// As Python's parser: a line that is not a field ends the header section and starts the body.
BOOST_AUTO_TEST_CASE(parse_non_field_line_starts_the_body) {
    auto m = smtp::parsed_message::parse("Subject: x\r\nnot a header\r\nmore\r\n");
    BOOST_TEST(m.headers().size() == 1u);
    BOOST_TEST(m.body() == "not a header\r\nmore\r\n");
    auto bad_name = smtp::parsed_message::parse("Sub ject: x\r\n\r\nb");
    BOOST_TEST(bad_name.headers().empty());
    BOOST_TEST(bad_name.body() == "Sub ject: x\r\n\r\nb");
}

BOOST_AUTO_TEST_CASE(parse_continuation_without_field_is_body) {
    auto m = smtp::parsed_message::parse(" indented\r\nSubject: x\r\n");
    BOOST_TEST(m.headers().empty());
    BOOST_TEST(m.body() == " indented\r\nSubject: x\r\n");
}

BOOST_AUTO_TEST_CASE(parse_headers_only_and_empty) {
    auto m = smtp::parsed_message::parse("Subject: x");
    BOOST_TEST(m.get("Subject").value() == "x");
    BOOST_TEST(m.body().empty());
    BOOST_TEST(m.to_string() == "Subject: x\r\n\r\n");
    auto empty = smtp::parsed_message::parse("");
    BOOST_TEST(empty.headers().empty());
    BOOST_TEST(empty.body().empty());
}

BOOST_AUTO_TEST_CASE(body_is_bytes_untouched) {
    const char raw[] = "8-bit \xff\xfe\0 and bare\rCR\nLF\r\n";
    std::string body(raw, sizeof raw - 1);
    auto m = smtp::parsed_message::parse("Subject: x\r\n\r\n" + body);
    BOOST_TEST(m.body() == body);
}

BOOST_AUTO_TEST_CASE(add_header_appends_and_keeps_existing) {
    auto m = smtp::parsed_message::parse("X-Peer: old\r\n\r\nbody");
    m.add_header("X-Peer", "new");
    m.add_header("X-Empty", "");
    BOOST_TEST(m.get_all("x-peer") == (strings{"old", "new"}));
    BOOST_TEST(m.to_string() == "X-Peer: old\r\nX-Peer: new\r\nX-Empty: \r\n\r\nbody");
}

BOOST_AUTO_TEST_CASE(add_header_accepts_a_fold) {
    smtp::parsed_message m;
    m.add_header("Subject", "a\r\n b");
    BOOST_TEST(m.get("Subject").value() == "a b");
    BOOST_TEST(m.to_string() == "Subject: a\r\n b\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(add_header_rejects_injection_and_bad_names) {
    smtp::parsed_message m;
    BOOST_CHECK_THROW(m.add_header("X", "a\r\nBcc: evil@example.com"), std::invalid_argument);
    BOOST_CHECK_THROW(m.add_header("X", "a\nb"), std::invalid_argument);
    BOOST_CHECK_THROW(m.add_header("X", "a\rb"), std::invalid_argument);
    BOOST_CHECK_THROW(m.add_header("X", "a\r\n"), std::invalid_argument);
    BOOST_CHECK_THROW(m.add_header("", "v"), std::invalid_argument);
    BOOST_CHECK_THROW(m.add_header("Bad Name", "v"), std::invalid_argument);
    BOOST_CHECK_THROW(m.add_header("Bad:Name", "v"), std::invalid_argument);
    BOOST_TEST(m.headers().empty());
}

BOOST_AUTO_TEST_CASE(remove_and_set_header) {
    auto m = smtp::parsed_message::parse("A: 1\r\nB: 2\r\na: 3\r\n\r\n");
    BOOST_TEST(m.remove_header("A") == 2u);
    BOOST_TEST(m.remove_header("A") == 0u);
    m.set_header("b", "new");
    BOOST_TEST(m.to_string() == "b: new\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(body_can_be_replaced) {
    auto m = smtp::parsed_message::parse("Subject: x\r\n\r\nold");
    m.body() = "new\r\n";
    BOOST_TEST(m.to_string() == "Subject: x\r\n\r\nnew\r\n");
}

BOOST_AUTO_TEST_CASE(prepend_and_insert_put_fields_in_place) {
    auto m = smtp::parsed_message::parse("Subject: x\r\nFrom: a@b.c\r\n\r\nbody");
    m.prepend_header("Received", "from client.test by mx.test;\r\n Thu, 3 Dec 2026 10:00 +0000");
    m.insert_header(2, "X-Middle", "1");
    m.insert_header(99, "X-Last", "2");
    BOOST_TEST(m.to_string() == "Received: from client.test by mx.test;\r\n Thu, 3 Dec 2026 10:00 "
                                "+0000\r\nSubject: x\r\nX-Middle: 1\r\nFrom: a@b.c\r\nX-Last: "
                                "2\r\n\r\nbody");
    BOOST_CHECK_THROW(m.prepend_header("Bad", "a\r\nInjected: yes"), std::invalid_argument);
}

// The default traits use the member functions; a type satisfies message_like through them.
BOOST_AUTO_TEST_CASE(traits_of_smtp_message) {
    static_assert(smtp::message_like<smtp::parsed_message>);
    static_assert(!smtp::message_like<int>);
    auto m = smtp::message_traits<smtp::parsed_message>::parse("A: 1\r\n\r\nb");
    smtp::message_traits<smtp::parsed_message>::add_header(m, "B", "2");
    BOOST_TEST(smtp::message_traits<smtp::parsed_message>::to_bytes(m) == "A: 1\r\nB: 2\r\n\r\nb");
}

BOOST_AUTO_TEST_SUITE_END()
