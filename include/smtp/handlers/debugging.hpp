#ifndef SMTP_HANDLERS_DEBUGGING_HPP
#define SMTP_HANDLERS_DEBUGGING_HPP

#include <smtp/detail/config.hpp>

#include <smtp/detail/utf8.hpp>
#include <smtp/envelope.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/usage_error.hpp>

#include <iostream>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

namespace smtp {
class connection;
}

namespace smtp::handlers {

/// Prints every message to a stream, exactly as aiosmtpd's `Debugging` handler does:
///
/// \verbatim
/// ---------- MESSAGE FOLLOWS ----------
/// mail options: ['SIZE=100']          (only when MAIL had parameters, then a blank line)
///
/// Subject: hello
/// X-Peer: ('127.0.0.1', 40000)        (inserted before the first empty line)
///
/// body
/// ------------ END MESSAGE ------------
/// \endverbatim
///
/// With DSN or REQUIRETLS parameters (which aiosmtpd refuses) their decoded values follow the
/// options, before the blank line:
///
/// \code{.unparsed}
/// dsn: RET=HDRS ENVID='QQ314159'
/// dsn for 'bob@foo.org': NOTIFY=SUCCESS,FAILURE ORCPT='rfc822;Bob@Foo.ORG'
/// requiretls: True
/// \endcode
///
/// After XCLIENT or XFORWARD (options::xclient_trusted, xforward_trusted) the attributes
/// received are printed the same way (and X-Peer is the client XCLIENT named):
///
/// \code{.unparsed}
/// xclient: NAME='mail.example' ADDR='192.0.2.7' PORT='4321' PROTO='ESMTP' HELO='mail.example'
/// xforward: NAME='relay.example' ADDR='198.51.100.2' IDENT='4Q2yLb'
/// \endcode
///
/// Usable alone or as a base of a user's handler. Safe to share between threads: each message
/// is printed whole.
class debugging {
public:
    /// Its name on the command line (`-c Debugging [stdout|stderr]`).
    static constexpr const char* cli_name = "Debugging";

    /// Prints to std::cout.
    debugging() : stream_(&std::cout) {}
    /// Prints to `stream`, which must outlive the handler.
    explicit debugging(std::ostream& stream) : stream_(&stream) {}

    /// `-c Debugging [stdout|stderr]`.
    static debugging from_cli(std::span<const std::string> args) {
        if (args.empty() || (args.size() == 1 && args[0] == "stdout")) return debugging(std::cout);
        if (args.size() == 1 && args[0] == "stderr") return debugging(std::cerr);
        throw usage_error("Debugging usage: [stdout|stderr]");
    }

    template <class Content>
    /// The hook: prints the message, answers `250 OK`.
    reply handle_DATA(connection&, session& s, envelope<Content>& env) {
        std::string text = format(s, env);
        std::lock_guard lock(print_mutex());
        stream_->write(text.data(), std::streamsize(text.size()));
        stream_->flush();
        return reply::ok();
    }

    /// The printed form of a message (what handle_DATA writes).
    template <class Content>
    static std::string format(const session& s, const envelope<Content>& env);

private:
    static std::mutex& print_mutex() {
        static std::mutex m;
        return m;
    }

    std::ostream* stream_;
};

namespace detail {

/// Python's repr() of an ASCII string, as in a printed list.
SMTP_DECL void append_python_repr(std::string& out, std::string_view s);

SMTP_DECL void append_python_list(std::string& out, const std::vector<std::string>& items);

/// Appends `line` decoded as UTF-8 with invalid bytes replaced by U+FFFD (Python's
/// `decode("utf-8", "replace")`).
SMTP_DECL void append_utf8_replacing(std::string& out, std::string_view line);

/// The decoded DSN parameters, one line for MAIL's and one per recipient that has any; returns
/// whether it wrote anything.
SMTP_DECL bool append_dsn(std::string& out, const envelope_base& env);

/// `<label>: NAME='…' ADDR='…' …`, the attributes that are set, and a newline; nothing when
/// there is nothing to print. Returns whether it wrote anything.
SMTP_DECL bool append_forwarded(std::string& out, std::string_view label,
                                const forwarded_client* client);

} // namespace detail

template <class Content>
std::string debugging::format(const session& s, const envelope<Content>& env) {
    std::string out = "---------- MESSAGE FOLLOWS ----------\n";
    bool separator = false;
    if (!env.mail_options.empty()) {
        out.append("mail options: ");
        detail::append_python_list(out, env.mail_options);
        out.push_back('\n');
        separator = true;
    }
    if (!env.rcpt_options.empty()) {
        out.append("rcpt options: ");
        detail::append_python_list(out, env.rcpt_options);
        out.push_back('\n');
        separator = true;
    }
    separator = detail::append_dsn(out, env) || separator;
    if (env.require_tls) {
        out.append("requiretls: True\n");
        separator = true;
    }
    separator = detail::append_forwarded(out, "xclient", s.xclient.get()) || separator;
    separator = detail::append_forwarded(out, "xforward", env.xforward.get()) || separator;
    if (separator) out.push_back('\n');
    // Lines as Python's bytes.splitlines() cuts them: at CRLF, CR or LF.
    std::string_view content = env.original_content;
    bool in_headers = true;
    while (!content.empty()) {
        std::size_t end = content.find_first_of("\r\n");
        std::string_view line = content.substr(0, end);
        if (in_headers && line.empty()) {
            out.append("X-Peer: ").append(s.peer.python_repr()).push_back('\n');
            in_headers = false;
        }
        detail::append_utf8_replacing(out, line);
        out.push_back('\n');
        if (end == std::string_view::npos) break;
        std::size_t skip =
            (content[end] == '\r' && end + 1 < content.size() && content[end + 1] == '\n') ? 2 : 1;
        content.remove_prefix(end + skip);
    }
    out.append("------------ END MESSAGE ------------\n");
    return out;
}

#if !defined(SMTP_HEADER_ONLY)
// The built-in decode policies' content (a string_view): compiled once in <smtp/src.hpp>.
extern template std::string debugging::format(const session&, const envelope<std::string_view>&);
#endif

} // namespace smtp::handlers

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/debugging.ipp>
#endif

#endif
