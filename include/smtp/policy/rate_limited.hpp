#ifndef SMTP_POLICY_RATE_LIMITED_HPP
#define SMTP_POLICY_RATE_LIMITED_HPP

#include <smtp/auth.hpp>
#include <smtp/connect.hpp>
#include <smtp/connection.hpp>
#include <smtp/detail/call_hook.hpp>
#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/policy/memory_store.hpp>
#include <smtp/policy/rate_limits.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/stats.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

/// \file
/// `smtp::policy::rate_limited<Next, Store>`: Postfix anvil style rate limits per client, in
/// front of a handler (docs/policy.md).
namespace smtp::policy {

/// Counts, per client address, new connections, mail transactions, recipients and failed
/// logins (and failed logins per user name) in windows of time, and refuses what goes over
/// `rate_limits`: a mixin that derives from `Next`, so every other hook of Next stays Next's.
///
/// \code
/// smtp::policy::rate_limits limits;
/// limits.connections = smtp::policy::rate_limit::parse("30/60"); // 30 a minute per address
/// using limited = smtp::policy::rate_limited<smtp::handlers::sink>;
/// smtp::server<limited> server{limited{{}, limits}};
/// \endcode
///
/// The counters live in `Store` (a counter_store: rate_limits.hpp): memory_store, shared by the
/// threads of one process (the default), or redis_store (redis_store.hpp), shared by every
/// server that uses the same Redis. The handler's copies share one store.
///
/// Hooks it wraps: handle_CONNECT, handle_MAIL, handle_RCPT and authenticate; Next's runs after
/// the check when Next has one, else the server's default (a greeting, the sender or recipient
/// recorded, a failed login). A limit reached is told to Next's `limit_reached` (when Next has
/// one) as `limit::connection_rate`, `message_rate`, `recipient_rate` or `auth_failure_rate`.
/// With every limit off it changes nothing on the wire.
template <class Next, class Store = memory_store>
class rate_limited : public Next {
    static_assert(counter_store<Store>,
                  "smtp::policy::rate_limited: Store needs boost::asio::awaitable<std::optional<"
                  "std::uint64_t>> increment(const std::string& key, std::chrono::milliseconds "
                  "window, std::uint64_t amount)");

public:
    /// Next, the limits, and the store (a new one by default).
    rate_limited(Next next, rate_limits limits, std::shared_ptr<Store> store = nullptr)
        : Next(std::move(next)), limits_(std::move(limits)), store_(std::move(store)) {
        if (!store_) {
            if constexpr (std::is_default_constructible_v<Store>)
                store_ = std::make_shared<Store>();
            else
                throw std::invalid_argument("smtp::policy::rate_limited: no store given");
        }
    }

    /// The limits in force.
    const rate_limits& limits() const noexcept { return limits_; }
    /// The counters.
    Store& store() noexcept { return *store_; }

    /// The connection rate; then Next's handle_CONNECT, or a greeting.
    boost::asio::awaitable<connect_decision> handle_CONNECT(connection& conn, session& s) {
        if (limits_.connections.enabled()) {
            std::string key = "conn:" + client_of(s);
            auto count = co_await store_->increment(key, limits_.connections.window, 1);
            if (!count && !limits_.fail_open)
                co_return connect_decision::defer(
                    "4.3.0 Rate limit service unavailable, try again later");
            if (count && *count > limits_.connections.count) {
                observe(conn, limit::connection_rate);
                co_return connect_decision::defer(
                    "4.7.0 Too many connections from your address, try again later");
            }
        }
        connect_decision decision = connect_decision::greet();
        if constexpr (has_handle_CONNECT<Next>)
            SMTP_DETAIL_CALL_HOOK(decision, Next::handle_CONNECT(conn, s));
        co_return decision;
    }

    /// The message rate; then Next's handle_MAIL, or the default (the sender is recorded).
    template <class C>
    boost::asio::awaitable<reply> handle_MAIL(connection& conn, session& s, envelope<C>& env,
                                              std::string_view address,
                                              std::span<const std::string> options) {
        if (limits_.messages.enabled()) {
            std::string key = "msg:" + client_of(s);
            auto refusal = co_await over(conn, key, limits_.messages, limit::message_rate,
                                         "4.7.1 Too many messages from your address, try again "
                                         "later");
            if (refusal) co_return *refusal;
        }
        reply r = reply::ok();
        if constexpr (has_handle_MAIL<Next, C>)
            SMTP_DETAIL_CALL_HOOK(r, Next::handle_MAIL(conn, s, env, address, options));
        else
            env.set_sender(address, options);
        co_return r;
    }

    /// The recipient rate; then Next's handle_RCPT, or the default (the recipient is recorded).
    template <class C>
    boost::asio::awaitable<reply> handle_RCPT(connection& conn, session& s, envelope<C>& env,
                                              std::string_view address,
                                              std::span<const std::string> options) {
        if (limits_.recipients.enabled()) {
            std::string key = "rcpt:" + client_of(s);
            auto refusal = co_await over(conn, key, limits_.recipients, limit::recipient_rate,
                                         "4.7.1 Too many recipients from your address, try "
                                         "again later");
            if (refusal) co_return *refusal;
        }
        reply r = reply::ok();
        if constexpr (has_handle_RCPT<Next, C>)
            SMTP_DETAIL_CALL_HOOK(r, Next::handle_RCPT(conn, s, env, address, options));
        else
            env.add_recipient(address, options);
        co_return r;
    }

    /// Failed logins: a client address or user name that has failed `auth_failures.count`
    /// times in the window gets `421 4.7.0` (and the connection closes) before its password is
    /// looked at; otherwise Next's authenticate decides (without one every login fails), and a
    /// failure is counted for both.
    template <class C>
    boost::asio::awaitable<auth_result> authenticate(connection& conn, session& s, envelope<C>& env,
                                                     std::string_view mechanism,
                                                     const login_password& credentials) {
        const rate_limit& allowed = limits_.auth_failures;
        std::string by_address, by_user; // the failure counters' keys
        if (allowed.enabled()) {
            by_address = "authfail:" + client_of(s);
            by_user = "authuser:" + credentials.login;
            auto address_failures = co_await store_->increment(by_address, allowed.window, 0);
            auto user_failures = co_await store_->increment(by_user, allowed.window, 0);
            if ((!address_failures || !user_failures) && !limits_.fail_open)
                co_return auth_result::reject({454, "4.7.0 Temporary authentication failure"});
            if ((address_failures && *address_failures >= allowed.count) ||
                (user_failures && *user_failures >= allowed.count)) {
                observe(conn, limit::auth_failure_rate);
                co_return auth_result::reject(
                    {421, "4.7.0 Too many authentication failures, try again later"});
            }
        }
        auth_result result = auth_result::reject(); // the server's default: every login fails
        if constexpr (has_authenticate<Next, C>)
            SMTP_DETAIL_CALL_HOOK(result, Next::authenticate(conn, s, env, mechanism, credentials));
        bool refused = !result.success && (result.message.empty() || result.message.code == 535);
        if (allowed.enabled() && refused) {
            co_await store_->increment(by_address, allowed.window, 1);
            co_await store_->increment(by_user, allowed.window, 1);
        }
        co_return result;
    }

private:
    // The client's key: its address (after a PROXY header, the original client's).
    static std::string client_of(const session& s) {
        return s.peer.host.empty() ? std::string("local") : s.peer.host;
    }

    void observe(const connection& conn, limit which) {
        if constexpr (has_limit_reached<Next>) Next::limit_reached(conn, which);
    }

    // Counts one event under `key`; the refusal when it is one too many (or the store failed
    // and the limits fail closed).
    boost::asio::awaitable<std::optional<reply>> over(connection& conn, const std::string& key,
                                                      const rate_limit& allowed, limit which,
                                                      std::string_view refusal) {
        auto count = co_await store_->increment(key, allowed.window, 1);
        if (!count) {
            if (limits_.fail_open) co_return std::nullopt;
            co_return reply{451, "4.3.0 Rate limit service unavailable, try again later"};
        }
        if (*count <= allowed.count) co_return std::nullopt;
        observe(conn, which);
        co_return reply{450, std::string(refusal)};
    }

    rate_limits limits_;
    std::shared_ptr<Store> store_;
};

} // namespace smtp::policy

#endif
