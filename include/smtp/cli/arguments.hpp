#ifndef SMTP_CLI_ARGUMENTS_HPP
#define SMTP_CLI_ARGUMENTS_HPP

#include <smtp/detail/cidr.hpp>
#include <smtp/options.hpp>
#include <smtp/tls.hpp>
#include <smtp/usage_error.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

/// \file
/// The command line as argparse would parse it: the parsed arguments, `parse()`, the server
/// options they ask for, and the usage and help texts. Nothing here touches the network or the
/// handler list.
namespace smtp::cli {

/// The command line as parsed, before it meets the handler list.
struct arguments {
    /// `-h`.
    bool help = false;
    /// `-v`.
    bool version = false;
    /// Drop root privileges to `nobody` after binding (`-n` clears it).
    bool setuid = true;
    /// `-c`; empty means the default class.
    std::string handler_class = {};
    /// CLASSARGS: every positional argument.
    std::vector<std::string> handler_args = {};
    /// `-s`; 0 means no limit.
    std::size_t size = 0;
    /// `-u`.
    bool smtputf8 = false;
    /// Number of `-d`.
    int debug = 0;
    /// `-l` as given; absent (or `-l` alone) means localhost:8025.
    std::optional<std::string> listen = std::nullopt;
    /// `--hostname`; empty means the machine's name.
    std::string hostname = {};
    /// `--timeout`; absent means the default (300 s).
    std::optional<std::chrono::milliseconds> timeout = std::nullopt;
    /// `--command-call-limit`; 0 means no limit.
    std::size_t command_call_limit = 0;
    /// `--auth USER:PASSWORD`, each time given: the accounts PLAIN and LOGIN accept.
    std::vector<std::pair<std::string, std::string>> auth = {};
    /// `--auth-required`: MAIL, RCPT, DATA, VRFY and HELP need AUTH first.
    bool auth_required = false;
    /// Cleared by `--no-auth-require-tls`: AUTH allowed over plaintext.
    bool auth_require_tls = true;
    /// `-t/--tlscert` and `-k/--tlskey`: the certificate chain and key for TLS (PEM).
    std::string tls_cert = {};
    /// The private key for `tls_cert` (PEM).
    std::string tls_key = {};
    /// Cleared by `--no-requiretls`: with a certificate, STARTTLS is required by default.
    bool require_tls = true;
    /// `--smtps`: implicit TLS on the listener instead of STARTTLS.
    bool smtps = false;
    /// `--sni NAME:CERT:KEY`, each time given: more certificates, chosen by SNI name.
    std::vector<std::array<std::string, 3>> sni = {};
    /// `--lmtp`: speak LMTP instead of SMTP.
    bool lmtp = false;
    /// `--proxy-protocol SECONDS`: a PROXY header must come first, within this time.
    std::optional<std::chrono::milliseconds> proxy_protocol = std::nullopt;
    /// `--proxy-trusted CIDR`, each time given: where PROXY headers may come from.
    std::vector<std::string> proxy_trusted = {};
    // The ESMTP extensions aiosmtpd lacks, off by default so that EHLO is aiosmtpd's.
    /// `--pipelining`: advertise PIPELINING.
    bool pipelining = false;
    /// `--chunking`: CHUNKING and BINARYMIME (BDAT).
    bool chunking = false;
    /// `--enhanced-status-codes`: ENHANCEDSTATUSCODES.
    bool enhanced_status_codes = false;
    /// `--dsn`: DSN's MAIL and RCPT parameters.
    bool dsn = false;
    /// `--requiretls`: REQUIRETLS over TLS (RFC 8689; not the opposite of `--no-requiretls`).
    bool requiretls = false;
    /// `--threads N`: threads serving connections; 0 (the default): one per core.
    std::size_t threads = 0;
    /// `--shutdown-timeout SECONDS`: on SIGTERM, how long transactions in flight may take.
    std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(30);
};

/// Parses the arguments after the program name. Stops at `-h` or `-v` as argparse does.
/// Throws `smtp::usage_error` with argparse's wording.
inline arguments parse(std::span<const std::string> args);

/// The server options the arguments ask for.
inline smtp::options make_options(const arguments& args);

/// `usage: <prog> [-h] ...` with its trailing newline.
inline std::string usage(std::string_view prog);

/// The `--help` text, naming the handler classes available.
inline std::string help(std::string_view prog, std::span<const std::string_view> classes);

} // namespace smtp::cli

namespace smtp::cli::detail {

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
    command_call_limit,
    auth,
    auth_required,
    no_auth_require_tls,
    tls_cert,
    tls_key,
    no_requiretls,
    smtps,
    sni,
    lmtp,
    proxy_protocol,
    proxy_trusted,
    pipelining,
    chunking,
    enhanced_status_codes,
    dsn,
    requiretls,
    threads,
    shutdown_timeout
};
enum class value_kind { none, required, optional };

struct option_spec {
    option_id id;
    char short_name; // '\0' when there is none
    std::string_view long_name;
    value_kind value;
    std::string_view display; // how argparse names it in messages: "-s/--size"
};

inline constexpr std::array<option_spec, 29> option_table{{
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
    {option_id::auth, '\0', "auth", value_kind::required, "--auth"},
    {option_id::auth_required, '\0', "auth-required", value_kind::none, "--auth-required"},
    {option_id::no_auth_require_tls, '\0', "no-auth-require-tls", value_kind::none,
     "--no-auth-require-tls"},
    {option_id::tls_cert, 't', "tlscert", value_kind::required, "-t/--tlscert"},
    {option_id::tls_key, 'k', "tlskey", value_kind::required, "-k/--tlskey"},
    {option_id::no_requiretls, '\0', "no-requiretls", value_kind::none, "--no-requiretls"},
    {option_id::smtps, '\0', "smtps", value_kind::none, "--smtps"},
    {option_id::sni, '\0', "sni", value_kind::required, "--sni"},
    {option_id::lmtp, '\0', "lmtp", value_kind::none, "--lmtp"},
    {option_id::proxy_protocol, '\0', "proxy-protocol", value_kind::required, "--proxy-protocol"},
    {option_id::proxy_trusted, '\0', "proxy-trusted", value_kind::required, "--proxy-trusted"},
    {option_id::pipelining, '\0', "pipelining", value_kind::none, "--pipelining"},
    {option_id::chunking, '\0', "chunking", value_kind::none, "--chunking"},
    {option_id::enhanced_status_codes, '\0', "enhanced-status-codes", value_kind::none,
     "--enhanced-status-codes"},
    {option_id::dsn, '\0', "dsn", value_kind::none, "--dsn"},
    {option_id::requiretls, '\0', "requiretls", value_kind::none, "--requiretls"},
    {option_id::threads, '\0', "threads", value_kind::required, "--threads"},
    {option_id::shutdown_timeout, '\0', "shutdown-timeout", value_kind::required,
     "--shutdown-timeout"},
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
    case option_id::auth: {
        auto colon = value->find(':');
        if (colon == std::string_view::npos || colon == 0)
            throw usage_error("argument --auth: expected USER:PASSWORD, got '" +
                              std::string(*value) + "'");
        out.auth.emplace_back(value->substr(0, colon), value->substr(colon + 1));
        break;
    }
    case option_id::auth_required: out.auth_required = true; break;
    case option_id::no_auth_require_tls: out.auth_require_tls = false; break;
    case option_id::tls_cert: out.tls_cert = std::string(*value); break;
    case option_id::tls_key: out.tls_key = std::string(*value); break;
    case option_id::no_requiretls: out.require_tls = false; break;
    case option_id::smtps: out.smtps = true; break;
    case option_id::lmtp: out.lmtp = true; break;
    case option_id::pipelining: out.pipelining = true; break;
    case option_id::chunking: out.chunking = true; break;
    case option_id::enhanced_status_codes: out.enhanced_status_codes = true; break;
    case option_id::dsn: out.dsn = true; break;
    case option_id::requiretls: out.requiretls = true; break;
    case option_id::proxy_protocol: out.proxy_protocol = parse_seconds(*value, o); break;
    case option_id::threads: out.threads = parse_unsigned<std::size_t>(*value, o); break;
    case option_id::shutdown_timeout: out.shutdown_timeout = parse_seconds(*value, o); break;
    case option_id::proxy_trusted:
        try {
            smtp::detail::cidr{*value}; // checked now, so a typo is a usage error
        } catch (const std::invalid_argument&) {
            throw usage_error("argument --proxy-trusted: not an address or network: '" +
                              std::string(*value) + "'");
        }
        out.proxy_trusted.emplace_back(*value);
        break;
    case option_id::sni: {
        auto first = value->find(':');
        auto second = first == std::string_view::npos ? first : value->find(':', first + 1);
        if (first == 0 || second == std::string_view::npos || second + 1 == value->size())
            throw usage_error("argument --sni: expected NAME:CERT:KEY, got '" +
                              std::string(*value) + "'");
        out.sni.push_back({std::string(value->substr(0, first)),
                           std::string(value->substr(first + 1, second - first - 1)),
                           std::string(value->substr(second + 1))});
        break;
    }
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

} // namespace smtp::cli::detail

namespace smtp::cli {

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
    opts.auth_required = args.auth_required;
    opts.auth_require_tls = args.auth_require_tls;
    opts.lmtp = args.lmtp;
    opts.pipelining = args.pipelining;
    opts.chunking = args.chunking;
    opts.enhanced_status_codes = args.enhanced_status_codes;
    opts.dsn = args.dsn;
    opts.requiretls = args.requiretls;
    opts.proxy_protocol_timeout = args.proxy_protocol;
    opts.proxy_trusted = args.proxy_trusted;
    opts.threads = args.threads;
    if (!args.proxy_trusted.empty() && !args.proxy_protocol)
        throw usage_error("--proxy-trusted needs --proxy-protocol");
    if (!args.tls_cert.empty() || !args.tls_key.empty()) {
        // aiosmtpd's checks and messages.
        if (args.tls_cert.empty() || args.tls_key.empty())
            throw usage_error("--tlscert and --tlskey must be specified together");
        for (const auto& [file, what] : {std::pair{&args.tls_cert, "Cert"}, {&args.tls_key, "Key"}})
            if (!std::filesystem::exists(*file))
                throw usage_error(std::string(what) + " file " + *file + " not found");
        try {
            opts.tls = tls_context::from_files(args.tls_cert, args.tls_key);
            for (const auto& [name, cert, key] : args.sni)
                opts.tls->add_sni(name, cert, key);
        } catch (const std::exception& e) {
            throw usage_error(std::string("cannot load the TLS certificate: ") + e.what());
        }
        opts.require_starttls = args.require_tls && !args.smtps;
    } else if (args.smtps || !args.sni.empty()) {
        throw usage_error("--smtps and --sni need --tlscert and --tlskey");
    }
    return opts;
}

inline std::string usage(std::string_view prog) {
    std::string indent(prog.size() + 8, ' ');
    std::string out = "usage: ";
    out.append(prog).append(
        " [-h] [-v] [-n] [-c CLASS] [-s SIZE] [-u] [-d] [-l [[HOST][:PORT]]]\n");
    out.append(indent).append("[--hostname NAME] [--timeout SECONDS] [--command-call-limit N]\n");
    out.append(indent).append("[--auth USER:PASSWORD] [--auth-required] [--no-auth-require-tls]\n");
    out.append(indent).append("[-t CERTFILE] [-k KEYFILE] [--no-requiretls] [--smtps]\n");
    out.append(indent).append("[--sni NAME:CERT:KEY] [--lmtp] [--proxy-protocol SECONDS]\n");
    out.append(indent).append(
        "[--proxy-trusted CIDR] [--threads N] [--shutdown-timeout SECONDS]\n");
    out.append(indent).append("[--pipelining] [--chunking] [--enhanced-status-codes]\n");
    out.append(indent).append("[--dsn] [--requiretls]\n");
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
                        address with a port is written [ADDRESS]:PORT, and a
                        UNIX domain socket unix:/PATH.
  --hostname NAME       The host name in the greeting and the HELO and EHLO
                        replies. Default: the machine's name.
  --timeout SECONDS     Close connections idle this long (after a 421 reply).
                        Default: 300.
  --command-call-limit N
                        Allow each command at most N times per connection
                        (then 421 and close). Default: no limit.
  --auth USER:PASSWORD  Accept this account with AUTH PLAIN and LOGIN; may be
                        given several times. Without it every login fails.
  --auth-required       Require AUTH before MAIL, RCPT, DATA, VRFY and HELP.
  --no-auth-require-tls
                        Allow AUTH without TLS (by default it is neither
                        offered nor accepted over plaintext).
  -t CERTFILE, --tlscert CERTFILE
                        Certificate chain (PEM) for TLS: STARTTLS is offered, and
                        required unless --no-requiretls.
  -k KEYFILE, --tlskey KEYFILE
                        Private key (PEM) of the certificate.
  --no-requiretls       Do not require STARTTLS before mail commands.
  --smtps               Implicit TLS on the listener (SMTPS, port 465 style)
                        instead of STARTTLS.
  --sni NAME:CERT:KEY   Another certificate, served to clients that ask for NAME;
                        may be given several times.
  --lmtp                Speak LMTP (RFC 2033) instead of SMTP.
  --proxy-protocol SECONDS
                        Expect a PROXY protocol header (v1 or v2) first, within
                        SECONDS; connections without a valid one are closed.
  --proxy-trusted CIDR  Accept PROXY headers only from this address or network;
                        may be given several times. Default: from anywhere.
  --threads N           Serve on N threads, each with its own listener on the
                        port. Default: 0, one per core.
  --shutdown-timeout SECONDS
                        On SIGTERM, stop accepting, answer idle sessions 421 and
                        give transactions in flight this long. Default: 30.
  --pipelining          Advertise PIPELINING (RFC 2920).
  --chunking            Advertise CHUNKING and BINARYMIME and accept BDAT
                        (RFC 3030).
  --enhanced-status-codes
                        Advertise ENHANCEDSTATUSCODES and start replies with
                        RFC 3463 codes (RFC 2034).
  --dsn                 Advertise DSN and accept its MAIL and RCPT parameters
                        (RFC 3461).
  --requiretls          Advertise REQUIRETLS over TLS and accept the MAIL
                        parameter (RFC 8689). Not the opposite of
                        --no-requiretls, which is about STARTTLS.
)");
    return out;
}

} // namespace smtp::cli

#endif
