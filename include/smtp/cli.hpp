#ifndef SMTP_CLI_HPP
#define SMTP_CLI_HPP

#include <smtp/cli/arguments.hpp>
#include <smtp/cli/credentials.hpp>
#include <smtp/cli/listen.hpp>
#include <smtp/cli/password_file.hpp>
#include <smtp/cli/privileges.hpp>
#include <smtp/cli/run.hpp>
#include <smtp/cli/trace.hpp>

/// \file
/// The command line of `python -m aiosmtpd`, for any list of handler types.
///
/// \code
/// int main(int argc, char** argv) {
///     return smtp::cli::main<smtp::handlers::debugging, smtp::handlers::sink>(argc, argv);
/// }
/// \endcode
///
/// The pieces, one job each, under smtp/cli/:
///
/// | header | public | job |
/// |---|---|---|
/// | arguments.hpp | `arguments`, `parse`, `make_options`, `usage`, `help` | the command line |
/// | listen.hpp | `parse_listen` | `-l` and binding what it names |
/// | privileges.hpp | | dropping root to `nobody` |
/// | password_file.hpp, credentials.hpp | | `--auth-file` and `--auth` accounts |
/// | trace.hpp | | the `-d` log and the handler wrapper that writes it |
/// | run.hpp | `run<Handlers...>`, `main<Handlers...>` | serving until a signal |
///
/// `-c NAME [CLASSARGS...]` picks a handler by its `static constexpr const char* cli_name`; it is
/// built with `static Handler from_cli(std::span<const std::string> args)` (which throws
/// `smtp::usage_error` on bad arguments), or default-constructed when it has no `from_cli` (and
/// then takes no arguments). The default class is `Debugging` when the list has it, else the
/// first handler. A dotted aiosmtpd path works too: `-c aiosmtpd.handlers.Sink` means `Sink`.
///
/// Every option is one row of `detail::option_table` (arguments.hpp), from which parsing,
/// the usage line and `--help` are made; docs/cli.md lists them all.
///
/// `-l` splits at the last colon as aiosmtpd does
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
/// **Stopping.** SIGTERM stops gracefully: the listeners close, idle sessions are answered
/// `421 <hostname> Service shutting down` and closed, and sessions in a mail transaction finish
/// it (their DATA reply goes out, then the 421); after `--shutdown-timeout` seconds, or at a
/// second SIGTERM or SIGINT, whatever is left is closed. SIGINT (Ctrl-C) stops at once: it lets
/// the work already queued run (so a reply already handed to the socket goes out), closes every
/// connection, and exits 0; a hook still waiting on something is abandoned, as
/// `smtp::controller::stop()` does. Either way the exit status is 0.
///
/// **Threads.** `--threads N` serves on N threads (default: one per core), each with its own
/// io_context and its own listener on the port (SO_REUSEPORT), so the kernel spreads
/// connections over them. The handler object is shared; the built-in ones are thread-safe
/// (docs/threads.md).
///
/// **Output.** Nothing on stdout but the handler's (Debugging prints messages there). `-d` logs
/// to stderr in aiosmtpd's `mail.log` format: `Server is listening on HOST:PORT`, each
/// connection, each command line the server takes (`>> b'EHLO x'`) and each reply line it
/// writes (`<< b'250 OK'`); `-dd` adds the message lines. AUTH arguments and responses are
/// masked. The trace comes from the server's `trace` hook, added by deriving from the handler
/// class; a `final` handler class cannot be derived from, so under `-d` it is served untraced
/// and a warning says so on stderr.
namespace smtp::cli {}

#endif
