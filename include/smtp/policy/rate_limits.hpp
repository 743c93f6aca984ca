#ifndef SMTP_POLICY_RATE_LIMITS_HPP
#define SMTP_POLICY_RATE_LIMITS_HPP

#include <boost/asio/awaitable.hpp>

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

/// \file
/// What smtp::policy::rate_limited counts, and what a counter store must do (docs/policy.md).
namespace smtp::policy {

/// At most `count` events in each window of `window` (a fixed window, as Postfix's anvil
/// counts). Off when either is 0.
struct rate_limit {
    /// Events allowed per window; 0: no limit.
    std::uint64_t count = 0;
    /// The window's length.
    std::chrono::milliseconds window{0};

    /// Whether the limit is on.
    bool enabled() const noexcept { return count > 0 && window.count() > 0; }

    /// Reads `N/SECONDS` (`30/60`: thirty a minute; fractions of a second allowed). Throws
    /// std::invalid_argument otherwise.
    static rate_limit parse(std::string_view text) {
        auto slash = text.find('/');
        rate_limit out;
        double seconds = 0;
        bool ok = slash != std::string_view::npos;
        if (ok) {
            auto n = text.substr(0, slash);
            auto s = text.substr(slash + 1);
            auto [end_n, ec_n] = std::from_chars(n.data(), n.data() + n.size(), out.count);
            auto [end_s, ec_s] = std::from_chars(s.data(), s.data() + s.size(), seconds);
            ok = !n.empty() && !s.empty() && ec_n == std::errc{} && end_n == n.data() + n.size() &&
                 ec_s == std::errc{} && end_s == s.data() + s.size() && out.count > 0 &&
                 seconds > 0 && seconds <= 1e7;
        }
        if (!ok)
            throw std::invalid_argument("expected N/SECONDS (N > 0, SECONDS > 0), got '" +
                                        std::string(text) + "'");
        out.window = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::duration<double>(seconds));
        if (out.window.count() == 0) out.window = std::chrono::milliseconds(1);
        return out;
    }
};

/// The limits of smtp::policy::rate_limited, each per client address (`session.peer.host`),
/// and failed logins per user name too. All off by default.
struct rate_limits {
    /// New connections: one over the limit is answered `421 4.7.0` and closed.
    rate_limit connections = {};
    /// Mail transactions (MAIL commands): one over the limit gets `450 4.7.1`.
    rate_limit messages = {};
    /// Recipients (RCPT commands): one over the limit gets `450 4.7.1`.
    rate_limit recipients = {};
    /// Failed AUTH logins (PLAIN and LOGIN, counted per address and per user name): once a
    /// client or user has failed this many times in the window, its next AUTH is answered
    /// `421 4.7.0` without checking the password, and the connection closes.
    rate_limit auth_failures = {};
    /// What to do when the store cannot answer (Redis down or slow): true lets the client on
    /// (as if under every limit); false (the default) answers `421 4.3.0` at connect,
    /// `451 4.3.0` at MAIL and RCPT, `454 4.7.0` at AUTH.
    bool fail_open = false;

    /// Whether any limit is on.
    bool any() const noexcept {
        return connections.enabled() || messages.enabled() || recipients.enabled() ||
               auth_failures.enabled();
    }
};

/// A counter store: `increment(key, window, amount)` adds `amount` (0 reads) to the counter
/// `key` of the current window of length `window` (a new counter starts at 0 when the last one's
/// window has passed) and gives the count; nothing when the store cannot answer. It is called
/// from every server thread at once.
template <class S>
concept counter_store = requires(S& store, const std::string& key, std::chrono::milliseconds window,
                                 std::uint64_t amount) {
    {
        store.increment(key, window, amount)
        } -> std::same_as<boost::asio::awaitable<std::optional<std::uint64_t>>>;
};

} // namespace smtp::policy

#endif
