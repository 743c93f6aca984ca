#ifndef SMTP_CLI_RUN_HPP
#define SMTP_CLI_RUN_HPP

#include <smtp/cli/arguments.hpp>
#include <smtp/cli/credentials.hpp>
#include <smtp/cli/limits.hpp>
#include <smtp/cli/listen.hpp>
#include <smtp/cli/operations.hpp>
#include <smtp/cli/privileges.hpp>
#include <smtp/cli/sni_directory.hpp>
#include <smtp/cli/trace.hpp>
#include <smtp/controller.hpp>
#include <smtp/detail/type_list.hpp>
#include <smtp/handlers/milter.hpp>
#include <smtp/server.hpp>
#include <smtp/systemd.hpp>
#include <smtp/usage_error.hpp>
#include <smtp/version.hpp>

#include <boost/system/system_error.hpp>

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

/// \file
/// Running the server the command line describes, over a list of handler types: `run()` for
/// parsed arguments, `main()` for the whole program.
namespace smtp::cli {

/// Runs the server the arguments describe until SIGINT or SIGTERM; returns the exit status
/// (0, 1 on bind or privilege errors, 2 on usage errors). Prints errors to stderr.
///
/// `args.handler_class` picks one of `Handlers` by its `static constexpr const char* cli_name`
/// (a dotted aiosmtpd path by its last part; empty: `Debugging` if listed, else the first).
/// The handler is made by `static Handler from_cli(std::span<const std::string>)` from
/// `args.handler_args`, or default-constructed when it has no `from_cli` (and then takes no
/// arguments). With `args.debug > 0` it is served as `detail::traced<Handler>` (trace.hpp); a
/// `final` handler class cannot be derived from, so it is served untraced, with a warning.
template <class... Handlers>
int run(const arguments& args, std::string_view prog = "smtpd");

/// The whole program: parse, `--help`, `--version`, run. The program name is argv[0]'s last
/// path component.
template <class... Handlers>
int main(int argc, char** argv);

} // namespace smtp::cli

namespace smtp::cli::detail {

/// Prints the usage line and `<prog>: error: <message>` on stderr as argparse's
/// `parser.error`; returns its exit status, 2.
inline int usage_failure(std::string_view prog, std::string_view message) {
    std::string text = usage(prog);
    text.append(prog).append(": error: ").append(message).push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stderr);
    return 2;
}

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

/// Waits for one of `signals` (blocked in every thread, so that only this wait takes them), up
/// to `timeout` when one is given. The signal's number, or 0 when the time ran out.
inline int wait_for_signal(const ::sigset_t& signals,
                           std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    for (;;) {
        int number = 0;
        if (!timeout) {
            if (::sigwait(&signals, &number) == 0) return number;
            continue;
        }
        ::timespec wait{std::time_t(timeout->count() / 1000),
                        long(timeout->count() % 1000) * 1000000};
        number = ::sigtimedwait(&signals, nullptr, &wait);
        if (number > 0) return number;
        if (errno == EAGAIN) return 0;
    }
}

/// SIGHUP: reads `-t/-k`, the `--sni` pairs and `--tls-client-ca` again, and serves new TLS
/// handshakes with them (sessions under TLS keep theirs). A file that does not load is
/// reported on stderr, and the certificates in use stay.
template <class Server>
void reload_certificates(Server& server, const arguments& args, std::string_view prog) {
    if (args.tls_cert.empty()) return; // no TLS to reload
    try {
        server.set_tls(load_tls(args));
        if constexpr (requires { server.handler().forget_certificates(); })
            server.handler().forget_certificates(); // --sni-dir's are read again
        // Said always: whoever sent the signal learns that it took effect.
        std::fprintf(stderr, "%.*s: reloaded the TLS certificates\n", int(prog.size()),
                     prog.data());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%.*s: cannot reload the TLS certificates, keeping those in use: %s\n",
                     int(prog.size()), prog.data(), e.what());
    }
}

/// Binds, drops privileges, and serves until SIGINT or SIGTERM, with a controller: on
/// `arguments::threads` threads (0: one per core), each with its own io_context and its own
/// listener on the shared port (a UNIX socket is served by the first thread alone). SIGTERM
/// shuts down gracefully within `arguments::shutdown_timeout`; SIGINT, or a second SIGTERM,
/// stops at once.
template <class Server>
int serve(typename Server::handler_type handler, smtp::options options, const arguments& args,
          listen_address where, std::string_view prog, const operations& ops = {}) {
    // The stop signals are blocked before the controller's threads start (they inherit the
    // mask), so that only wait_for_signal() below takes them.
    ::sigset_t stop_signals, previous;
    ::sigemptyset(&stop_signals);
    ::sigaddset(&stop_signals, SIGINT);
    ::sigaddset(&stop_signals, SIGTERM);
    if (ops.log) ::sigaddset(&stop_signals, SIGUSR1); // reopens the log file (logrotate)
    ::sigaddset(&stop_signals, SIGHUP); // reload the certificates (reload_certificates)
    // An ignored signal is dropped before it can be waited for, and a shell starts background
    // jobs with SIGINT ignored: a handler (never run, the signals stay blocked) undoes that.
    struct ::sigaction catch_it = {};
    catch_it.sa_handler = [](int) {};
    ::sigemptyset(&catch_it.sa_mask);
    ::sigaction(SIGINT, &catch_it, nullptr);
    ::sigaction(SIGTERM, &catch_it, nullptr);
    if (ops.log) ::sigaction(SIGUSR1, &catch_it, nullptr);
    ::sigaction(SIGHUP, &catch_it, nullptr);
    ::pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
    struct restore_mask {
        const ::sigset_t& mask;
        ~restore_mask() { ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
    } restore{previous};

    bool local = where.host.starts_with("unix:");
    where.implicit_tls = args.smtps;
    // Socket activation (docs/operations.md): the sockets systemd passed replace -l.
    for (const auto& inherited : smtp::systemd::listen_fds())
        where.sockets.push_back(inherited.fd);
    controller<Server> serving(std::move(handler), std::move(options), where);
    try {
        serving.bind();
    } catch (const boost::system::system_error& e) {
        std::string what = !where.sockets.empty() ? std::string("the sockets passed (LISTEN_FDS)")
                           : local                ? where.host
                                                  : host_port(where.host, where.port);
        std::fprintf(stderr, "%.*s: cannot listen on %s: %s\n", int(prog.size()), prog.data(),
                     what.c_str(), e.code().message().c_str());
        return 1;
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "%.*s: %s\n", int(prog.size()), prog.data(), e.what());
        return 1;
    }
    // The /metrics endpoint, on the first server thread's io_context; bound before privileges
    // are dropped.
    std::optional<smtp::metrics::http_server> metrics;
    if (ops.metrics_at) {
        try {
            auto endpoints = listen_endpoints(*ops.metrics_at);
            if (endpoints.empty()) throw boost::system::system_error(boost::asio::error::not_found);
            metrics.emplace(serving.executor(), endpoints.front(), ops.counters);
        } catch (const boost::system::system_error& e) {
            std::fprintf(stderr, "%.*s: cannot serve metrics on %s: %s\n", int(prog.size()),
                         prog.data(), args.metrics.c_str(), e.code().message().c_str());
            return 1;
        }
    }
    // Between binding (a port below 1024 needs root) and serving (which must not run as root).
    if (args.setuid) {
        std::string failure = drop_privileges("nobody");
        if (!failure.empty()) {
            std::fprintf(stderr,
                         "%.*s: Cannot setuid \"nobody\" (%s); try running with -n option.\n",
                         int(prog.size()), prog.data(), failure.c_str());
            return 1;
        }
    }
    if (args.debug > 0 && !local)
        log_line("INFO", "Server is listening on " + host_port(where.host, serving.port()));
    serving.start();
    smtp::systemd::notify("READY=1"); // when systemd (Type=notify) waits for it

    // SIGUSR1 reopens the log file, SIGHUP reloads the certificates, and the wait goes on;
    // SIGINT or SIGTERM stops.
    auto next_signal = [&](std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
        for (;;) {
            int number = wait_for_signal(stop_signals, timeout);
            if (number == SIGHUP) {
                reload_certificates(serving.server(), args, prog);
                continue;
            }
            if (number != SIGUSR1) return number;
            if (!ops.log->reopen())
                std::fprintf(stderr, "%.*s: cannot reopen %s\n", int(prog.size()), prog.data(),
                             ops.log->path().c_str());
        }
    };
    int stop_signal = next_signal();
    smtp::systemd::notify("STOPPING=1");
    if (stop_signal == SIGTERM) {
        // Graceful: idle sessions hear 421, transactions in flight finish; a second signal, or
        // the end of the timeout, stops at once.
        serving.server().shutdown();
        auto deadline = std::chrono::steady_clock::now() + args.shutdown_timeout;
        while (serving.server().connection_count_now() > 0 &&
               std::chrono::steady_clock::now() < deadline)
            if (next_signal(std::chrono::milliseconds(20)) != 0) break;
    }
    serving.stop();
    return 0;
}

/// A handler that keeps files (the Mailbox) hands them to the user the server will run as,
/// before it drops root: else every delivery would fail. False (with the error printed) when
/// that fails.
template <class Handler>
bool prepare_storage(Handler& handler, const arguments& args, std::string_view prog) {
    if constexpr (requires { handler.prepare_storage_for(::uid_t{}, ::gid_t{}); }) {
        if (!args.setuid || ::geteuid() != 0) return true;
        auto ids = user_ids("nobody");
        if (!ids) return true; // drop_privileges() reports it
        try {
            handler.prepare_storage_for(ids->first, ids->second);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%.*s: cannot prepare storage for \"nobody\": %s\n",
                         int(prog.size()), prog.data(), e.what());
            return false;
        }
    }
    return true;
}

// --- milter (docs/milter.md) -------------------------------------------------------------------

/// The filters `--milter`, `--milter-default-action` and `--milter-timeout` ask for.
inline smtp::milter::config milter_config(const arguments& args) {
    smtp::milter::config cfg;
    for (const auto& spec : args.milters)
        cfg.filters.push_back(smtp::milter::filter_address::parse(spec));
    cfg.default_action = smtp::milter::parse_default_action(args.milter_default_action);
    if (args.milter_timeout) {
        cfg.limits.connect = *args.milter_timeout;
        cfg.limits.command = *args.milter_timeout;
        cfg.limits.end_of_message = *args.milter_timeout * 10;
    }
    return cfg;
}

template <class Handler>
int run_handler(const arguments& args, std::string_view prog) {
    std::optional<Handler> handler;
    listen_address where{"localhost", 8025};
    smtp::options options;
    account_list accounts{args.auth, {}, args.oauth_tokens};
    operations ops;
    limits_config limits; // issue 17: --limit-*, --limits-redis
    try {
        // aiosmtpd's order: the handler's arguments are checked before the address.
        handler.emplace(make_handler<Handler>(args.handler_args));
        if (args.listen) where = parse_listen(*args.listen);
        options = make_options(args); // loads the TLS certificates
        ops = make_operations(args);
        limits = make_limits(args);
        if (!args.auth_file.empty()) {
            std::string warning = load_password_file(args.auth_file, accounts.hashed);
            if (!warning.empty())
                std::fprintf(stderr, "%.*s: warning: %s\n", int(prog.size()), prog.data(),
                             warning.c_str());
        }
    } catch (const usage_error& e) {
        return usage_failure(prog, e.what());
    } catch (const std::runtime_error& e) {
        std::fprintf(stderr, "%.*s: %s\n", int(prog.size()), prog.data(), e.what());
        return 1;
    }
    if (!prepare_storage(*handler, args, prog)) return 1;
    if constexpr (std::is_final_v<Handler>) {
        // The wrappers derive from the handler; a final class is served as it is.
        if (args.debug > 0 || !args.auth.empty() || !args.auth_file.empty() || ops.any() ||
            !args.milters.empty() || !args.oauth_tokens.empty() || args.auth_external ||
            !args.sni_dir.empty() || limits.any()) {
            std::string_view name = Handler::cli_name;
            std::fprintf(stderr,
                         "%.*s: warning: handler class %.*s is final: -d, --auth, --auth-file, "
                         "--metrics, --log-format, --milter, --oauth-token, --auth-external, "
                         "--sni-dir and --limit-* do not apply to it\n",
                         int(prog.size()), prog.data(), int(name.size()), name.data());
        }
        return serve<smtp::server<Handler>>(std::move(*handler), std::move(options), args, where,
                                            prog);
    } else {
        using accounts_type = with_credentials<with_sni_directory<Handler>>;
        accounts_type served(
            with_sni_directory<Handler>(
                std::move(*handler), {args.sni_dir, args.tls_client_ca, args.tls_client_required}),
            std::move(accounts));
        // Three server types per handler, not four: -d traces the operated handler (its parts
        // off unless asked for), so that the flags add one instantiation only. --milter wraps
        // the operated handler in the filters (two more).
        // The rate limits (issue 17) are part of the operated handler, configured at run time,
        // so that they add no server type either.
        using operated_type = limited<operated<accounts_type>>;
        auto make_operated = [&](accounts_type&& h, const operations& o) {
            return make_limited(detail::make_operated(std::move(h), o), limits);
        };
        if (!args.milters.empty()) {
            using filtered = smtp::handlers::milter<operated_type>;
            filtered with_filters(make_operated(std::move(served), ops), milter_config(args));
            if (args.debug > 0)
                return serve<smtp::server<traced<filtered>>>(
                    traced<filtered>(std::move(with_filters), args.debug), std::move(options), args,
                    where, prog, ops);
            return serve<smtp::server<filtered>>(std::move(with_filters), std::move(options), args,
                                                 where, prog, ops);
        }
        if (args.debug > 0)
            return serve<smtp::server<traced<operated_type>>>(
                traced<operated_type>(make_operated(std::move(served), ops), args.debug),
                std::move(options), args, where, prog, ops);
        if (ops.any() || limits.any())
            return serve<smtp::server<operated_type>>(make_operated(std::move(served), ops),
                                                      std::move(options), args, where, prog, ops);
        return serve<smtp::server<accounts_type>>(std::move(served), std::move(options), args,
                                                  where, prog);
    }
}

template <class Handler>
using cli_per_recipient_of = std::bool_constant<Handler::cli_per_recipient>;

/// Whether a handler is the per-recipient form of its class (`-c NAME --per-recipient`):
/// `static constexpr bool cli_per_recipient = true`.
template <class Handler>
constexpr bool per_recipient() {
    return smtp::detail::member_or_t<Handler, cli_per_recipient_of, std::false_type>::value;
}

template <class... Handlers>
constexpr std::array<std::string_view, sizeof...(Handlers)> handler_names() {
    return {std::string_view(Handlers::cli_name)...};
}

/// No two handlers answer the same `-c NAME` with the same `--per-recipient`.
template <class... Handlers>
constexpr bool all_distinct() {
    return smtp::detail::all_unique(
        std::array<std::pair<std::string_view, bool>, sizeof...(Handlers)>{
            {{Handlers::cli_name, per_recipient<Handlers>()}...}});
}

/// The handler names, each once, in order (for --help and error messages).
template <std::size_t N>
std::vector<std::string_view> distinct_names(const std::array<std::string_view, N>& names) {
    std::vector<std::string_view> out;
    for (auto name : names)
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    return out;
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
    static_assert(detail::all_distinct<Handlers...>(),
                  "two handlers have the same cli_name (and the same cli_per_recipient)");
    // A dotted aiosmtpd path names the class by its last part.
    std::string_view wanted = args.handler_class;
    if (auto dot = wanted.rfind('.'); dot != std::string_view::npos) wanted.remove_prefix(dot + 1);
    if (args.handler_class.empty()) wanted = detail::default_class_name(names);
    int status = 0;
    bool found = ((wanted == std::string_view(Handlers::cli_name) &&
                   detail::per_recipient<Handlers>() == args.per_recipient &&
                   (status = detail::run_handler<Handlers>(args, prog), true)) ||
                  ...);
    if (found) return status;
    auto distinct = detail::distinct_names(names);
    if (args.per_recipient && std::find(distinct.begin(), distinct.end(), wanted) != distinct.end())
        return detail::usage_failure(prog, "--per-recipient: handler class " + std::string(wanted) +
                                               " does not deliver per recipient");
    std::string available;
    for (auto name : distinct)
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
        auto names = detail::distinct_names(detail::handler_names<Handlers...>());
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
