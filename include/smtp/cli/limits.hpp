#ifndef SMTP_CLI_LIMITS_HPP
#define SMTP_CLI_LIMITS_HPP

#include <smtp/cli/arguments.hpp>
#include <smtp/cli/listen.hpp>
#include <smtp/policy/memory_store.hpp>
#include <smtp/policy/rate_limited.hpp>
#include <smtp/policy/rate_limits.hpp>
#include <smtp/usage_error.hpp>

#if defined(SMTP_HAVE_HIREDIS)
#include <smtp/policy/redis_store.hpp>
#endif

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

/// \file
/// smtpd's rate-limit flags (docs/policy.md): `--limit-*`, `--limits-redis`,
/// `--limits-fail-open`, and the handler wrapper that serves them.
namespace smtp::cli::detail {

/// The store smtpd counts in, chosen at run time so that `--limits-redis` adds no server type:
/// Redis with `--limits-redis` (in a build with hiredis: SMTP_HAVE_HIREDIS), else the process.
class limit_store {
public:
    /// Counts in the process.
    limit_store() : memory_(std::make_shared<smtp::policy::memory_store>()) {}
#if defined(SMTP_HAVE_HIREDIS)
    /// Counts in Redis.
    explicit limit_store(smtp::policy::redis_store::config cfg)
        : redis_(std::make_shared<smtp::policy::redis_store>(std::move(cfg))) {}
#endif

    /// The counter_store operation.
    boost::asio::awaitable<std::optional<std::uint64_t>>
    increment(const std::string& key, std::chrono::milliseconds window, std::uint64_t amount) {
#if defined(SMTP_HAVE_HIREDIS)
        if (redis_) co_return co_await redis_->increment(key, window, amount);
#endif
        co_return co_await memory_->increment(key, window, amount);
    }

private:
    std::shared_ptr<smtp::policy::memory_store> memory_;
#if defined(SMTP_HAVE_HIREDIS)
    std::shared_ptr<smtp::policy::redis_store> redis_;
#endif
};

/// The handler with the rate limits composed in (each off unless its flag is given).
template <class Handler>
using limited = smtp::policy::rate_limited<Handler, limit_store>;

/// What the rate-limit flags ask for.
struct limits_config {
    /// The limits.
    smtp::policy::rate_limits limits = {};
    /// Where they count; null when no limit is on.
    std::shared_ptr<limit_store> store = {};

    /// Whether any limit is on (the handler is then served `limited`).
    bool any() const noexcept { return limits.any(); }
};

/// The limits and their store. Throws usage_error for flags that make no sense together, or
/// `--limits-redis` in a build without hiredis.
inline limits_config make_limits(const arguments& args) {
    limits_config out;
    out.limits.connections = args.limit_connections;
    out.limits.messages = args.limit_messages;
    out.limits.recipients = args.limit_recipients;
    out.limits.auth_failures = args.limit_auth_failures;
    out.limits.fail_open = args.limits_fail_open;
    if (!out.limits.any()) {
        if (!args.limits_redis.empty() || args.limits_fail_open)
            throw usage_error("--limits-redis and --limits-fail-open need a --limit-* flag");
        return out;
    }
    if (args.limits_redis.empty()) {
        out.store = std::make_shared<limit_store>();
        return out;
    }
#if defined(SMTP_HAVE_HIREDIS)
    // Checked by the flag's parser (HOST:PORT, a port in 1-65535); split as -l's is ([::1]:6379).
    listen_address where = parse_listen(args.limits_redis);
    smtp::policy::redis_store::config cfg;
    cfg.host = std::move(where.host);
    cfg.port = where.port;
    out.store = std::make_shared<limit_store>(std::move(cfg));
    return out;
#else
    throw usage_error("--limits-redis: this smtpd was built without hiredis (libhiredis-dev)");
#endif
}

/// Wraps a handler for the limits (every limit may be off).
template <class Handler>
limited<Handler> make_limited(Handler&& handler, const limits_config& cfg) {
    auto store = cfg.store ? cfg.store : std::make_shared<limit_store>();
    return limited<Handler>(std::move(handler), cfg.limits, std::move(store));
}

} // namespace smtp::cli::detail

#endif
