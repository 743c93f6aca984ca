#ifndef SMTP_CLIENT_FORWARDING_HPP
#define SMTP_CLIENT_FORWARDING_HPP

#include <smtp/client.hpp>
#include <smtp/detail/xtext.hpp>
#include <smtp/envelope.hpp>
#include <smtp/forwarded_client.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// \file
/// Telling the next server who the original client was, with Postfix's XFORWARD and XCLIENT
/// (XFORWARD_README, XCLIENT_README), when its EHLO offers them.
namespace smtp {

/// The original client of a message received in session `s`: what XFORWARD said when the
/// message came with it (a relay passes it on unchanged), else the session's client (NAME is
/// XCLIENT's or `[UNAVAILABLE]`: the server looks up no DNS). IDENT is the message's ID when the
/// server assigns IDs; SOURCE is REMOTE.
inline forwarded_client original_client(const session& s, const envelope_base& env) {
    if (env.xforward) return *env.xforward;
    forwarded_client c;
    const bool ip = s.peer.family == peer_address::family_type::ipv4 ||
                    s.peer.family == peer_address::family_type::ipv6;
    c.name = s.xclient && !s.xclient->name.empty() ? s.xclient->name : "[UNAVAILABLE]";
    c.addr = ip ? s.peer.host : "[UNAVAILABLE]";
    c.port = ip ? std::to_string(s.peer.port) : "[UNAVAILABLE]";
    c.proto = s.extended_smtp ? "ESMTP" : "SMTP";
    c.helo = s.host_name.empty() ? "[UNAVAILABLE]" : s.host_name;
    c.login = s.authenticated ? s.login_data : std::string();
    c.ident = env.message_id;
    c.source = "REMOTE";
    return c;
}

namespace detail {

/// `VERB A=v B=w …` lines of at most 512 octets, with the attributes of `who` that the server
/// listed after `verb` in its EHLO reply and that have a value, xtext-encoded.
inline std::vector<std::string> forwarding_commands(std::string_view verb, std::string_view offered,
                                                    const forwarded_client& who) {
    const std::pair<std::string_view, const std::string*> attributes[] = {
        {"NAME", &who.name},          {"ADDR", &who.addr},          {"PORT", &who.port},
        {"PROTO", &who.proto},        {"HELO", &who.helo},          {"LOGIN", &who.login},
        {"DESTADDR", &who.dest_addr}, {"DESTPORT", &who.dest_port}, {"IDENT", &who.ident},
        {"SOURCE", &who.source}};
    auto listed = [&](std::string_view name) {
        std::string_view rest = offered;
        while (!rest.empty()) {
            std::size_t space = rest.find(' ');
            if (iequals(rest.substr(0, space), name)) return true;
            rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        }
        return false;
    };
    std::vector<std::string> lines;
    std::string line(verb);
    for (auto [name, value] : attributes) {
        if (value->empty() || !listed(name)) continue;
        // `[UNAVAILABLE]` is sent as it is (it is valid xtext); every other value encoded.
        std::string item = std::string(name) + "=" + detail::encode_xtext(*value);
        if (line.size() > verb.size() && line.size() + 1 + item.size() > 512) {
            lines.push_back(std::move(line));
            line.assign(verb);
        }
        line.append(" ").append(item);
    }
    if (line.size() > verb.size()) lines.push_back(std::move(line));
    return lines;
}

} // namespace detail

/// Sends XFORWARD with the attributes of `who` the server announced (several commands when they
/// do not fit in one line), between EHLO and MAIL. Returns the last reply; the empty reply when
/// the server did not announce XFORWARD (nothing is sent). Throws `client_error` when the
/// server refuses a command.
inline boost::asio::awaitable<reply> send_xforward(client& c, const forwarded_client& who) {
    auto offered = c.server_extensions().parameters("XFORWARD");
    if (!offered) co_return reply{};
    std::vector<std::string> lines = detail::forwarding_commands("XFORWARD", *offered, who);
    reply last;
    for (const std::string& line : lines) {
        last = co_await c.command(line);
        if (last.code != 250) throw client_error("XFORWARD", last);
    }
    co_return last;
}

/// Sends XCLIENT with the attributes of `who` the server announced, then greets again with
/// `helo_name` (the server starts a new session, RFC-less but as Postfix does). Returns the
/// reply to XCLIENT (`220`); the empty reply when the server did not announce XCLIENT. Throws
/// `client_error` when the server refuses it.
inline boost::asio::awaitable<reply> send_xclient(client& c, const forwarded_client& who,
                                                  std::string helo_name) {
    auto offered = c.server_extensions().parameters("XCLIENT");
    if (!offered) co_return reply{};
    std::vector<std::string> lines = detail::forwarding_commands("XCLIENT", *offered, who);
    reply last;
    for (const std::string& line : lines) {
        last = co_await c.command(line);
        if (last.code != 220) throw client_error("XCLIENT", last);
        co_await c.ehlo(helo_name);
    }
    co_return last;
}

} // namespace smtp

#endif
