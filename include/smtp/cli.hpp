#ifndef SMTP_CLI_HPP
#define SMTP_CLI_HPP

#include <smtp/connection.hpp>
#include <smtp/controller.hpp>
#include <smtp/hooks.hpp>
#include <smtp/options.hpp>
#include <smtp/server.hpp>
#include <smtp/session.hpp>
#include <smtp/usage_error.hpp>
#include <smtp/version.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

/// \file
/// The command line of `python -m aiosmtpd`, for any list of handler types.
///
/// \code
/// int main(int argc, char** argv) {
///     return smtp::cli::main<smtp::handlers::debugging, smtp::handlers::sink>(argc, argv);
/// }
/// \endcode
///
/// `-c NAME [CLASSARGS...]` picks a handler by its `static constexpr const char* cli_name`; it is
/// built with `static Handler from_cli(std::span<const std::string> args)` (which throws
/// `smtp::usage_error` on bad arguments), or default-constructed when it has no `from_cli` (and
/// then takes no arguments). The default class is `Debugging` when the list has it, else the
/// first handler. A dotted aiosmtpd path works too: `-c aiosmtpd.handlers.Sink` means `Sink`.
///
/// | option | default | meaning |
/// |---|---|---|
/// | `-h`, `--help` | | help on stdout, exit 0 |
/// | `-v`, `--version` | | `<prog> <smtp::version_string>` on stdout, exit 0 |
/// | `-n`, `--nosetuid` | drop privileges | see below |
/// | `-c`, `--class NAME` | `Debugging` | the handler; CLASSARGS are its arguments |
/// | `-s`, `--size LIMIT` | no limit | `data_size_limit` (no SIZE advertised without it) |
/// | `-u`, `--smtputf8` | off | `enable_smtputf8` |
/// | `-d`, `--debug` | 0 | repeatable; see below |
/// | `-l`, `--listen [HOST][:PORT]` | `localhost:8025` | where to listen; see below |
/// | `--hostname NAME` | the machine's | `options.hostname` (new) |
/// | `--timeout SECONDS` | 300 | `options.timeout`, fractions allowed (new) |
/// | `--command-call-limit N` | none | `options.command_call_limit = {N}`; 0: none (new) |
///
/// "(new)": not in aiosmtpd's command line. `-l` splits at the last colon as aiosmtpd does
/// (`foo` → foo:8025, `:25` → localhost:25, `::0:25` → ::0 port 25), and also takes
/// `[::1]:25`. CLASSARGS are all the positional arguments; use `--` before any that begins
/// with `-`.
///
/// Usage errors (bad option, unknown class, bad CLASSARGS, bad port) print the usage line and
/// `<prog>: error: <message>` on stderr and exit 2, as argparse's `parser.error`. A port that is
/// not a number in 0–65535 is `Invalid port number: <x>` (aiosmtpd says so for non-numbers and
/// dies with a traceback for out-of-range numbers). A host name binds every address it resolves
/// to (as asyncio's `create_server`); "" binds all interfaces.
///
/// **Privileges.** Without `-n`, a process running as root drops to user `nobody`
/// (setgroups, setgid, setuid) *after* binding, so `-l :25` works; if that fails it exits 1. A
/// process not running as root is left as it is (aiosmtpd fails there and asks for `-n`).
///
/// **Stopping.** SIGINT or SIGTERM stops accepting, lets the work already queued run (so a
/// reply already handed to the socket goes out), closes every connection, and exits 0. A hook
/// still waiting on something is abandoned, as `smtp::controller::stop()` does.
///
/// **Output.** Nothing on stdout but the handler's (Debugging prints messages there). `-d` logs
/// to stderr in aiosmtpd's `mail.log` format: `Server is listening on HOST:PORT`, each
/// connection, each command line received (`>> b'EHLO x'`) and each reply line sent
/// (`<< b'250 OK'`); `-dd` adds the message lines. AUTH arguments and responses are masked.
/// The trace relays each connection through a loopback socket pair so that it sees the bytes
/// exactly as they pass; hooks still see the client's real address in `session.peer` (unless
/// the handler class is `final`: it cannot be wrapped, and sees the relay's address).
namespace smtp::cli {

/// The command line as parsed, before it meets the handler list.
struct arguments {
    bool help = false;
    bool version = false;
    /// Drop root privileges to `nobody` after binding (`-n` clears it).
    bool setuid = true;
    /// `-c`; empty means the default class.
    std::string handler_class = {};
    /// CLASSARGS: every positional argument.
    std::vector<std::string> handler_args = {};
    /// `-s`; 0 means no limit.
    std::size_t size = 0;
    bool smtputf8 = false;
    /// Number of `-d`.
    int debug = 0;
    /// `-l` as given; absent (or `-l` alone) means localhost:8025.
    std::optional<std::string> listen = std::nullopt;
    std::string hostname = {};
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;
    /// `--command-call-limit`; 0 means no limit.
    std::size_t command_call_limit = 0;
};

/// Parses the arguments after the program name. Stops at `-h` or `-v` as argparse does.
/// Throws `smtp::usage_error` with argparse's wording.
inline arguments parse(std::span<const std::string> args);

/// Parses `-l`'s `[HOST][:PORT]`. Throws `smtp::usage_error("Invalid port number: <x>")`.
inline listen_address parse_listen(std::string_view spec);

/// The server options the arguments ask for.
inline smtp::options make_options(const arguments& args);

/// `usage: <prog> [-h] ...` with its trailing newline.
inline std::string usage(std::string_view prog);

/// The `--help` text, naming the handler classes available.
inline std::string help(std::string_view prog, std::span<const std::string_view> classes);

/// Runs the server the arguments describe until SIGINT or SIGTERM; returns the exit status
/// (0, 1 on bind or privilege errors, 2 on usage errors). Prints errors to stderr.
template <class... Handlers>
int run(const arguments& args, std::string_view prog = "smtpd");

/// The whole program: parse, `--help`, `--version`, run. The program name is argv[0]'s last
/// path component.
template <class... Handlers>
int main(int argc, char** argv);

} // namespace smtp::cli

// ---------------------------------------------------------------------------------------------
// Definitions
// ---------------------------------------------------------------------------------------------

namespace smtp::cli {

namespace detail {

enum class option_id {
    help,
    version,
    nosetuid,
    handler_class,
    size,
    smtputf8,
    debug,
    listen,
    hostname,
    timeout,
    command_call_limit
};
enum class value_kind { none, required, optional };

struct option_spec {
    option_id id;
    char short_name; // '\0' when there is none
    std::string_view long_name;
    value_kind value;
    std::string_view display; // how argparse names it in messages: "-s/--size"
};

inline constexpr std::array<option_spec, 11> option_table{{
    {option_id::help, 'h', "help", value_kind::none, "-h/--help"},
    {option_id::version, 'v', "version", value_kind::none, "-v/--version"},
    {option_id::nosetuid, 'n', "nosetuid", value_kind::none, "-n/--nosetuid"},
    {option_id::handler_class, 'c', "class", value_kind::required, "-c/--class"},
    {option_id::size, 's', "size", value_kind::required, "-s/--size"},
    {option_id::smtputf8, 'u', "smtputf8", value_kind::none, "-u/--smtputf8"},
    {option_id::debug, 'd', "debug", value_kind::none, "-d/--debug"},
    {option_id::listen, 'l', "listen", value_kind::optional, "-l/--listen"},
    {option_id::hostname, '\0', "hostname", value_kind::required, "--hostname"},
    {option_id::timeout, '\0', "timeout", value_kind::required, "--timeout"},
    {option_id::command_call_limit, '\0', "command-call-limit", value_kind::required,
     "--command-call-limit"},
}};

// argparse takes "-5" as a value rather than an option when no option looks like a number.
inline bool looks_like_negative_number(std::string_view arg) {
    if (arg.size() < 2 || arg[0] != '-') return false;
    double ignored = 0;
    auto [end, ec] = std::from_chars(arg.data() + 1, arg.data() + arg.size(), ignored);
    return ec == std::errc{} && end == arg.data() + arg.size();
}

inline bool looks_like_option(std::string_view arg) {
    return arg.size() > 1 && arg[0] == '-' && !looks_like_negative_number(arg);
}

inline const option_spec& find_short(char name, std::string_view arg) {
    for (const auto& o : option_table)
        if (o.short_name != '\0' && o.short_name == name) return o;
    throw usage_error("unrecognized arguments: " + std::string(arg));
}

// Exact long names, or an unambiguous prefix (argparse's allow_abbrev).
inline const option_spec& find_long(std::string_view name, std::string_view arg) {
    const option_spec* found = nullptr;
    std::string candidates;
    std::size_t matches = 0;
    for (const auto& o : option_table) {
        if (o.long_name == name) return o;
        if (!name.empty() && o.long_name.starts_with(name)) {
            candidates.append(matches++ ? ", --" : "--").append(o.long_name);
            found = &o;
        }
    }
    if (matches > 1)
        throw usage_error("ambiguous option: " + std::string(arg) + " could match " + candidates);
    if (found) return *found;
    throw usage_error("unrecognized arguments: " + std::string(arg));
}

// aiosmtpd's default class when the list has it; otherwise the first.
inline std::string_view default_class_name(std::span<const std::string_view> classes) {
    for (auto name : classes)
        if (name == "Debugging") return name;
    return classes.empty() ? std::string_view() : classes.front();
}

template <class Int>
Int parse_unsigned(std::string_view text, const option_spec& o) {
    Int value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        throw usage_error("argument " + std::string(o.display) +
                          ": invalid non-negative int value: '" + std::string(text) + "'");
    return value;
}

inline std::chrono::milliseconds parse_seconds(std::string_view text, const option_spec& o) {
    double seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !(seconds > 0) ||
        seconds > 1e9)
        throw usage_error("argument " + std::string(o.display) + ": invalid positive number: '" +
                          std::string(text) + "'");
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(seconds));
    return std::max(ms, std::chrono::milliseconds(1));
}

inline void apply(const option_spec& o, std::optional<std::string_view> value, arguments& out) {
    switch (o.id) {
    case option_id::help: out.help = true; break;
    case option_id::version: out.version = true; break;
    case option_id::nosetuid: out.setuid = false; break;
    case option_id::handler_class: out.handler_class = std::string(*value); break;
    case option_id::size: out.size = parse_unsigned<std::size_t>(*value, o); break;
    case option_id::smtputf8: out.smtputf8 = true; break;
    case option_id::debug: ++out.debug; break;
    case option_id::listen:
        if (value)
            out.listen = std::string(*value);
        else
            out.listen.reset(); // `-l` alone: argparse's const None, the default address
        break;
    case option_id::hostname:
        if (value->empty()) throw usage_error("argument --hostname: expected a non-empty name");
        out.hostname = std::string(*value);
        break;
    case option_id::timeout: out.timeout = parse_seconds(*value, o); break;
    case option_id::command_call_limit:
        out.command_call_limit = parse_unsigned<std::size_t>(*value, o);
        break;
    }
}

// Takes the option's value from `attached` ("--size=5", "-s5") or from the next argument.
inline std::optional<std::string_view> take_value(const option_spec& o,
                                                  std::optional<std::string_view> attached,
                                                  std::span<const std::string> args,
                                                  std::size_t& i) {
    if (o.value == value_kind::none) {
        if (attached)
            throw usage_error("argument " + std::string(o.display) +
                              ": ignored explicit argument '" + std::string(*attached) + "'");
        return std::nullopt;
    }
    if (attached) return attached;
    if (i + 1 < args.size() && !looks_like_option(args[i + 1])) return args[++i];
    if (o.value == value_kind::required)
        throw usage_error("argument " + std::string(o.display) + ": expected one argument");
    return std::nullopt;
}

inline bool stops_parsing(const arguments& a) {
    return a.help || a.version;
}

} // namespace detail

inline arguments parse(std::span<const std::string> args) {
    using namespace detail;
    arguments out;
    bool positional_only = false;
    for (std::size_t i = 0; i < args.size() && !stops_parsing(out); ++i) {
        std::string_view arg = args[i];
        if (positional_only || !looks_like_option(arg)) {
            out.handler_args.emplace_back(arg);
        } else if (arg == "--") {
            positional_only = true;
        } else if (arg.starts_with("--")) {
            std::size_t eq = arg.find('=');
            std::optional<std::string_view> attached;
            if (eq != std::string_view::npos) attached = arg.substr(eq + 1);
            const option_spec& o = find_long(arg.substr(2, eq - 2), arg);
            apply(o, take_value(o, attached, args, i), out);
        } else {
            // A cluster of short options: "-nd", "-dd", "-s100", "-ns" "100".
            for (std::size_t k = 1; k < arg.size() && !stops_parsing(out); ++k) {
                const option_spec& o = find_short(arg[k], arg);
                if (o.value == value_kind::none) {
                    apply(o, std::nullopt, out);
                    continue;
                }
                std::optional<std::string_view> attached;
                if (k + 1 < arg.size()) attached = arg.substr(k + 1);
                apply(o, take_value(o, attached, args, i), out);
                break;
            }
        }
    }
    return out;
}

inline listen_address parse_listen(std::string_view spec) {
    constexpr std::uint16_t default_port = 8025;
    constexpr std::string_view default_host = "localhost";
    std::string_view host, port;
    bool has_port = false;
    if (spec.starts_with('[') && spec.find(']') != std::string_view::npos) {
        // "[::1]:25": the brackets say where an IPv6 address ends (not in aiosmtpd).
        std::size_t close = spec.find(']');
        host = spec.substr(1, close - 1);
        std::string_view rest = spec.substr(close + 1);
        if (!rest.empty() && rest[0] != ':')
            throw usage_error("Invalid listen address: " + std::string(spec));
        has_port = !rest.empty();
        if (has_port) port = rest.substr(1);
    } else {
        // aiosmtpd's rpartition(":"): "::0:25" is ::0 port 25; a bare IPv6 address mis-splits.
        std::size_t colon = spec.rfind(':');
        if (colon == std::string_view::npos) {
            host = spec;
        } else {
            host = spec.substr(0, colon);
            port = spec.substr(colon + 1);
            has_port = true;
            if (host.empty()) host = default_host;
        }
    }
    listen_address where{std::string(host), default_port};
    if (has_port && !port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
            throw usage_error("Invalid port number: " + std::string(port));
        where.port = static_cast<std::uint16_t>(value);
    }
    return where;
}

inline smtp::options make_options(const arguments& args) {
    smtp::options opts;
    opts.hostname = args.hostname;
    opts.data_size_limit = args.size;
    opts.enable_smtputf8 = args.smtputf8;
    if (args.timeout) opts.timeout = *args.timeout;
    if (args.command_call_limit != 0) {
        call_limits limits;
        limits.default_limit = args.command_call_limit;
        opts.command_call_limit = std::move(limits);
    }
    return opts;
}

inline std::string usage(std::string_view prog) {
    std::string indent(prog.size() + 8, ' ');
    std::string out = "usage: ";
    out.append(prog).append(
        " [-h] [-v] [-n] [-c CLASS] [-s SIZE] [-u] [-d] [-l [[HOST][:PORT]]]\n");
    out.append(indent).append("[--hostname NAME] [--timeout SECONDS] [--command-call-limit N]\n");
    out.append(indent).append("[CLASSARGS ...]\n");
    return out;
}

inline std::string help(std::string_view prog, std::span<const std::string_view> classes) {
    std::string names;
    for (auto name : classes)
        names.append(names.empty() ? "" : ", ").append(name);
    std::string out = usage(prog);
    out.append(R"(
An RFC 5321 SMTP server with extensions.

positional arguments:
  CLASSARGS             Additional arguments passed to the handler CLASS.

options:
  -h, --help            show this help message and exit
  -v, --version         show program's version number and exit
  -n, --nosetuid        When run as root, this program drops privileges to user
                        `nobody' after binding, unless this flag is set.
  -c CLASS, --class CLASS
                        The handler class for SMTP events, one of: )")
        .append(names)
        .append(R"(.
                        Default: )")
        .append(detail::default_class_name(classes))
        .append(R"(.
  -s SIZE, --size SIZE  Restrict the total size of the incoming message to SIZE
                        bytes via the RFC 1870 SIZE extension. Default: no limit.
  -u, --smtputf8        Enable the SMTPUTF8 extension as defined in RFC 6531.
  -d, --debug           Increase debugging output on stderr: -d traces every
                        command and reply, -dd adds the message lines.
  -l [[HOST][:PORT]], --listen [[HOST][:PORT]]
                        Optional host and port to listen on. If the PORT part is
                        not given, then port 8025 is used. If only :PORT is
                        given, then localhost is used for the hostname. If
                        neither are given, localhost:8025 is used. An IPv6
                        address with a port is written [ADDRESS]:PORT.
  --hostname NAME       The host name in the greeting and the HELO and EHLO
                        replies. Default: the machine's name.
  --timeout SECONDS     Close connections idle this long (after a 421 reply).
                        Default: 300.
  --command-call-limit N
                        Allow each command at most N times per connection
                        (then 421 and close). Default: no limit.
)");
    return out;
}

} // namespace smtp::cli

namespace smtp::cli::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

inline int usage_failure(std::string_view prog, std::string_view message) {
    std::string text = usage(prog);
    text.append(prog).append(": error: ").append(message).push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stderr);
    return 2;
}

// ---- the -d trace ---------------------------------------------------------------------------

/// One line of aiosmtpd's log format on stderr, `INFO:mail.log:<text>`, in one write so that
/// lines never interleave.
inline void log_line(std::string_view level, std::string_view text) {
    std::string line;
    line.reserve(level.size() + text.size() + 11);
    line.append(level).append(":mail.log:").append(text).push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
}

/// Python's repr() of bytes, as aiosmtpd logs lines: `b'EHLO x'`.
inline std::string python_bytes_repr(std::string_view bytes) {
    bool has_single = bytes.find('\'') != std::string_view::npos;
    bool has_double = bytes.find('"') != std::string_view::npos;
    char quote = has_single && !has_double ? '"' : '\'';
    std::string out = "b";
    out.push_back(quote);
    for (char c : bytes) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '\t': out.append("\\t"); continue;
        case '\n': out.append("\\n"); continue;
        case '\r': out.append("\\r"); continue;
        case '\\': out.append("\\\\"); continue;
        default: break;
        }
        if (c == quote) {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20 || u >= 0x7f) {
            const char* hex = "0123456789abcdef";
            out.append("\\x").push_back(hex[u >> 4]);
            out.push_back(hex[u & 15]);
        } else {
            out.push_back(c);
        }
    }
    out.push_back(quote);
    return out;
}

inline bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return (a >= 'a' && a <= 'z' ? a - 32 : a) == (b >= 'a' && b <= 'z' ? b - 32 : b);
           });
}

/// `AUTH PLAIN <secret>` → `AUTH PLAIN ********` (aiosmtpd's sanitize()).
inline std::string mask_auth(std::string_view line) {
    std::size_t mechanism = line.find_first_not_of(' ', 5);
    std::size_t gap = mechanism == std::string_view::npos ? mechanism : line.find(' ', mechanism);
    std::size_t secret = gap == std::string_view::npos ? gap : line.find_first_not_of(' ', gap);
    if (secret == std::string_view::npos) return std::string(line);
    return std::string(line.substr(0, secret)) + "********";
}

inline peer_address peer_from(const tcp::endpoint& endpoint) {
    peer_address peer;
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    peer.family =
        address.is_v4() ? peer_address::family_type::ipv4 : peer_address::family_type::ipv6;
    peer.host = address.to_string();
    peer.port = endpoint.port();
    return peer;
}

/// Client addresses of relayed connections, by the port of the relay's end of the loopback
/// pair: the server sees `('127.0.0.1', that port)` as the peer. The command line runs one
/// thread, so no lock.
inline std::unordered_map<std::uint16_t, peer_address>& relayed_peers() {
    static std::unordered_map<std::uint16_t, peer_address> peers;
    return peers;
}

/// Gives a relayed session the client's address instead of the relay's. Not erased once used:
/// a session may start again on the same connection.
inline void restore_peer(session& s) {
    auto& peers = relayed_peers();
    if (peers.empty() || s.peer.family != peer_address::family_type::ipv4 ||
        s.peer.host != "127.0.0.1")
        return;
    if (auto it = peers.find(s.peer.port); it != peers.end()) s.peer = it->second;
}

// A relayed connection's hooks must still see the client in `session.peer`. The handler is
// wrapped in one layer per hook it declares; each layer restores the peer and calls the
// handler's hook. Hooks it does not declare stay undeclared (the server's defaults run), and
// everything else (other members, future hooks) is inherited unchanged.

/// The bottom of the chain: the handler itself.
template <class Handler>
struct handler_layer : Handler {
    handler_layer(std::in_place_t, Handler&& handler) : Handler(std::move(handler)) {}
};

#define SMTP_CLI_DETAIL_RESTORING_LAYER(name)                                                      \
    template <class Base>                                                                          \
    struct restoring_##name : Base {                                                               \
        template <class Inner>                                                                     \
        restoring_##name(std::in_place_t tag, Inner&& inner)                                       \
            : Base(tag, std::forward<Inner>(inner)) {}                                             \
        template <class... Args>                                                                   \
        auto name(connection& conn, Args&&... args)                                                \
            -> decltype(std::declval<Base&>().name(conn, std::forward<Args>(args)...)) {           \
            restore_peer(conn.session());                                                          \
            return Base::name(conn, std::forward<Args>(args)...);                                  \
        }                                                                                          \
    };                                                                                             \
    template <class Base>                                                                          \
    using restore_##name =                                                                         \
        std::conditional_t<::smtp::detail::declares_##name<Base>, restoring_##name<Base>, Base>;

SMTP_CLI_DETAIL_RESTORING_LAYER(handle_HELO)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_EHLO)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_NOOP)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_QUIT)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_RSET)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_VRFY)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_MAIL)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_RCPT)
SMTP_CLI_DETAIL_RESTORING_LAYER(handle_DATA)
#undef SMTP_CLI_DETAIL_RESTORING_LAYER

template <class Handler, bool = std::is_final_v<Handler>>
struct traced {
    using type = restore_handle_DATA<restore_handle_RCPT<restore_handle_MAIL<
        restore_handle_VRFY<restore_handle_RSET<restore_handle_QUIT<restore_handle_NOOP<
            restore_handle_EHLO<restore_handle_HELO<handler_layer<Handler>>>>>>>>>>;
    static type make(Handler&& handler) { return type(std::in_place, std::move(handler)); }
};

/// A final class cannot be wrapped: its hooks see the relay's address.
template <class Handler>
struct traced<Handler, true> {
    using type = Handler;
    static type make(Handler&& handler) { return std::move(handler); }
};

/// One relayed connection: the client's socket and the relay's end of the loopback pair.
struct relay {
    relay(tcp::socket client_socket, tcp::socket server_socket, peer_address client_peer,
          int debug_level)
        : client(std::move(client_socket)), server(std::move(server_socket)),
          peer(std::move(client_peer)), name(peer.python_repr()), level(debug_level) {
        boost::system::error_code ec;
        port = server.local_endpoint(ec).port();
        relayed_peers()[port] = peer;
        log_line("INFO", "Peer: " + name);
        log_line("INFO", name + " handling connection");
    }
    relay(const relay&) = delete;
    relay& operator=(const relay&) = delete;
    ~relay() {
        relayed_peers().erase(port);
        log_line("INFO", name + " connection lost");
    }

    /// Traces bytes passing in one direction, a line at a time.
    void trace(bool from_client, std::string_view bytes) {
        constexpr std::size_t max_line = 8192; // longer lines are traced in pieces
        std::string& partial = pending[from_client ? 1 : 0];
        while (!bytes.empty()) {
            std::size_t lf = bytes.find('\n');
            std::string_view piece = bytes.substr(0, lf == std::string_view::npos ? lf : lf + 1);
            bytes.remove_prefix(piece.size());
            partial.append(piece);
            if (lf == std::string_view::npos && partial.size() < max_line) break;
            std::string_view line = partial;
            if (line.ends_with('\n')) line.remove_suffix(1);
            if (line.ends_with('\r')) line.remove_suffix(1);
            trace_line(from_client, line);
            partial.clear();
        }
    }

    void trace_line(bool from_client, std::string_view line) {
        if (!from_client) {
            log_line("INFO", name + " << " + python_bytes_repr(line));
            std::string_view code = line.substr(0, 3);
            bool last = line.size() <= 3 || line[3] != '-';
            // Clients send the message only after 354, so the relay has seen it by then.
            if (code == "354") in_data = true;
            if (in_auth && last && code != "334") in_auth = false;
            return;
        }
        if (in_data) {
            if (line == ".") in_data = false;
            if (level >= 2) log_line("DEBUG", name + " DATA >> " + python_bytes_repr(line));
            return;
        }
        std::string shown;
        if (in_auth) {
            shown = "********"; // a SASL response: credentials
        } else if (starts_with_nocase(line, "AUTH ")) {
            shown = mask_auth(line);
            in_auth = true;
        } else {
            shown = line;
        }
        log_line("INFO", name + " >> " + python_bytes_repr(shown));
    }

    tcp::socket client;
    tcp::socket server;
    peer_address peer;
    std::string name;
    int level;
    std::uint16_t port = 0;
    bool in_data = false;
    bool in_auth = false;
    std::string pending[2];
};

inline void report_failure(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "smtp: session ended by an exception: %s\n", error.what());
    } catch (...) {
        std::fprintf(stderr, "smtp: session ended by an unknown exception\n");
    }
}

/// Copies one direction of a relayed connection until it ends.
inline asio::awaitable<void> pump(std::shared_ptr<relay> r, bool from_client) {
    tcp::socket& from = from_client ? r->client : r->server;
    tcp::socket& to = from_client ? r->server : r->client;
    std::array<char, 16384> buffer;
    bool write_failed = false;
    for (;;) {
        auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer),
                                                     asio::as_tuple(asio::use_awaitable));
        if (ec) break;
        r->trace(from_client, std::string_view(buffer.data(), n));
        auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                                              asio::as_tuple(asio::use_awaitable));
        if (write_ec) {
            write_failed = true;
            break;
        }
    }
    boost::system::error_code ignored;
    if (from_client && !write_failed) {
        // The client has finished sending: pass that on, and let the server answer what it got.
        r->server.shutdown(tcp::socket::shutdown_send, ignored);
    } else {
        // The server has closed (after its last reply, now passed on), or a side failed.
        r->client.shutdown(tcp::socket::shutdown_send, ignored);
        r->client.close(ignored);
        r->server.close(ignored);
    }
}

/// Makes a connected loopback pair through `pairs`. Only the accept loop that owns `pairs`
/// uses it, one pair at a time, so the connection accepted is this pair's unless another
/// process connected to the port (then it is dropped).
inline asio::awaitable<bool> connect_pair(tcp::acceptor& pairs, tcp::socket& near,
                                          tcp::socket& far) {
    boost::system::error_code ec;
    near.open(tcp::v4(), ec);
    // Bound before connecting (not by connect()), so no client connection from this host
    // shares the port: the port is what names the client to restore_peer().
    if (!ec) near.bind({asio::ip::address_v4::loopback(), 0}, ec);
    if (ec) co_return false;
    auto [connect_ec] =
        co_await near.async_connect(pairs.local_endpoint(ec), asio::as_tuple(asio::use_awaitable));
    if (connect_ec) co_return false;
    auto expected = near.local_endpoint(ec);
    for (;;) {
        auto [accept_ec] = co_await pairs.async_accept(far, asio::as_tuple(asio::use_awaitable));
        if (accept_ec) co_return false;
        if (far.remote_endpoint(ec) == expected) co_return true;
        far.close(ec);
    }
}

/// Accepts on `outer` and serves each connection through a tracing relay.
template <class Server>
asio::awaitable<void> relay_accept_loop(tcp::acceptor& outer, Server& server, int level) {
    auto executor = outer.get_executor();
    tcp::acceptor pairs(executor, {asio::ip::address_v4::loopback(), 0});
    for (;;) {
        tcp::socket client(executor);
        auto [ec] = co_await outer.async_accept(client, asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !outer.is_open()) co_return;
        if (ec) {
            // Out of descriptors or the like: back off briefly instead of spinning.
            asio::steady_timer pause(executor, std::chrono::milliseconds(50));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        tcp::socket near(executor), far(executor);
        if (!co_await connect_pair(pairs, near, far)) continue;
        boost::system::error_code peer_ec;
        auto client_endpoint = client.remote_endpoint(peer_ec);
        if (peer_ec) continue;
        client.set_option(tcp::no_delay(true), peer_ec);
        near.set_option(tcp::no_delay(true), peer_ec);
        auto r = std::make_shared<relay>(std::move(client), std::move(near),
                                         peer_from(client_endpoint), level);
        asio::co_spawn(executor, server.serve(connection::socket_type(std::move(far))),
                       report_failure);
        asio::co_spawn(executor, pump(r, false), report_failure);
        asio::co_spawn(executor, pump(std::move(r), true), report_failure);
    }
}

// ---- listening ------------------------------------------------------------------------------

inline bool is_missing_address(const boost::system::error_code& ec) {
    return ec == asio::error::address_family_not_supported ||
           ec == boost::system::errc::address_not_available;
}

/// The endpoints `-l` names: an IP address; every address a host name resolves to (as
/// asyncio's create_server); all interfaces for "" (dual-stack when the host has IPv6).
inline std::vector<tcp::endpoint> listen_endpoints(asio::io_context& io,
                                                   const listen_address& where) {
    boost::system::error_code ec;
    if (where.host.empty()) {
        tcp::socket probe(io);
        probe.open(tcp::v6(), ec);
        if (ec) return {{asio::ip::address_v4::any(), where.port}};
        return {{asio::ip::address_v6::any(), where.port}};
    }
    auto address = asio::ip::make_address(where.host, ec);
    if (!ec) return {{address, where.port}};
    tcp::resolver resolver(io);
    auto results = resolver.resolve(where.host, std::to_string(where.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service);
    std::vector<tcp::endpoint> endpoints;
    for (const auto& entry : results)
        if (std::find(endpoints.begin(), endpoints.end(), entry.endpoint()) == endpoints.end())
            endpoints.push_back(entry.endpoint());
    return endpoints;
}

/// Binds every endpoint with `bind_one`; throws the first real error. An address the machine
/// lacks (::1 for "localhost" on a host without IPv6) is skipped if another one is bound.
template <class BindOne>
std::vector<tcp::endpoint> bind_all(const std::vector<tcp::endpoint>& endpoints,
                                    BindOne&& bind_one) {
    std::vector<tcp::endpoint> bound;
    std::optional<boost::system::system_error> skipped;
    for (const auto& endpoint : endpoints) {
        try {
            bound.push_back(bind_one(endpoint));
        } catch (const boost::system::system_error& e) {
            if (!is_missing_address(e.code())) throw;
            if (!skipped) skipped = e;
        }
    }
    if (bound.empty() && skipped) throw *skipped;
    return bound;
}

inline std::unique_ptr<tcp::acceptor> open_acceptor(asio::io_context& io,
                                                    const tcp::endpoint& endpoint) {
    auto acceptor = std::make_unique<tcp::acceptor>(io);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    return acceptor;
}

inline std::string host_port(std::string_view host, std::uint16_t port) {
    std::string out;
    if (host.find(':') != std::string_view::npos)
        out.append("[").append(host).append("]");
    else
        out.append(host);
    return out.append(":").append(std::to_string(port));
}

// ---- privileges -----------------------------------------------------------------------------

/// When running as root, becomes `user`: supplementary groups first, then the group, then the
/// user (each step needs the privileges the next one drops). Returns what failed, or "".
inline std::string drop_privileges(const char* user) {
    if (::geteuid() != 0) return {};
    errno = 0;
    const ::passwd* entry = ::getpwnam(user);
    if (entry == nullptr)
        return errno ? std::string("getpwnam: ") + std::strerror(errno) : "no such user";
    const ::uid_t uid = entry->pw_uid; // copied: the next getpw* call may overwrite *entry
    const ::gid_t gid = entry->pw_gid;
    if (::setgroups(1, &gid) != 0) return std::string("setgroups: ") + std::strerror(errno);
    if (::setgid(gid) != 0) return std::string("setgid: ") + std::strerror(errno);
    if (::setuid(uid) != 0) return std::string("setuid: ") + std::strerror(errno);
    if (uid != 0 && (::setuid(0) == 0 || ::geteuid() == 0)) return "root could be regained";
    return {};
}

// ---- running --------------------------------------------------------------------------------

template <class Handler>
concept named_handler = requires {
    { Handler::cli_name } -> std::convertible_to<std::string_view>;
};

template <class Handler>
concept has_from_cli = requires(std::span<const std::string> args) {
    { Handler::from_cli(args) } -> std::convertible_to<Handler>;
};

template <class Handler>
Handler make_handler(std::span<const std::string> args) {
    if constexpr (has_from_cli<Handler>) {
        return Handler::from_cli(args);
    } else {
        if (!args.empty())
            throw usage_error(std::string("Handler class ") + Handler::cli_name +
                              " takes no arguments");
        return Handler{};
    }
}

/// Binds, drops privileges, and serves until SIGINT or SIGTERM.
template <class Server>
int serve(typename Server::handler_type handler, const arguments& args, const listen_address& where,
          std::string_view prog) {
    // Declared before the io_context so that it outlives the sessions the io_context destroys.
    Server server(std::move(handler), make_options(args));
    asio::io_context io(1);
    // The server's acceptors must go before the io_context does.
    struct closer {
        Server& server;
        ~closer() { server.close(); }
    } close_acceptors{server};
    std::vector<std::unique_ptr<tcp::acceptor>> relayed; // -d: listeners relayed for the trace
    const bool relay = args.debug > 0;
    std::vector<tcp::endpoint> bound;
    try {
        bound = bind_all(listen_endpoints(io, where), [&](const tcp::endpoint& endpoint) {
            if (!relay) return server.listen(io.get_executor(), endpoint);
            relayed.push_back(open_acceptor(io, endpoint));
            return relayed.back()->local_endpoint();
        });
    } catch (const boost::system::system_error& e) {
        std::fprintf(stderr, "%.*s: cannot listen on %s: %s\n", int(prog.size()), prog.data(),
                     host_port(where.host, where.port).c_str(), e.code().message().c_str());
        return 1;
    }
    if (args.setuid) {
        std::string failure = drop_privileges("nobody");
        if (!failure.empty()) {
            std::fprintf(stderr,
                         "%.*s: Cannot setuid \"nobody\" (%s); try running with -n option.\n",
                         int(prog.size()), prog.data(), failure.c_str());
            return 1;
        }
    }
    for (auto& acceptor : relayed)
        asio::co_spawn(io, relay_accept_loop(*acceptor, server, args.debug), report_failure);
    if (args.debug > 0 && !bound.empty())
        log_line("INFO", "Server is listening on " + host_port(where.host, bound.front().port()));

    asio::signal_set signals(io, SIGINT, SIGTERM);
    // A parent may have left them blocked, and a blocked signal would never reach the set.
    ::sigset_t stop_signals;
    ::sigemptyset(&stop_signals);
    ::sigaddset(&stop_signals, SIGINT);
    ::sigaddset(&stop_signals, SIGTERM);
    ::pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        server.close();
        for (auto& acceptor : relayed) {
            boost::system::error_code ignored;
            acceptor->close(ignored);
        }
        // Handlers already queued (a finished hook, a reply on its way) run before the stop;
        // then destroying the io_context closes every connection.
        asio::post(io, [&io] { io.stop(); });
    });
    for (;;) {
        try {
            io.run();
            break;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%.*s: %s\n", int(prog.size()), prog.data(), e.what());
        }
    }
    return 0;
}

template <class Handler>
int run_handler(const arguments& args, std::string_view prog) {
    std::optional<Handler> handler;
    listen_address where{"localhost", 8025};
    try {
        // aiosmtpd's order: the handler's arguments are checked before the address.
        handler.emplace(make_handler<Handler>(args.handler_args));
        if (args.listen) where = parse_listen(*args.listen);
    } catch (const usage_error& e) {
        return usage_failure(prog, e.what());
    }
    if (args.debug > 0) {
        using wrap = traced<Handler>;
        return serve<smtp::server<typename wrap::type>>(wrap::make(std::move(*handler)), args,
                                                        where, prog);
    }
    return serve<smtp::server<Handler>>(std::move(*handler), args, where, prog);
}

template <class... Handlers>
constexpr std::array<std::string_view, sizeof...(Handlers)> handler_names() {
    return {std::string_view(Handlers::cli_name)...};
}

template <std::size_t N>
constexpr bool all_distinct(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
        for (std::size_t j = i + 1; j < N; ++j)
            if (names[i] == names[j]) return false;
    return true;
}

inline std::string program_name(const char* argv0) {
    std::string_view name = argv0 ? argv0 : "";
    if (auto slash = name.rfind('/'); slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    return name.empty() ? "smtpd" : std::string(name);
}

} // namespace smtp::cli::detail

namespace smtp::cli {

template <class... Handlers>
int run(const arguments& args, std::string_view prog) {
    static_assert(sizeof...(Handlers) > 0, "smtp::cli needs at least one handler type");
    static_assert((detail::named_handler<Handlers> && ...),
                  "each handler needs `static constexpr const char* cli_name`");
    constexpr auto names = detail::handler_names<Handlers...>();
    static_assert(detail::all_distinct(names), "two handlers have the same cli_name");
    // A dotted aiosmtpd path names the class by its last part.
    std::string_view wanted = args.handler_class;
    if (auto dot = wanted.rfind('.'); dot != std::string_view::npos) wanted.remove_prefix(dot + 1);
    if (args.handler_class.empty()) wanted = detail::default_class_name(names);
    int status = 0;
    bool found = ((wanted == std::string_view(Handlers::cli_name) &&
                   (status = detail::run_handler<Handlers>(args, prog), true)) ||
                  ...);
    if (found) return status;
    std::string available;
    for (auto name : names)
        available.append(available.empty() ? "" : ", ").append(name);
    return detail::usage_failure(prog, "unknown handler class '" + args.handler_class +
                                           "' (available: " + available + ")");
}

template <class... Handlers>
int main(int argc, char** argv) {
    const std::string prog = detail::program_name(argc > 0 ? argv[0] : nullptr);
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i)
        args.emplace_back(argv[i]);
    arguments parsed;
    try {
        parsed = parse(args);
    } catch (const usage_error& e) {
        return detail::usage_failure(prog, e.what());
    }
    if (parsed.help) {
        constexpr auto names = detail::handler_names<Handlers...>();
        std::cout << help(prog, names) << std::flush;
        return 0;
    }
    if (parsed.version) {
        std::cout << prog << ' ' << version_string << std::endl;
        return 0;
    }
    return run<Handlers...>(parsed, prog);
}

} // namespace smtp::cli

#endif
