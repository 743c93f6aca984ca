#ifndef SMTP_DETAIL_FORWARDING_HPP
#define SMTP_DETAIL_FORWARDING_HPP

// The arguments of Postfix's XCLIENT and XFORWARD commands (XCLIENT_README, XFORWARD_README),
// checked as Postfix's smtpd checks them (smtpd.c, xclient_cmd and xforward_cmd), with its
// replies. Sans-I/O: the protocol core applies the result.

#include <smtp/detail/ascii.hpp>
#include <smtp/detail/xtext.hpp>
#include <smtp/forwarded_client.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace smtp::detail {

/// Which of the two commands.
enum class forwarding_command { xclient, xforward };

/// What EHLO offers to a trusted client (the attributes understood).
inline constexpr std::string_view xclient_ehlo_line =
    "XCLIENT NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT";
inline constexpr std::string_view xforward_ehlo_line =
    "XFORWARD NAME ADDR PROTO HELO IDENT SOURCE PORT";

/// Postfix's valid_hostname(): at most 255 octets, labels of 1 to 63 letters, digits, '-' or
/// '_', no label beginning or ending with '-', and not all digits (an address is no name).
inline bool valid_forwarded_hostname(std::string_view name) noexcept {
    if (name.empty() || name.size() > 255) return false;
    std::size_t label = 0;
    bool all_numeric = true;
    char previous = '.';
    for (char c : name) {
        if (c == '.') {
            if (label == 0 || previous == '-') return false;
            label = 0;
        } else if (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                   c == '_') {
            if (c == '-' && label == 0) return false;
            if (++label > 63) return false;
            if (!(c >= '0' && c <= '9')) all_numeric = false;
        } else {
            return false;
        }
        previous = c;
    }
    return previous != '-' && !all_numeric;
}

/// An IPv4 or IPv6 address (an IPv6 one with or without Postfix's `IPv6:` prefix), in its
/// normal text form; empty when `text` is none.
inline std::string normal_forwarded_address(std::string_view text) {
    if (text.size() > 5 && iequals(text.substr(0, 5), "IPv6:")) text.remove_prefix(5);
    if (text.empty() || text.size() >= 64) return {};
    char input[64];
    text.copy(input, text.size());
    input[text.size()] = '\0';
    unsigned char bytes[16];
    char output[INET6_ADDRSTRLEN];
    if (text.find(':') == std::string_view::npos) {
        if (inet_pton(AF_INET, input, bytes) != 1) return {};
        return inet_ntop(AF_INET, bytes, output, sizeof output) ? std::string(output)
                                                                : std::string();
    }
    if (inet_pton(AF_INET6, input, bytes) != 1) return {};
    return inet_ntop(AF_INET6, bytes, output, sizeof output) ? std::string(output) : std::string();
}

/// Parses `attr=value ...` into `out` (attributes not named keep their value). Returns the
/// empty reply when every attribute passed, or Postfix's 501 for the first that did not; then
/// `out` is partly updated and must be dropped (the caller parses into a copy).
inline reply parse_forwarding(forwarding_command which, std::string_view arg,
                              forwarded_client& out) {
    const bool xclient = which == forwarding_command::xclient;
    const std::string_view verb = xclient ? "XCLIENT" : "XFORWARD";
    auto bad = [](std::string_view attribute, std::string_view value) {
        return reply{501, "5.5.4 Bad " + std::string(attribute) + " syntax: " + std::string(value)};
    };
    auto is_port = [](std::string_view v) {
        if (v.empty() || v.size() > 5) return false;
        unsigned number = 0;
        for (char c : v) {
            if (c < '0' || c > '9') return false;
            number = number * 10 + unsigned(c - '0');
        }
        return number <= 65535; // Postfix takes any 5 digits; a port past 65535 names no port
    };
    bool any = false;
    std::string value;
    while (!arg.empty()) {
        std::size_t space = arg.find_first_of(" \t");
        std::string_view token = arg.substr(0, space);
        arg = space == std::string_view::npos ? std::string_view{} : arg.substr(space + 1);
        if (token.empty()) continue;
        any = true;
        std::size_t equals = token.find('=');
        if (equals == std::string_view::npos || equals + 1 == token.size())
            return {501, "5.5.4 Error: attribute=value expected"};
        std::string_view name = token.substr(0, equals);
        std::string_view raw = token.substr(equals + 1);
        if (raw.size() > 255) return {501, "5.5.4 Error: attribute value too long"};
        // Postfix before 2.3 sent values without xtext: a value that is no xtext is taken as is.
        if (!decode_xtext(raw, value)) value.assign(raw);
        for (char& c : value) // what could forge a reply line or a header becomes '?'
            if (c < ' ' || c > '~') c = '?';
        const bool unavailable = value == "[UNAVAILABLE]";
        const bool temporary = value == "[TEMPUNAVAIL]";
        if (iequals(name, "NAME")) {
            if (unavailable || temporary)
                value = "unknown";
            else if (!valid_forwarded_hostname(value))
                return bad("NAME", value);
            out.name = value;
        } else if (iequals(name, "ADDR") || (xclient && iequals(name, "DESTADDR"))) {
            bool dest = name.size() == 8;
            if (unavailable) {
                value = "unknown";
            } else {
                std::string normal = normal_forwarded_address(value);
                if (normal.empty()) return bad(dest ? "DESTADDR" : "ADDR", value);
                value = std::move(normal);
            }
            (dest ? out.dest_addr : out.addr) = value;
        } else if (iequals(name, "PORT") || (xclient && iequals(name, "DESTPORT"))) {
            bool dest = name.size() == 8;
            if (unavailable)
                value = "unknown";
            else if (!is_port(value))
                return bad(dest ? "DESTPORT" : "PORT", value);
            (dest ? out.dest_port : out.port) = value;
        } else if (iequals(name, "HELO")) {
            if (unavailable)
                value.clear();
            else if (value.size() > 255)
                return bad("HELO", value);
            out.helo = value;
        } else if (iequals(name, "PROTO")) {
            if (xclient) {
                if (!iequals(value, "SMTP") && !iequals(value, "ESMTP")) return bad("PROTO", value);
                to_upper(value);
            } else if (unavailable) {
                value = "unknown";
            } else if (value.size() > 64) {
                return bad("PROTO", value);
            }
            out.proto = value;
        } else if (xclient && iequals(name, "LOGIN")) {
            out.login = unavailable ? std::string() : value;
        } else if (!xclient && iequals(name, "IDENT")) {
            out.ident = unavailable ? std::string("unknown") : value;
        } else if (!xclient && iequals(name, "SOURCE")) {
            if (unavailable) value = "LOCAL";
            if (!iequals(value, "LOCAL") && !iequals(value, "REMOTE")) return bad("SOURCE", value);
            to_upper(value);
            out.source = value;
        } else {
            std::string shown(name); // control octets cannot come from the core; shown safe anyway
            for (char& c : shown)
                if (c < ' ' || c > '~') c = '?';
            return {501, "5.5.4 Bad " + std::string(verb) + " attribute name: " + shown};
        }
    }
    if (!any) return {501, "5.5.4 Syntax: " + std::string(verb) + " attribute=value..."};
    return {};
}

/// A checked XCLIENT address ("192.0.2.1", "2001:db8::1" or "unknown") as a peer_address's
/// host and family; the port is left alone.
inline void set_forwarded_address(peer_address& to, std::string_view addr) {
    bool known = addr != "unknown";
    to.host = known ? std::string(addr) : std::string();
    to.family = !known                                     ? peer_address::family_type::unknown
                : addr.find(':') != std::string_view::npos ? peer_address::family_type::ipv6
                                                           : peer_address::family_type::ipv4;
}

/// A checked XCLIENT port (at most 65535, or "unknown": 0).
inline std::uint16_t forwarded_port(std::string_view port) noexcept {
    unsigned number = 0;
    for (char c : port)
        if (c >= '0' && c <= '9') number = number * 10 + unsigned(c - '0');
    return std::uint16_t(number);
}

} // namespace smtp::detail

#endif
