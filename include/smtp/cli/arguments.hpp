#ifndef SMTP_CLI_ARGUMENTS_HPP
#define SMTP_CLI_ARGUMENTS_HPP

#include <smtp/detail/cidr.hpp>
#include <smtp/milter/config.hpp>
#include <smtp/options.hpp>
#include <smtp/policy/rate_limits.hpp>
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
/// handler list. Each option is described once, as a row of `detail::option_table`, from which
/// parsing, the usage line and `--help` are all made.
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
    /// `-s`; 0 means no limit. By default the library's 32 MiB (aiosmtpd's command line has
    /// none).
    std::size_t size = smtp::options{}.data_size_limit;
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
    /// `--max-recipients N`; 0: no limit.
    std::size_t max_recipients = smtp::options{}.max_recipients;
    /// `--max-connections N`; 0: no limit.
    std::size_t max_connections = 0;
    /// `--max-connections-per-client N`; 0: no limit.
    std::size_t max_connections_per_client = 0;
    /// `--max-messages-per-connection N`; 0: no limit.
    std::size_t max_messages_per_connection = 0;
    /// `--per-recipient`: the handler class's per-recipient form (`-c Mailbox DIR`: a Maildir
    /// per recipient).
    bool per_recipient = false;
    /// `--auth USER:PASSWORD`, each time given: the accounts PLAIN and LOGIN accept.
    std::vector<std::pair<std::string, std::string>> auth = {};
    /// `--auth-file FILE`: accounts as `user:crypt-hash` lines (credentials.hpp).
    std::string auth_file = {};
    /// `--auth-required`: MAIL, RCPT, DATA, VRFY and HELP need AUTH first.
    bool auth_required = false;
    /// Cleared by `--no-auth-require-tls`: AUTH allowed over plaintext.
    bool auth_require_tls = true;
    /// `--auth-failure-limit N`: failed AUTH per connection before 421; 0: no limit.
    std::size_t auth_failure_limit = smtp::options{}.auth_failure_limit;
    /// `--auth-failure-delay SECONDS`: the pause before a failed AUTH is answered.
    std::chrono::milliseconds auth_failure_delay = smtp::options{}.auth_failure_delay;
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

    // Operations (docs/operations.md): metrics, the event log. Off by default.
    /// `--metrics HOST:PORT`: serve Prometheus metrics at http://HOST:PORT/metrics; empty: off.
    std::string metrics = {};
    /// `--log-format text|json`: the event log (session and message IDs); empty: off.
    std::string log_format = {};
    /// `--log-file PATH`: where the event log goes (reopened on SIGUSR1); empty: stderr.
    std::string log_file = {};

    // --- milter (docs/milter.md) ---------------------------------------------------------------
    /// `--milter inet:HOST:PORT|unix:/PATH`: mail filters, in order; may repeat.
    std::vector<std::string> milters = {};
    /// `--milter-default-action tempfail|accept|reject`: what a failed filter's stages answer.
    std::string milter_default_action = "tempfail";
    /// `--milter-timeout SECONDS`: connect and per-command limit (end of message: 10 times it).
    std::optional<std::chrono::milliseconds> milter_timeout = std::nullopt;

    // --- Token and certificate logins, client certificates (issue 19) ---------------------
    /// `--oauth-token USER:TOKEN`, each time given: bearer tokens OAUTHBEARER and XOAUTH2
    /// accept (both are offered only with one).
    std::vector<std::pair<std::string, std::string>> oauth_tokens = {};
    /// `--auth-external`: offer EXTERNAL to clients with a verified certificate; the user is
    /// its CN or first subjectAltName email.
    bool auth_external = false;
    /// `--tls-client-ca FILE`: ask clients for a certificate and verify it against these CAs.
    std::string tls_client_ca = {};
    /// `--tls-client-required`: a client without a valid certificate fails the handshake.
    bool tls_client_required = false;
    /// `--sni-dir DIR`: a client asking for NAME gets DIR/NAME.pem and DIR/NAME.key.
    std::string sni_dir = {};

    // --- Rate limits and the greeting delay (issue 17, docs/policy.md) -------------------------
    /// `--limit-connections N/SECONDS`: new connections per client address.
    smtp::policy::rate_limit limit_connections = {};
    /// `--limit-messages N/SECONDS`: MAIL commands per client address.
    smtp::policy::rate_limit limit_messages = {};
    /// `--limit-recipients N/SECONDS`: RCPT commands per client address.
    smtp::policy::rate_limit limit_recipients = {};
    /// `--limit-auth-failures N/SECONDS`: failed logins per client address and per user.
    smtp::policy::rate_limit limit_auth_failures = {};
    /// `--limits-redis HOST:PORT`: keep the counters in this Redis; empty: in the process.
    std::string limits_redis = {};
    /// `--limits-fail-open`: when Redis cannot answer, let clients on.
    bool limits_fail_open = false;
    /// `--greeting-delay SECONDS`: the pre-greet wait (options::greeting_delay).
    std::chrono::milliseconds greeting_delay{0};

    // --- XCLIENT, XFORWARD, LIMITS, bare line ends (issue 17, docs/extensions.md) -------------
    /// `--xclient CIDR`, each time given: networks whose clients may send XCLIENT.
    std::vector<std::string> xclient = {};
    /// `--xforward CIDR`, each time given: networks whose clients may send XFORWARD.
    std::vector<std::string> xforward = {};
    /// `--limits-ext`: advertise LIMITS (RFC 9422) from the recipient and message limits.
    bool limits_ext = false;
    /// `--bare-lf reject|normalize`: a bare LF or CR in DATA; absent: kept as content.
    std::optional<bare_newline_policy> bare_lf = std::nullopt;
    /// `--received`: every message gets a Received: trace header first.
    bool received = false;
};

/// Parses the arguments after the program name. Stops at `-h` or `-v` as argparse does.
/// Throws `smtp::usage_error` with argparse's wording.
inline arguments parse(std::span<const std::string> args);

/// The server options the arguments ask for.
inline smtp::options make_options(const arguments& args);

/// The TLS context of `-t/-k`, the `--sni` pairs and `--tls-client-ca`, read from the files
/// (at start, and again on SIGHUP). Throws what OpenSSL's loading throws.
inline std::shared_ptr<tls_context> load_tls(const arguments& args);

/// `usage: <prog> [-h] ...` with its trailing newline.
inline std::string usage(std::string_view prog);

/// The `--help` text, naming the handler classes available.
inline std::string help(std::string_view prog, std::span<const std::string_view> classes);

} // namespace smtp::cli

namespace smtp::cli::detail {

enum class value_kind { none, required, optional };

struct option_spec;
using option_setter = void (*)(arguments&, std::optional<std::string_view>, const option_spec&);

/// One option: how it is written, what it takes, what `--help` says of it, and what it sets.
struct option_spec {
    char short_name; // '\0' when there is none
    std::string_view long_name;
    value_kind value;
    std::string_view metavar; // the value's name in usage and help; empty for a flag
    // `--help`'s text, wrapped when printed; `{classes}` and `{default}` name the handler
    // classes and the default one.
    std::string_view help;
    option_setter set;
};

/// How argparse names an option in messages: `-s/--size`, `--hostname`.
inline std::string display_name(const option_spec& o) {
    std::string name;
    if (o.short_name != '\0') name.append("-").append(1, o.short_name).append("/");
    return name.append("--").append(o.long_name);
}

template <class Int>
Int parse_unsigned(std::string_view text, const option_spec& o) {
    Int value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        throw usage_error("argument " + display_name(o) + ": invalid non-negative int value: '" +
                          std::string(text) + "'");
    return value;
}

/// Seconds, fractions allowed; at least a millisecond, or 0 too when `zero_allowed`.
inline std::chrono::milliseconds parse_seconds(std::string_view text, const option_spec& o,
                                               bool zero_allowed = false) {
    double seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    bool in_range = zero_allowed ? seconds >= 0 : seconds > 0;
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !in_range ||
        seconds > 1e9)
        throw usage_error("argument " + display_name(o) + ": invalid " +
                          (zero_allowed ? "non-negative" : "positive") + " number: '" +
                          std::string(text) + "'");
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(seconds));
    return seconds == 0 ? ms : std::max(ms, std::chrono::milliseconds(1));
}

// Setters for the common kinds of option; the table names the member they set.
template <bool arguments::*member, bool value = true>
void set_flag(arguments& out, std::optional<std::string_view>, const option_spec&) {
    out.*member = value;
}
template <std::string arguments::*member>
void set_text(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    out.*member = std::string(*v);
}
template <std::size_t arguments::*member>
void set_count(arguments& out, std::optional<std::string_view> v, const option_spec& o) {
    out.*member = parse_unsigned<std::size_t>(*v, o);
}
template <std::chrono::milliseconds arguments::*member, bool zero_allowed = false>
void set_seconds(arguments& out, std::optional<std::string_view> v, const option_spec& o) {
    out.*member = parse_seconds(*v, o, zero_allowed);
}
template <std::optional<std::chrono::milliseconds> arguments::*member>
void set_optional_seconds(arguments& out, std::optional<std::string_view> v, const option_spec& o) {
    out.*member = parse_seconds(*v, o);
}

inline void set_listen(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    if (v)
        out.listen = std::string(*v);
    else
        out.listen.reset(); // `-l` alone: argparse's const None, the default address
}

inline void set_hostname(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    if (v->empty()) throw usage_error("argument --hostname: expected a non-empty name");
    out.hostname = std::string(*v);
}

inline void set_auth(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    auto colon = v->find(':');
    if (colon == std::string_view::npos || colon == 0)
        throw usage_error("argument --auth: expected USER:PASSWORD, got '" + std::string(*v) + "'");
    out.auth.emplace_back(v->substr(0, colon), v->substr(colon + 1));
}

inline void set_oauth_token(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    auto colon = v->find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == v->size())
        throw usage_error("argument --oauth-token: expected USER:TOKEN, got '" + std::string(*v) +
                          "'");
    out.oauth_tokens.emplace_back(v->substr(0, colon), v->substr(colon + 1));
}

inline void set_proxy_trusted(arguments& out, std::optional<std::string_view> v,
                              const option_spec&) {
    try {
        smtp::detail::cidr{*v}; // checked now, so a typo is a usage error
    } catch (const std::invalid_argument&) {
        throw usage_error("argument --proxy-trusted: not an address or network: '" +
                          std::string(*v) + "'");
    }
    out.proxy_trusted.emplace_back(*v);
}

// --- milter (docs/milter.md) -------------------------------------------------------------------
inline void set_milter(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    smtp::milter::filter_address::parse(*v); // checked now, so a typo is a usage error
    out.milters.emplace_back(*v);
}

inline void set_milter_default_action(arguments& out, std::optional<std::string_view> v,
                                      const option_spec&) {
    smtp::milter::parse_default_action(*v);
    out.milter_default_action = std::string(*v);
}

inline void set_sni(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    auto first = v->find(':');
    auto second = first == std::string_view::npos ? first : v->find(':', first + 1);
    if (first == 0 || second == std::string_view::npos || second + 1 == v->size())
        throw usage_error("argument --sni: expected NAME:CERT:KEY, got '" + std::string(*v) + "'");
    out.sni.push_back({std::string(v->substr(0, first)),
                       std::string(v->substr(first + 1, second - first - 1)),
                       std::string(v->substr(second + 1))});
}

inline void count_debug(arguments& out, std::optional<std::string_view>, const option_spec&) {
    ++out.debug;
}

inline void set_log_format(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    if (*v != "text" && *v != "json")
        throw usage_error("argument --log-format: invalid choice: '" + std::string(*v) +
                          "' (choose from 'text', 'json')");
    out.log_format = std::string(*v);
}

// --- Rate limits (issue 17, docs/policy.md) ----------------------------------------------------
template <smtp::policy::rate_limit arguments::*member>
void set_rate_limit(arguments& out, std::optional<std::string_view> v, const option_spec& o) {
    try {
        out.*member = smtp::policy::rate_limit::parse(*v);
    } catch (const std::invalid_argument& e) {
        throw usage_error("argument " + display_name(o) + ": " + e.what());
    }
}

inline void set_limits_redis(arguments& out, std::optional<std::string_view> v,
                             const option_spec& o) {
    auto colon = v->rfind(':');
    std::uint16_t port = 0;
    bool ok = colon != std::string_view::npos && colon > 0;
    if (ok) {
        auto digits = v->substr(colon + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        ok = !digits.empty() && ec == std::errc{} && end == digits.data() + digits.size() &&
             port != 0;
    }
    if (!ok)
        throw usage_error("argument " + display_name(o) + ": expected HOST:PORT, got '" +
                          std::string(*v) + "'");
    out.limits_redis = std::string(*v);
}

// --- XCLIENT, XFORWARD, LIMITS, bare line ends (issue 17) ---------------------------------------
template <std::vector<std::string> arguments::*Networks>
inline void add_network(arguments& out, std::optional<std::string_view> v, const option_spec& o) {
    try {
        smtp::detail::cidr{*v}; // checked now, so a typo is a usage error
    } catch (const std::invalid_argument&) {
        throw usage_error("argument --" + std::string(o.long_name) +
                          ": not an address or network: '" + std::string(*v) + "'");
    }
    (out.*Networks).emplace_back(*v);
}

inline void set_bare_lf(arguments& out, std::optional<std::string_view> v, const option_spec&) {
    if (*v == "reject")
        out.bare_lf = bare_newline_policy::reject;
    else if (*v == "normalize")
        out.bare_lf = bare_newline_policy::normalize;
    else
        throw usage_error("argument --bare-lf: invalid choice: '" + std::string(*v) +
                          "' (choose from 'reject', 'normalize')");
}

// In the order of the usage line and of --help.
inline constexpr option_spec option_table[] = {
    {'h', "help", value_kind::none, "", "show this help message and exit",
     set_flag<&arguments::help>},
    {'v', "version", value_kind::none, "", "show program's version number and exit",
     set_flag<&arguments::version>},
    {'n', "nosetuid", value_kind::none, "",
     "When run as root, this program drops privileges to user `nobody' after binding, unless "
     "this flag is set.",
     set_flag<&arguments::setuid, false>},
    {'c', "class", value_kind::required, "CLASS",
     "The handler class for SMTP events, one of: {classes}. Default: {default}.",
     set_text<&arguments::handler_class>},
    {'s', "size", value_kind::required, "SIZE",
     "Restrict the total size of the incoming message to SIZE bytes via the RFC 1870 SIZE "
     "extension; 0: no limit. Default: 33554432 (32 MiB).",
     set_count<&arguments::size>},
    {'u', "smtputf8", value_kind::none, "", "Enable the SMTPUTF8 extension as defined in RFC 6531.",
     set_flag<&arguments::smtputf8>},
    {'d', "debug", value_kind::none, "",
     "Increase debugging output on stderr: -d traces every command and reply, -dd adds the "
     "message lines.",
     count_debug},
    {'l', "listen", value_kind::optional, "[[HOST][:PORT]]",
     "Optional host and port to listen on. If the PORT part is not given, then port 8025 is "
     "used. If only :PORT is given, then localhost is used for the hostname. If neither are "
     "given, localhost:8025 is used. An IPv6 address with a port is written [ADDRESS]:PORT, "
     "and a UNIX domain socket unix:/PATH.",
     set_listen},
    {'\0', "per-recipient", value_kind::none, "",
     "Deliver a copy per recipient: with -c Mailbox DIR, into DIR/<domain>/<local-part>/, "
     "refusing addresses that name no such folder.",
     set_flag<&arguments::per_recipient>},
    {'\0', "hostname", value_kind::required, "NAME",
     "The host name in the greeting and the HELO and EHLO replies. Default: the machine's name.",
     set_hostname},
    {'\0', "timeout", value_kind::required, "SECONDS",
     "Close connections idle this long (after a 421 reply). Default: 300.",
     set_optional_seconds<&arguments::timeout>},
    {'\0', "command-call-limit", value_kind::required, "N",
     "Allow each command at most N times per connection (then 421 and close). Default: no "
     "limit.",
     set_count<&arguments::command_call_limit>},
    {'\0', "max-recipients", value_kind::required, "N",
     "Accept at most N recipients per message (then 452); 0: no limit. Default: 1000.",
     set_count<&arguments::max_recipients>},
    {'\0', "max-connections", value_kind::required, "N",
     "Serve at most N connections at once (then 421); 0: no limit. Default: 0.",
     set_count<&arguments::max_connections>},
    {'\0', "max-connections-per-client", value_kind::required, "N",
     "Serve at most N connections at once from one client address (then 421); 0: no limit. "
     "Default: 0.",
     set_count<&arguments::max_connections_per_client>},
    {'\0', "max-messages-per-connection", value_kind::required, "N",
     "Accept at most N messages per connection (then 421 and close); 0: no limit. Default: 0.",
     set_count<&arguments::max_messages_per_connection>},
    {'\0', "auth", value_kind::required, "USER:PASSWORD",
     "Accept this account with AUTH PLAIN and LOGIN; may be given several times. Visible to "
     "every local user in the process list: for tests. Without it or --auth-file every login "
     "fails.",
     set_auth},
    {'\0', "auth-file", value_kind::required, "FILE",
     "Accept the accounts in FILE with AUTH PLAIN and LOGIN: one user:hash a line, the hash in "
     "crypt(3) form as mkpasswd writes it (yescrypt $y$, SHA-512 $6$, bcrypt $2b$).",
     set_text<&arguments::auth_file>},
    {'\0', "auth-required", value_kind::none, "",
     "Require AUTH before MAIL, RCPT, DATA, VRFY and HELP.", set_flag<&arguments::auth_required>},
    {'\0', "no-auth-require-tls", value_kind::none, "",
     "Allow AUTH without TLS (by default it is neither offered nor accepted over plaintext).",
     set_flag<&arguments::auth_require_tls, false>},
    {'\0', "auth-failure-limit", value_kind::required, "N",
     "Close the connection after N failed AUTH attempts (421); 0: no limit. Default: 3.",
     set_count<&arguments::auth_failure_limit>},
    {'\0', "auth-failure-delay", value_kind::required, "SECONDS",
     "Wait this long before answering a failed AUTH; 0: at once. Default: 1.",
     set_seconds<&arguments::auth_failure_delay, true>},
    {'t', "tlscert", value_kind::required, "CERTFILE",
     "Certificate chain (PEM) for TLS: STARTTLS is offered, and required unless "
     "--no-requiretls.",
     set_text<&arguments::tls_cert>},
    {'k', "tlskey", value_kind::required, "KEYFILE", "Private key (PEM) of the certificate.",
     set_text<&arguments::tls_key>},
    {'\0', "no-requiretls", value_kind::none, "", "Do not require STARTTLS before mail commands.",
     set_flag<&arguments::require_tls, false>},
    {'\0', "smtps", value_kind::none, "",
     "Implicit TLS on the listener (SMTPS, port 465 style) instead of STARTTLS.",
     set_flag<&arguments::smtps>},
    {'\0', "sni", value_kind::required, "NAME:CERT:KEY",
     "Another certificate, served to clients that ask for NAME; may be given several times.",
     set_sni},
    {'\0', "lmtp", value_kind::none, "", "Speak LMTP (RFC 2033) instead of SMTP.",
     set_flag<&arguments::lmtp>},
    {'\0', "proxy-protocol", value_kind::required, "SECONDS",
     "Expect a PROXY protocol header (v1 or v2) first, within SECONDS; connections without a "
     "valid one are closed.",
     set_optional_seconds<&arguments::proxy_protocol>},
    {'\0', "proxy-trusted", value_kind::required, "CIDR",
     "Accept PROXY headers only from this address or network; may be given several times. "
     "Default: from anywhere.",
     set_proxy_trusted},
    {'\0', "threads", value_kind::required, "N",
     "Serve on N threads, each with its own listener on the port. Default: 0, one per core.",
     set_count<&arguments::threads>},
    {'\0', "shutdown-timeout", value_kind::required, "SECONDS",
     "On SIGTERM, stop accepting, answer idle sessions 421 and give transactions in flight "
     "this long. Default: 30.",
     set_seconds<&arguments::shutdown_timeout>},
    {'\0', "pipelining", value_kind::none, "", "Advertise PIPELINING (RFC 2920).",
     set_flag<&arguments::pipelining>},
    {'\0', "chunking", value_kind::none, "",
     "Advertise CHUNKING and BINARYMIME and accept BDAT (RFC 3030).",
     set_flag<&arguments::chunking>},
    {'\0', "enhanced-status-codes", value_kind::none, "",
     "Advertise ENHANCEDSTATUSCODES and start replies with RFC 3463 codes (RFC 2034).",
     set_flag<&arguments::enhanced_status_codes>},
    {'\0', "dsn", value_kind::none, "",
     "Advertise DSN and accept its MAIL and RCPT parameters (RFC 3461).",
     set_flag<&arguments::dsn>},
    {'\0', "requiretls", value_kind::none, "",
     "Advertise REQUIRETLS over TLS and accept the MAIL parameter (RFC 8689). Not the "
     "opposite of --no-requiretls, which is about STARTTLS.",
     set_flag<&arguments::requiretls>},
    // Operations (docs/operations.md).
    {'\0', "metrics", value_kind::required, "HOST:PORT",
     "Serve Prometheus metrics at http://HOST:PORT/metrics. Default: off.",
     set_text<&arguments::metrics>},
    {'\0', "log-format", value_kind::required, "FORMAT",
     "Log one line per event (connect, TLS, AUTH, MAIL, RCPT, message, refusal, disconnect) "
     "with session and message IDs, as text or json; the 250 after DATA then names the "
     "message: 'queued as ID'. Default: off.",
     set_log_format},
    {'\0', "log-file", value_kind::required, "PATH",
     "Append the --log-format lines to PATH (reopened on SIGUSR1) instead of stderr.",
     set_text<&arguments::log_file>},

    // --- milter (docs/milter.md) ---------------------------------------------------------------
    {'\0', "milter", value_kind::required, "inet:HOST:PORT|unix:/PATH",
     "Run this mail filter (Sendmail/Postfix milter protocol) on each session; may be given "
     "several times: the filters run in order.",
     set_milter},
    {'\0', "milter-default-action", value_kind::required, "tempfail|accept|reject",
     "What a filter that cannot be reached, times out or fails answers. Default: tempfail.",
     set_milter_default_action},
    {'\0', "milter-timeout", value_kind::required, "SECONDS",
     "Limit for connecting to a filter and for each of its replies (the end of message gets 10 "
     "times it). Default: 30 (300 for the end of message).",
     set_optional_seconds<&arguments::milter_timeout>},

    // Token and certificate logins, client certificates (issue 19).
    {'\0', "oauth-token", value_kind::required, "USER:TOKEN",
     "Accept this OAuth 2.0 bearer token for USER with AUTH OAUTHBEARER and XOAUTH2, which are "
     "offered only with it; may be given several times. For tests.",
     set_oauth_token},
    {'\0', "auth-external", value_kind::none, "",
     "Offer AUTH EXTERNAL to clients whose certificate verified (--tls-client-ca); the user is "
     "the certificate's CN, or its first subjectAltName email.",
     set_flag<&arguments::auth_external>},
    {'\0', "tls-client-ca", value_kind::required, "FILE",
     "Ask TLS clients for a certificate and verify it against the CAs in FILE (PEM).",
     set_text<&arguments::tls_client_ca>},
    {'\0', "tls-client-required", value_kind::none, "",
     "With --tls-client-ca: a client without a valid certificate fails the TLS handshake.",
     set_flag<&arguments::tls_client_required>},
    {'\0', "sni-dir", value_kind::required, "DIR",
     "Serve DIR/NAME.pem and DIR/NAME.key to TLS clients that ask for NAME, read at the first "
     "such handshake (and again after SIGHUP); other names get -t's certificate or --sni's.",
     set_text<&arguments::sni_dir>},

    // --- Rate limits and the greeting delay (issue 17, docs/policy.md) -------------------------
    {'\0', "limit-connections", value_kind::required, "N/SECONDS",
     "Accept at most N new connections per client address in each window of SECONDS; more are "
     "answered 421 4.7.0 and closed. Default: no limit.",
     set_rate_limit<&arguments::limit_connections>},
    {'\0', "limit-messages", value_kind::required, "N/SECONDS",
     "Accept at most N MAIL commands per client address in each window of SECONDS; more get "
     "450 4.7.1. Default: no limit.",
     set_rate_limit<&arguments::limit_messages>},
    {'\0', "limit-recipients", value_kind::required, "N/SECONDS",
     "Accept at most N RCPT commands per client address in each window of SECONDS; more get "
     "450 4.7.1. Default: no limit.",
     set_rate_limit<&arguments::limit_recipients>},
    {'\0', "limit-auth-failures", value_kind::required, "N/SECONDS",
     "After N failed logins from a client address, or for a user name, in a window of SECONDS, "
     "answer its next AUTH 421 4.7.0 and close. Default: no limit.",
     set_rate_limit<&arguments::limit_auth_failures>},
    {'\0', "limits-redis", value_kind::required, "HOST:PORT",
     "Keep the --limit-* counters in this Redis, shared by every smtpd using it. Default: in "
     "the process.",
     set_limits_redis},
    {'\0', "limits-fail-open", value_kind::none, "",
     "When Redis does not answer (in 0.25 s), let clients on; by default they are turned away "
     "with 421/451 4.3.0.",
     set_flag<&arguments::limits_fail_open>},
    {'\0', "greeting-delay", value_kind::required, "SECONDS",
     "Wait this long before the greeting; a client that talks first gets 554 5.5.1 and is "
     "closed (the pre-greet test). Default: 0.",
     set_seconds<&arguments::greeting_delay, true>},

    // --- XCLIENT, XFORWARD, LIMITS, bare line ends (issue 17, docs/extensions.md) -------------
    {'\0', "xclient", value_kind::required, "CIDR",
     "Accept Postfix's XCLIENT (and offer it in EHLO) from this address or network; may be "
     "given several times. Elsewhere XCLIENT is an unknown command.",
     add_network<&arguments::xclient>},
    {'\0', "xforward", value_kind::required, "CIDR",
     "Accept Postfix's XFORWARD (and offer it in EHLO) from this address or network; may be "
     "given several times.",
     add_network<&arguments::xforward>},
    {'\0', "limits-ext", value_kind::none, "",
     "Advertise LIMITS RCPTMAX and MAILMAX (RFC 9422) from --max-recipients and "
     "--max-messages-per-connection.",
     set_flag<&arguments::limits_ext>},
    {'\0', "bare-lf", value_kind::required, "reject|normalize",
     "A bare LF or CR in a DATA message: refuse the message (550 5.6.11, after reading it to its "
     "end) or turn each into CRLF. Default: kept as content (aiosmtpd's).",
     set_bare_lf},
    {'\0', "received", value_kind::none, "",
     "Prepend a Received: trace header (RFC 5321 4.4: HELO, address, TLS cipher, ESMTPSA and "
     "the like, ID, the recipient when there is one) to every message the handler gets.",
     set_flag<&arguments::received>},
};

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

// Takes the option's value from `attached` ("--size=5", "-s5") or from the next argument.
inline std::optional<std::string_view> take_value(const option_spec& o,
                                                  std::optional<std::string_view> attached,
                                                  std::span<const std::string> args,
                                                  std::size_t& i) {
    if (o.value == value_kind::none) {
        if (attached)
            throw usage_error("argument " + display_name(o) + ": ignored explicit argument '" +
                              std::string(*attached) + "'");
        return std::nullopt;
    }
    if (attached) return attached;
    if (i + 1 < args.size() && !looks_like_option(args[i + 1])) return args[++i];
    if (o.value == value_kind::required)
        throw usage_error("argument " + display_name(o) + ": expected one argument");
    return std::nullopt;
}

inline bool stops_parsing(const arguments& a) {
    return a.help || a.version;
}

/// An option as the usage line shows it: `[-s SIZE]`, `[--lmtp]`, `[-l [[HOST][:PORT]]]`.
inline std::string usage_item(const option_spec& o) {
    std::string item = "[";
    if (o.short_name != '\0')
        item.append("-").append(1, o.short_name);
    else
        item.append("--").append(o.long_name);
    if (!o.metavar.empty()) item.append(" ").append(o.metavar);
    return item.append("]");
}

/// An option as --help introduces it: `-s SIZE, --size SIZE`, `--lmtp`.
inline std::string help_item(const option_spec& o) {
    std::string value = o.metavar.empty() ? "" : " " + std::string(o.metavar);
    std::string item;
    if (o.short_name != '\0') item.append("-").append(1, o.short_name).append(value).append(", ");
    return item.append("--").append(o.long_name).append(value);
}

/// Stands for a space where append_wrapped() must not break a line.
inline constexpr char unbreakable_space = '\x01';

/// Appends `words` wrapped to `width` columns, as argparse lays out help text: the first word
/// goes at `column` (where `out` stands now), each later line starts `indent` spaces in.
inline void append_wrapped(std::string& out, std::string_view words, std::size_t column,
                           std::size_t indent, std::size_t width) {
    bool line_empty = true;
    while (!words.empty()) {
        std::size_t space = words.find(' ');
        std::string_view word = words.substr(0, space);
        words = space == std::string_view::npos ? std::string_view{} : words.substr(space + 1);
        if (word.empty()) continue;
        if (!line_empty && column + 1 + word.size() > width) {
            out.append("\n").append(indent, ' ');
            column = indent;
            line_empty = true;
        }
        if (!line_empty) {
            out.push_back(' ');
            ++column;
        }
        for (char c : word)
            out.push_back(c == unbreakable_space ? ' ' : c);
        column += word.size();
        line_empty = false;
    }
}

/// The option's help text with the handler classes filled in (the list kept on one line).
inline std::string help_text(const option_spec& o, std::span<const std::string_view> classes) {
    std::string text(o.help);
    std::string names;
    for (auto name : classes)
        names.append(names.empty() ? "" : ",")
            .append(names.empty() ? 0 : 1, unbreakable_space)
            .append(name);
    for (auto [placeholder, value] : {std::pair<std::string_view, std::string>{"{classes}", names},
                                      {"{default}", std::string(default_class_name(classes))}})
        if (auto at = text.find(placeholder); at != std::string::npos)
            text.replace(at, placeholder.size(), value);
    return text;
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
            o.set(out, take_value(o, attached, args, i), o);
        } else {
            // A cluster of short options: "-nd", "-dd", "-s100", "-ns" "100".
            for (std::size_t k = 1; k < arg.size() && !stops_parsing(out); ++k) {
                const option_spec& o = find_short(arg[k], arg);
                if (o.value == value_kind::none) {
                    o.set(out, std::nullopt, o);
                    continue;
                }
                std::optional<std::string_view> attached;
                if (k + 1 < arg.size()) attached = arg.substr(k + 1);
                o.set(out, take_value(o, attached, args, i), o);
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
    opts.max_recipients = args.max_recipients;
    opts.max_connections = args.max_connections;
    opts.max_connections_per_client = args.max_connections_per_client;
    opts.max_messages_per_connection = args.max_messages_per_connection;
    opts.auth_required = args.auth_required;
    opts.auth_require_tls = args.auth_require_tls;
    opts.auth_failure_limit = args.auth_failure_limit;
    opts.auth_failure_delay = args.auth_failure_delay;
    opts.greeting_delay = args.greeting_delay; // issue 17
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
            opts.tls = load_tls(args);
        } catch (const std::exception& e) {
            throw usage_error(std::string("cannot load the TLS certificate: ") + e.what());
        }
        opts.require_starttls = args.require_tls && !args.smtps;
    } else if (args.smtps || !args.sni.empty()) {
        throw usage_error("--smtps and --sni need --tlscert and --tlskey");
    }
    // Token and certificate logins (issue 19): each mechanism is offered only with its flag.
    if ((!args.tls_client_ca.empty() || args.tls_client_required) && !opts.tls)
        throw usage_error("--tls-client-ca and --tls-client-required need --tlscert and --tlskey");
    // XCLIENT, XFORWARD, LIMITS, bare line ends (issue 17).
    opts.xclient_trusted = args.xclient;
    opts.xforward_trusted = args.xforward;
    opts.limits_extension = args.limits_ext;
    if (args.bare_lf) opts.bare_newline = *args.bare_lf;
    opts.received_header = args.received;
    if (!args.sni_dir.empty() && !opts.tls)
        throw usage_error("--sni-dir needs --tlscert and --tlskey");
    if (!args.sni_dir.empty() && !std::filesystem::is_directory(args.sni_dir))
        throw usage_error("--sni-dir: " + args.sni_dir + " is not a directory");
    if (args.tls_client_required && args.tls_client_ca.empty())
        throw usage_error("--tls-client-required needs --tls-client-ca");
    if (args.auth_external && args.tls_client_ca.empty())
        throw usage_error("--auth-external needs --tls-client-ca");
    if (args.oauth_tokens.empty()) {
        opts.auth_exclude_mechanism.emplace_back("OAUTHBEARER");
        opts.auth_exclude_mechanism.emplace_back("XOAUTH2");
    }
    if (!args.auth_external) opts.auth_exclude_mechanism.emplace_back("EXTERNAL");
    return opts;
}

inline std::shared_ptr<tls_context> load_tls(const arguments& args) {
    auto tls = tls_context::from_files(args.tls_cert, args.tls_key);
    for (const auto& [name, cert, key] : args.sni)
        tls->add_sni(name, cert, key);
    if (!args.tls_client_ca.empty())
        tls->verify_clients(args.tls_client_ca, args.tls_client_required);
    return tls;
}

inline std::string usage(std::string_view prog) {
    constexpr std::size_t width = 78; // argparse's, in an 80-column terminal
    std::string out = "usage: ";
    out.append(prog);
    const std::size_t indent = out.size() + 1;
    std::size_t column = out.size();
    auto add = [&](const std::string& item) {
        if (column + 1 + item.size() > width) {
            out.append("\n").append(indent, ' ');
            column = indent;
        } else {
            out.push_back(' ');
            ++column;
        }
        out.append(item);
        column += item.size();
    };
    for (const auto& o : detail::option_table)
        add(detail::usage_item(o));
    add("[CLASSARGS ...]");
    return out.append("\n");
}

inline std::string help(std::string_view prog, std::span<const std::string_view> classes) {
    // argparse's layout: help text from column 24, on the option's line when it fits there.
    constexpr std::size_t help_column = 24;
    constexpr std::size_t width = 80;
    std::string out = usage(prog);
    out.append("\nAn RFC 5321 SMTP server with extensions.\n\n"
               "positional arguments:\n"
               "  CLASSARGS             Additional arguments passed to the handler CLASS.\n\n"
               "options:\n");
    for (const auto& o : detail::option_table) {
        std::string item = "  " + detail::help_item(o);
        out.append(item);
        if (item.size() + 2 <= help_column) {
            out.append(help_column - item.size(), ' ');
        } else {
            out.append("\n").append(help_column, ' ');
        }
        detail::append_wrapped(out, detail::help_text(o, classes), help_column, help_column, width);
        out.push_back('\n');
    }
    return out;
}

} // namespace smtp::cli

#endif
