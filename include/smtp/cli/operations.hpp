#ifndef SMTP_CLI_OPERATIONS_HPP
#define SMTP_CLI_OPERATIONS_HPP

#include <smtp/cli/arguments.hpp>
#include <smtp/cli/listen.hpp>
#include <smtp/controller.hpp>
#include <smtp/logging/logged.hpp>
#include <smtp/logging/sink.hpp>
#include <smtp/metrics/http_server.hpp>
#include <smtp/metrics/observed.hpp>
#include <smtp/metrics/registry.hpp>
#include <smtp/usage_error.hpp>

#include <memory>
#include <optional>
#include <string>
#include <utility>

/// \file
/// smtpd's operations flags (docs/operations.md): `--metrics`, `--log-format`, `--log-file`,
/// and the handler wrapper that serves them.
namespace smtp::cli::detail {

/// The handler with metrics and the event log composed in; each part does nothing when its
/// flag is absent.
template <class Handler>
using operated = smtp::metrics::observed<smtp::logging::logged<Handler>>;

/// What the operations flags ask for.
struct operations {
    /// The counters, when `--metrics` is given.
    std::shared_ptr<smtp::metrics::registry> counters = {};
    /// Where `--metrics` serves.
    std::optional<listen_address> metrics_at = {};
    /// The event log, when `--log-format` is given.
    std::shared_ptr<smtp::logging::sink> log = {};
    /// Its format.
    smtp::logging::format format = smtp::logging::format::text;

    /// Whether any of them is on (the handler is then served `operated`).
    bool any() const noexcept { return counters || log; }
};

/// The operations the arguments ask for. Throws usage_error for a bad flag, and
/// std::runtime_error when the log file cannot be opened.
inline operations make_operations(const arguments& args) {
    operations ops;
    if (!args.metrics.empty()) {
        if (args.metrics.starts_with("unix:") || args.metrics.find(':') == std::string::npos)
            throw usage_error("argument --metrics: expected HOST:PORT, got '" + args.metrics + "'");
        ops.metrics_at = parse_listen(args.metrics);
        ops.counters = std::make_shared<smtp::metrics::registry>();
    }
    if (!args.log_file.empty() && args.log_format.empty())
        throw usage_error("argument --log-file: needs --log-format");
    if (!args.log_format.empty()) {
        ops.format =
            args.log_format == "json" ? smtp::logging::format::json : smtp::logging::format::text;
        ops.log = args.log_file.empty() ? std::make_shared<smtp::logging::sink>()
                                        : std::make_shared<smtp::logging::sink>(args.log_file);
    }
    return ops;
}

/// Wraps a handler for the operations (every part may be off).
template <class Handler>
operated<Handler> make_operated(Handler&& handler, const operations& ops) {
    return operated<Handler>(
        smtp::logging::logged<Handler>(std::move(handler), ops.log, ops.format), ops.counters);
}

} // namespace smtp::cli::detail

#endif
