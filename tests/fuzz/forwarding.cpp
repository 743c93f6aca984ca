// libFuzzer target: the arguments of XCLIENT and XFORWARD (detail::parse_forwarding) and the
// commands through the protocol core from a trusted client (detail::offline_session).
//
// Input layout: byte 0's low bit chooses XCLIENT or XFORWARD; the rest is the argument. See
// docs/fuzzing.md.

#include "fuzz_check.hpp"

#include <smtp/detail/forwarding.hpp>
#include <smtp/detail/offline_session.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

bool printable(std::string_view s) {
    for (char c : s)
        if (c < ' ' || c > '~') return false;
    return true;
}

bool port_like(std::string_view s) {
    if (s.empty() || s == "unknown") return true;
    if (s.size() > 5) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    using smtp::detail::forwarding_command;
    const auto which = (data[0] & 1) ? forwarding_command::xforward : forwarding_command::xclient;
    std::string_view arg = smtp_fuzz::as_text(data + 1, size - 1);

    smtp::forwarded_client client;
    smtp::reply r = smtp::detail::parse_forwarding(which, arg, client);
    if (!r.empty()) {
        // Only Postfix's 501s, one line, nothing that could forge another reply line.
        FUZZ_CHECK(r.code == 501);
        FUZZ_CHECK(r.text.starts_with("5.5.4 "));
        FUZZ_CHECK(r.text.find_first_of("\r\n") == std::string::npos);
    } else {
        for (const std::string* v :
             {&client.name, &client.addr, &client.port, &client.proto, &client.helo, &client.login,
              &client.dest_addr, &client.dest_port, &client.ident, &client.source})
            FUZZ_CHECK(printable(*v) && v->size() <= 255);
        FUZZ_CHECK(port_like(client.port) && port_like(client.dest_port));
        for (const std::string* a : {&client.addr, &client.dest_addr})
            FUZZ_CHECK(a->empty() || *a == "unknown" ||
                       smtp::detail::normal_forwarded_address(*a) == *a);
        FUZZ_CHECK(client.source.empty() || client.source == "LOCAL" || client.source == "REMOTE");
        if (which == forwarding_command::xclient)
            FUZZ_CHECK(client.proto.empty() || client.proto == "SMTP" || client.proto == "ESMTP");
    }

    // The same through the core: one reply per command, the session goes on, a transaction
    // after it still works.
    smtp::options opts;
    opts.hostname = "mx.test";
    smtp::detail::offline_session<> s(opts);
    s.trust_forwarding(true, true);
    std::string line = which == forwarding_command::xclient ? "XCLIENT " : "XFORWARD ";
    line.append(arg.substr(0, arg.find_first_of("\r\n"))).append("\r\n");
    s.feed("EHLO fuzz.test\r\n");
    s.feed(line);
    FUZZ_CHECK(s.open());
    s.feed("EHLO again.test\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nx\r\n.\r\n");
    FUZZ_CHECK(s.delivered().size() == 1);
    return 0;
}
