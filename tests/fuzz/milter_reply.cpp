// libFuzzer target: what a milter filter sends back (smtp/milter/codec.hpp), and the message
// edits its answers drive (smtp/milter/message_edit.hpp).
//
// Input layout: byte 0 and 1 choose where the stream is cut in two; the rest is the stream of
// packets as a filter would send it. It is framed whole and in the two pieces (the packets must
// be the same), and every packet is decoded as a reply and as a negotiation answer. The data of
// each packet is also taken as a message: split, applied as a header change, and serialized,
// which must be stable. See docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/milter/codec.hpp>
#include <smtp/milter/message_edit.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace milter = smtp::milter;

struct framed {
    std::vector<milter::packet> packets;
    bool failed = false;
};

framed frame(std::string_view first, std::string_view second) {
    framed out;
    milter::packet_reader reader;
    for (std::string_view piece : {first, second}) {
        reader.feed(piece);
        while (auto p = reader.next())
            out.packets.push_back(std::move(*p));
    }
    out.failed = reader.failed();
    return out;
}

void check_response(const milter::packet& p) {
    using kind = milter::response::kind;
    auto r = milter::parse_response(p);
    if (!r) return;
    if (r->what == kind::reply_code) {
        FUZZ_CHECK(r->smtp_reply.code >= 400 && r->smtp_reply.code <= 599);
        FUZZ_CHECK(r->smtp_reply.text.find('\r') == std::string::npos);
        FUZZ_CHECK(r->smtp_reply.text.find('\0') == std::string::npos);
    }
    if (r->what == kind::add_header || r->what == kind::insert_header ||
        r->what == kind::change_header) {
        FUZZ_CHECK(!r->name.empty());
        FUZZ_CHECK(r->name.find('\0') == std::string::npos);
        // A filter's header value never makes a line that starts a new field.
        std::string stored = milter::split_message::value_from_filter(r->value, false);
        for (std::size_t lf = stored.find('\n'); lf != std::string::npos;
             lf = stored.find('\n', lf + 1)) {
            FUZZ_CHECK(lf > 0 && stored[lf - 1] == '\r');
            FUZZ_CHECK(lf + 1 < stored.size() && (stored[lf + 1] == ' ' || stored[lf + 1] == '\t'));
        }
    }
    if (auto n = milter::parse_optneg(p.data)) {
        FUZZ_CHECK(n->version >= 2 && n->version <= milter::protocol_version);
        FUZZ_CHECK((n->actions & ~milter::action::all) == 0);
        FUZZ_CHECK((n->steps & ~milter::step::offered) == 0);
    }
}

void check_message(std::string_view text) {
    auto once = milter::split_message::parse(text).serialize();
    auto twice = milter::split_message::parse(once).serialize();
    FUZZ_CHECK(once == twice);
    auto m = milter::split_message::parse(text);
    m.change_header(1, "Subject", "changed", false);
    m.insert_header(0, "X-First", "a\nb", false);
    auto edited = m.serialize();
    FUZZ_CHECK(edited.starts_with("X-First: a\r\n\tb\r\n"));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::string_view stream = smtp_fuzz::as_text(data + 2, size - 2);
    std::size_t cut = stream.size() * (std::size_t(data[0]) << 8 | data[1]) / 65536;
    auto whole = frame(stream, {});
    auto pieces = frame(stream.substr(0, cut), stream.substr(cut));
    FUZZ_CHECK(whole.failed == pieces.failed);
    FUZZ_CHECK(whole.packets.size() == pieces.packets.size());
    for (std::size_t i = 0; i < whole.packets.size(); ++i) {
        FUZZ_CHECK(whole.packets[i].code == pieces.packets[i].code);
        FUZZ_CHECK(whole.packets[i].data == pieces.packets[i].data);
        check_response(whole.packets[i]);
    }
    check_message(stream);
    return 0;
}
