#ifndef SMTP_IMPL_RECEIVED_IPP
#define SMTP_IMPL_RECEIVED_IPP

// The definitions of smtp/received.hpp's functions that are not templates (SMTP_DECL):
// compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/received.hpp>

namespace smtp {

SMTP_DECL std::string received_protocol(const session& s, bool lmtp) {
    if (!lmtp && !s.extended_smtp) return "SMTP";
    std::string with = lmtp ? "LMTP" : "ESMTP";
    if (s.ssl) with.push_back('S');
    if (s.authenticated) with.push_back('A');
    return with;
}

SMTP_DECL std::string rfc5322_date(std::chrono::system_clock::time_point when) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char text[40];
    int n = std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                          days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
                          tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return std::string(text, std::size_t(n > 0 ? n : 0));
}

SMTP_DECL std::string received_header(const session& s, const envelope_base& env,
                                      std::string_view by, bool lmtp,
                                      std::chrono::system_clock::time_point when) {
    std::string helo = s.host_name;
    std::string name = s.xclient && !s.xclient->name.empty() ? s.xclient->name : "unknown";
    std::string addr = s.peer.host;
    bool v6 = s.peer.family == peer_address::family_type::ipv6;
    std::string with = received_protocol(s, lmtp);
    if (env.xforward) {
        const forwarded_client& x = *env.xforward;
        if (!x.helo.empty()) helo = x.helo;
        if (!x.name.empty()) name = x.name;
        if (!x.addr.empty()) {
            addr = x.addr == "unknown" ? std::string() : x.addr;
            v6 = addr.find(':') != std::string::npos;
        }
        if (!x.proto.empty() && x.proto != "unknown") with = x.proto;
    }
    std::string out = "Received: from ";
    out.append(helo.empty() ? name : helo).append(" (").append(name);
    if (!addr.empty()) out.append(" [").append(v6 ? "IPv6:" : "").append(addr).append("]");
    out.append(")");
    if (s.ssl) {
        const tls_info& tls = *s.ssl;
        out.append("\r\n\t(using ").append(tls.version).append(" with cipher ").append(tls.cipher);
        const std::string& c = tls.cipher;
        const char* bits =
            c.find("AES_256") != std::string::npos || c.find("AES256") != std::string::npos ||
                    c.find("CHACHA20") != std::string::npos
                ? "256/256"
            : c.find("AES_128") != std::string::npos || c.find("AES128") != std::string::npos
                ? "128/128"
                : nullptr;
        if (bits) out.append(" (").append(bits).append(" bits)");
        out.append(")");
    }
    out.append("\r\n\tby ").append(by).append(" with ").append(with);
    const std::string& id = !env.message_id.empty() ? env.message_id : s.id;
    if (!id.empty()) out.append(" id ").append(id);
    if (env.rcpt_tos.size() == 1)
        out.append("\r\n\tfor <").append(env.rcpt_tos.front()).append(">");
    out.append("; ").append(rfc5322_date(when)).append("\r\n");
    return out;
}

} // namespace smtp

#endif
