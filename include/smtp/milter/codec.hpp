#ifndef SMTP_MILTER_CODEC_HPP
#define SMTP_MILTER_CODEC_HPP

#include <smtp/reply.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// \file
/// The milter protocol (version 6, as Sendmail's libmilter and Postfix speak it), sans I/O: the
/// packets the MTA sends (SMFIC_*), and a reader and parser for the filter's (SMFIR_*).
///
/// A packet is a 4-octet length in network order (counting the command octet and the data),
/// one command octet, then the data. Strings in the data end with a NUL.
namespace smtp::milter {

/// The protocol version this side speaks.
inline constexpr std::uint32_t protocol_version = 6;

/// The largest body chunk sent in one SMFIC_BODY (libmilter's MILTER_CHUNK_SIZE).
inline constexpr std::size_t body_chunk_size = 65535;

/// The largest packet accepted from a filter: a replaced body chunk or a header is far smaller,
/// so anything bigger is a broken or hostile filter.
inline constexpr std::size_t max_packet_size = 1024 * 1024 + 64;

/// Command octets the MTA sends (libmilter's SMFIC_*).
namespace command {
inline constexpr char abort = 'A';         ///< SMFIC_ABORT: the message is abandoned
inline constexpr char body = 'B';          ///< SMFIC_BODY: a body chunk
inline constexpr char connect = 'C';       ///< SMFIC_CONNECT: client name, family, port, address
inline constexpr char macro = 'D';         ///< SMFIC_MACRO: macros for the next command
inline constexpr char end_of_body = 'E';   ///< SMFIC_BODYEOB: end of message
inline constexpr char helo = 'H';          ///< SMFIC_HELO
inline constexpr char quit_nc = 'K';       ///< SMFIC_QUIT_NC: quit, keep the connection
inline constexpr char header = 'L';        ///< SMFIC_HEADER: name, value
inline constexpr char mail = 'M';          ///< SMFIC_MAIL: sender, then ESMTP parameters
inline constexpr char end_of_header = 'N'; ///< SMFIC_EOH
inline constexpr char optneg = 'O';        ///< SMFIC_OPTNEG: option negotiation
inline constexpr char quit = 'Q';          ///< SMFIC_QUIT
inline constexpr char rcpt = 'R';          ///< SMFIC_RCPT: recipient, then ESMTP parameters
inline constexpr char data = 'T';          ///< SMFIC_DATA
inline constexpr char unknown = 'U';       ///< SMFIC_UNKNOWN: an unknown SMTP command
} // namespace command

/// Reply octets a filter sends (libmilter's SMFIR_*).
namespace response_code {
inline constexpr char add_rcpt = '+';        ///< SMFIR_ADDRCPT
inline constexpr char del_rcpt = '-';        ///< SMFIR_DELRCPT
inline constexpr char add_rcpt_par = '2';    ///< SMFIR_ADDRCPT_PAR: recipient with parameters
inline constexpr char shutdown = '4';        ///< SMFIR_SHUTDOWN
inline constexpr char accept = 'a';          ///< SMFIR_ACCEPT
inline constexpr char replace_body = 'b';    ///< SMFIR_REPLBODY
inline constexpr char continue_ = 'c';       ///< SMFIR_CONTINUE
inline constexpr char discard = 'd';         ///< SMFIR_DISCARD
inline constexpr char change_from = 'e';     ///< SMFIR_CHGFROM
inline constexpr char connection_fail = 'f'; ///< SMFIR_CONN_FAIL
inline constexpr char add_header = 'h';      ///< SMFIR_ADDHEADER
inline constexpr char insert_header = 'i';   ///< SMFIR_INSHEADER
inline constexpr char set_macro_list = 'l';  ///< SMFIR_SETSYMLIST
inline constexpr char change_header = 'm';   ///< SMFIR_CHGHEADER
inline constexpr char progress = 'p';        ///< SMFIR_PROGRESS
inline constexpr char quarantine = 'q';      ///< SMFIR_QUARANTINE
inline constexpr char reject = 'r';          ///< SMFIR_REJECT
inline constexpr char skip = 's';            ///< SMFIR_SKIP
inline constexpr char tempfail = 't';        ///< SMFIR_TEMPFAIL
inline constexpr char reply_code = 'y';      ///< SMFIR_REPLYCODE
inline constexpr char optneg = 'O';          ///< SMFIR_OPTNEG (the negotiation's answer)
} // namespace response_code

/// Actions a filter may take at end of message (SMFIF_*), offered by the MTA in SMFIC_OPTNEG.
namespace action {
inline constexpr std::uint32_t add_headers = 0x001;    ///< SMFIF_ADDHDRS
inline constexpr std::uint32_t change_body = 0x002;    ///< SMFIF_CHGBODY
inline constexpr std::uint32_t add_rcpt = 0x004;       ///< SMFIF_ADDRCPT
inline constexpr std::uint32_t del_rcpt = 0x008;       ///< SMFIF_DELRCPT
inline constexpr std::uint32_t change_headers = 0x010; ///< SMFIF_CHGHDRS
inline constexpr std::uint32_t quarantine = 0x020;     ///< SMFIF_QUARANTINE
inline constexpr std::uint32_t change_from = 0x040;    ///< SMFIF_CHGFROM
inline constexpr std::uint32_t add_rcpt_par = 0x080;   ///< SMFIF_ADDRCPT_PAR
inline constexpr std::uint32_t set_macro_list = 0x100; ///< SMFIF_SETSYMLIST
/// Every action this side carries out.
inline constexpr std::uint32_t all = 0x1ff;
} // namespace action

/// Protocol steps (SMFIP_*): a filter sets them in its SMFIC_OPTNEG answer to skip a stage
/// (NO*) or to say it will not reply to one (NR_*).
namespace step {
inline constexpr std::uint32_t no_connect = 0x000001;       ///< SMFIP_NOCONNECT
inline constexpr std::uint32_t no_helo = 0x000002;          ///< SMFIP_NOHELO
inline constexpr std::uint32_t no_mail = 0x000004;          ///< SMFIP_NOMAIL
inline constexpr std::uint32_t no_rcpt = 0x000008;          ///< SMFIP_NORCPT
inline constexpr std::uint32_t no_body = 0x000010;          ///< SMFIP_NOBODY
inline constexpr std::uint32_t no_headers = 0x000020;       ///< SMFIP_NOHDRS
inline constexpr std::uint32_t no_end_of_header = 0x000040; ///< SMFIP_NOEOH
inline constexpr std::uint32_t no_reply_header = 0x000080;  ///< SMFIP_NR_HDR
inline constexpr std::uint32_t no_unknown = 0x000100;       ///< SMFIP_NOUNKNOWN
inline constexpr std::uint32_t no_data = 0x000200;          ///< SMFIP_NODATA
inline constexpr std::uint32_t skip = 0x000400;             ///< SMFIP_SKIP: SMFIR_SKIP understood
inline constexpr std::uint32_t rcpt_rejected = 0x000800;    ///< SMFIP_RCPT_REJ
inline constexpr std::uint32_t no_reply_connect = 0x001000; ///< SMFIP_NR_CONN
inline constexpr std::uint32_t no_reply_helo = 0x002000;    ///< SMFIP_NR_HELO
inline constexpr std::uint32_t no_reply_mail = 0x004000;    ///< SMFIP_NR_MAIL
inline constexpr std::uint32_t no_reply_rcpt = 0x008000;    ///< SMFIP_NR_RCPT
inline constexpr std::uint32_t no_reply_data = 0x010000;    ///< SMFIP_NR_DATA
inline constexpr std::uint32_t no_reply_unknown = 0x020000; ///< SMFIP_NR_UNKN
inline constexpr std::uint32_t no_reply_eoh = 0x040000;     ///< SMFIP_NR_EOH
inline constexpr std::uint32_t no_reply_body = 0x080000;    ///< SMFIP_NR_BODY
inline constexpr std::uint32_t header_leading_space = 0x100000; ///< SMFIP_HDR_LEADSPC
/// What this side offers: every step but SMFIP_RCPT_REJ (rejected recipients are not sent).
inline constexpr std::uint32_t offered = 0x1fffff & ~rcpt_rejected;
} // namespace step

/// The stages a filter may ask macros for (SMFIM_*), the index into negotiation::macros.
enum class macro_stage : std::uint32_t {
    connect = 0,
    helo = 1,
    mail = 2,
    rcpt = 3,
    data = 4,
    end_of_message = 5,
    end_of_header = 6
};

/// One packet: its command octet and its data.
struct packet {
    /// The command (SMFIC_*) or reply (SMFIR_*) octet.
    char code = 0;
    /// The octets after it.
    std::string data = {};
};

/// A macro: name (`j`, `{client_addr}`) and value.
using macro = std::pair<std::string, std::string>;

// --- the MTA's packets -------------------------------------------------------------------------

/// Appends one packet to `out`.
inline void append_packet(std::string& out, char code, std::string_view data) {
    auto length = std::uint32_t(data.size() + 1);
    out.push_back(char(length >> 24));
    out.push_back(char(length >> 16));
    out.push_back(char(length >> 8));
    out.push_back(char(length));
    out.push_back(code);
    out.append(data);
}

namespace detail {
inline void append_u32(std::string& out, std::uint32_t v) {
    out.push_back(char(v >> 24));
    out.push_back(char(v >> 16));
    out.push_back(char(v >> 8));
    out.push_back(char(v));
}
inline void append_string(std::string& out, std::string_view s) {
    // A NUL inside would end the string early on the filter's side: cut there.
    out.append(s.substr(0, s.find('\0'))).push_back('\0');
}
} // namespace detail

/// SMFIC_OPTNEG: version, actions and protocol steps offered.
inline std::string encode_optneg(std::uint32_t actions = action::all,
                                 std::uint32_t steps = step::offered) {
    std::string data;
    detail::append_u32(data, protocol_version);
    detail::append_u32(data, actions);
    detail::append_u32(data, steps);
    std::string out;
    append_packet(out, command::optneg, data);
    return out;
}

/// The address family of SMFIC_CONNECT.
enum class family : char { unknown = 'U', unix_socket = 'L', ipv4 = '4', ipv6 = '6' };

/// SMFIC_CONNECT: the client's host name, family, port and address.
inline std::string encode_connect(std::string_view host_name, family f, std::uint16_t port,
                                  std::string_view address) {
    std::string data;
    detail::append_string(data, host_name);
    data.push_back(char(f));
    if (f != family::unknown) {
        data.push_back(char(port >> 8));
        data.push_back(char(port));
        detail::append_string(data, address);
    }
    std::string out;
    append_packet(out, command::connect, data);
    return out;
}

/// SMFIC_MACRO: the macros for the command `for_command` that follows.
inline std::string encode_macros(char for_command, const std::vector<macro>& macros) {
    std::string data(1, for_command);
    for (const auto& [name, value] : macros) {
        detail::append_string(data, name);
        detail::append_string(data, value);
    }
    std::string out;
    append_packet(out, command::macro, data);
    return out;
}

/// A packet of NUL-terminated strings (SMFIC_HELO, MAIL, RCPT, HEADER).
inline std::string encode_strings(char code, const std::vector<std::string_view>& strings) {
    std::string data;
    for (auto s : strings)
        detail::append_string(data, s);
    std::string out;
    append_packet(out, code, data);
    return out;
}

/// A packet without data (SMFIC_DATA, EOH, BODYEOB, ABORT, QUIT).
inline std::string encode_empty(char code) {
    std::string out;
    append_packet(out, code, {});
    return out;
}

/// SMFIC_BODY: one chunk (at most body_chunk_size octets) of the body, as raw octets.
inline std::string encode_body(std::string_view chunk) {
    std::string out;
    append_packet(out, command::body, chunk);
    return out;
}

// --- the filter's packets ----------------------------------------------------------------------

/// Splits a stream of octets into packets. Feed what the socket gave; take packets while
/// next() has one. A length of 0 or over max_packet_size is an error (failed()).
class packet_reader {
public:
    /// Appends received octets.
    void feed(std::string_view bytes) { buffer_.append(bytes); }

    /// The next whole packet, if there is one.
    std::optional<packet> next() {
        if (failed_ || buffer_.size() - start_ < 4) return std::nullopt;
        const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + start_);
        std::uint32_t length = std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 |
                               std::uint32_t(p[2]) << 8 | std::uint32_t(p[3]);
        if (length == 0 || length > max_packet_size) {
            failed_ = true;
            return std::nullopt;
        }
        if (buffer_.size() - start_ - 4 < length) return std::nullopt;
        packet out{buffer_[start_ + 4], buffer_.substr(start_ + 5, length - 1)};
        start_ += 4 + length;
        if (start_ == buffer_.size()) {
            buffer_.clear();
            start_ = 0;
        }
        return out;
    }

    /// The stream broke the framing: nothing more can be read from it.
    bool failed() const noexcept { return failed_; }
    /// Octets received and not yet taken as packets.
    std::size_t pending() const noexcept { return buffer_.size() - start_; }

private:
    std::string buffer_;
    std::size_t start_ = 0;
    bool failed_ = false;
};

/// The filter's answer to SMFIC_OPTNEG.
struct negotiation {
    /// The protocol version the filter speaks (2 to 6).
    std::uint32_t version = 0;
    /// The actions it may take (action::*).
    std::uint32_t actions = 0;
    /// The steps it skips or does not answer (step::*).
    std::uint32_t steps = 0;
    /// Per macro_stage, the macro names it asked for with its answer (space-separated), if any.
    std::array<std::optional<std::string>, 7> macros = {};
};

namespace detail {
inline std::optional<std::uint32_t> read_u32(std::string_view& data) {
    if (data.size() < 4) return std::nullopt;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    std::uint32_t v = std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 |
                      std::uint32_t(p[2]) << 8 | std::uint32_t(p[3]);
    data.remove_prefix(4);
    return v;
}
// A NUL-terminated string; nothing when the NUL is missing.
inline std::optional<std::string_view> read_string(std::string_view& data) {
    auto nul = data.find('\0');
    if (nul == std::string_view::npos) return std::nullopt;
    std::string_view s = data.substr(0, nul);
    data.remove_prefix(nul + 1);
    return s;
}
} // namespace detail

/// Parses SMFIR_OPTNEG's data; nothing when it is malformed, when the filter asks for actions
/// or steps this side did not offer, or speaks a version below 2 or above 6.
inline std::optional<negotiation> parse_optneg(std::string_view data,
                                               std::uint32_t offered_actions = action::all,
                                               std::uint32_t offered_steps = step::offered) {
    negotiation n;
    auto version = detail::read_u32(data);
    auto actions = detail::read_u32(data);
    auto steps = detail::read_u32(data);
    if (!version || !actions || !steps) return std::nullopt;
    if (*version < 2 || *version > protocol_version) return std::nullopt;
    if ((*actions & ~offered_actions) != 0 || (*steps & ~offered_steps) != 0) return std::nullopt;
    n.version = *version;
    n.actions = *actions;
    n.steps = *steps;
    while (!data.empty()) {
        auto stage = detail::read_u32(data);
        if (!stage || *stage >= n.macros.size()) return std::nullopt;
        auto names = detail::read_string(data);
        if (!names) return std::nullopt;
        n.macros[*stage] = std::string(*names);
    }
    return n;
}

/// What a filter's reply packet says, decoded.
struct response {
    /// What it is.
    enum class kind {
        continue_,       ///< go on
        accept,          ///< accept: the filter wants nothing more of this message (or session)
        reject,          ///< reject (5xx)
        tempfail,        ///< temporary failure (4xx)
        discard,         ///< accept and drop the message
        reply_code,      ///< a reply of its own: `smtp_reply`
        skip,            ///< send no more body chunks
        progress,        ///< still working: wait longer
        quarantine,      ///< hold the message (`text`: the reason)
        connection_fail, ///< the filter gives up on the connection
        shutdown,        ///< the filter shuts down
        add_header,      ///< `name`, `value` appended
        insert_header,   ///< `name`, `value` inserted at `index` (0: first)
        change_header,   ///< the `index`th (1-based) `name` header changed to `value`; deleted
                         ///< when `value` is empty
        change_from,     ///< the sender becomes `text` (ESMTP parameters in `value`)
        add_rcpt,        ///< recipient `text` added (parameters in `value`)
        del_rcpt,        ///< recipient `text` removed
        replace_body,    ///< `text` is the next piece of the new body
        set_macro_list,  ///< not a reply: a macro list (handled by negotiation)
    };
    /// What it is.
    kind what = kind::continue_;
    /// The custom reply of a reply_code.
    smtp::reply smtp_reply = {};
    /// Header name.
    std::string name = {};
    /// Header value, or ESMTP parameters.
    std::string value = {};
    /// Address, body piece, or quarantine reason.
    std::string text = {};
    /// Header position (insert_header) or occurrence (change_header).
    std::uint32_t index = 0;

    /// True for the replies that end a command's exchange (all but modifications, progress).
    bool is_verdict() const noexcept {
        switch (what) {
        case kind::continue_:
        case kind::accept:
        case kind::reject:
        case kind::tempfail:
        case kind::discard:
        case kind::reply_code:
        case kind::skip:
        case kind::connection_fail:
        case kind::shutdown: return true;
        default: return false;
        }
    }
};

/// Parses SMFIR_REPLYCODE's text, `550 5.7.1 text` or several lines `550-5.7.1 a\r\n550 5.7.1 b`:
/// every line must start with the same 4xx or 5xx code followed by a space or `-` (the last by a
/// space). Nothing when it is malformed.
inline std::optional<smtp::reply> parse_reply_code(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.remove_suffix(1);
    if (text.size() < 3) return std::nullopt;
    smtp::reply out;
    for (bool first = true;; first = false) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.size() < 3 || line[0] < '4' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
            line[2] < '0' || line[2] > '9')
            return std::nullopt;
        int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (!first && code != out.code) return std::nullopt;
        out.code = code;
        bool last = end == std::string_view::npos;
        char separator = line.size() > 3 ? line[3] : ' ';
        if (separator != ' ' && separator != '-') return std::nullopt;
        if (last != (separator == ' ')) return std::nullopt;
        if (line.find('\r') != std::string_view::npos) return std::nullopt;
        if (!first) out.text.push_back('\n');
        out.text.append(line.size() > 4 ? line.substr(4) : std::string_view{});
        if (last) break;
        text.remove_prefix(end + 1);
    }
    return out;
}

/// Decodes a reply packet; nothing when its code is unknown or its data malformed.
inline std::optional<response> parse_response(const packet& p) {
    using kind = response::kind;
    std::string_view data = p.data;
    response r;
    auto strings = [&](std::string* first, std::string* second, bool second_optional) {
        auto a = detail::read_string(data);
        if (!a) return false;
        first->assign(*a);
        if (second) {
            auto b = detail::read_string(data);
            if (!b && !second_optional) return false;
            if (b) second->assign(*b);
        }
        return data.empty();
    };
    switch (p.code) {
    case response_code::continue_: r.what = kind::continue_; break;
    case response_code::accept: r.what = kind::accept; break;
    case response_code::reject: r.what = kind::reject; break;
    case response_code::tempfail: r.what = kind::tempfail; break;
    case response_code::discard: r.what = kind::discard; break;
    case response_code::skip: r.what = kind::skip; break;
    case response_code::progress: r.what = kind::progress; break;
    case response_code::connection_fail: r.what = kind::connection_fail; break;
    case response_code::shutdown: r.what = kind::shutdown; break;
    case response_code::set_macro_list: r.what = kind::set_macro_list; return r;
    case response_code::reply_code: {
        r.what = kind::reply_code;
        auto text = detail::read_string(data);
        if (!text || !data.empty()) return std::nullopt;
        auto parsed = parse_reply_code(*text);
        if (!parsed) return std::nullopt;
        r.smtp_reply = std::move(*parsed);
        return r;
    }
    case response_code::quarantine:
        r.what = kind::quarantine;
        if (!strings(&r.text, nullptr, false)) return std::nullopt;
        return r;
    case response_code::add_header:
        r.what = kind::add_header;
        if (!strings(&r.name, &r.value, false) || r.name.empty()) return std::nullopt;
        return r;
    case response_code::insert_header:
    case response_code::change_header: {
        r.what = p.code == response_code::insert_header ? kind::insert_header : kind::change_header;
        auto index = detail::read_u32(data);
        if (!index) return std::nullopt;
        r.index = *index;
        if (!strings(&r.name, &r.value, false) || r.name.empty()) return std::nullopt;
        return r;
    }
    case response_code::change_from:
        r.what = kind::change_from;
        if (!strings(&r.text, &r.value, true)) return std::nullopt;
        return r;
    case response_code::add_rcpt:
        r.what = kind::add_rcpt;
        if (!strings(&r.text, nullptr, false) || r.text.empty()) return std::nullopt;
        return r;
    case response_code::add_rcpt_par:
        r.what = kind::add_rcpt;
        if (!strings(&r.text, &r.value, true) || r.text.empty()) return std::nullopt;
        return r;
    case response_code::del_rcpt:
        r.what = kind::del_rcpt;
        if (!strings(&r.text, nullptr, false) || r.text.empty()) return std::nullopt;
        return r;
    case response_code::replace_body:
        r.what = kind::replace_body;
        r.text.assign(data);
        return r;
    default: return std::nullopt;
    }
    // The verdicts carry no data (libmilter sends none; a NUL or two are tolerated).
    if (data.find_first_not_of('\0') != std::string_view::npos) return std::nullopt;
    return r;
}

} // namespace smtp::milter

#endif
