#ifndef SMTP_DETAIL_OBSERVE_HPP
#define SMTP_DETAIL_OBSERVE_HPP

// The observability hooks that more than one place in the server calls (hooks.hpp): each is a
// no-op, compiled away, for a handler that does not declare it. And the IDs a handler may ask
// for (`assign_ids`).

#include <smtp/hooks.hpp>
#include <smtp/stats.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

namespace smtp::detail {

template <class Handler>
void observe_limit(Handler& handler, const connection& conn, limit which) {
    if constexpr (has_limit_reached<Handler>) handler.limit_reached(conn, which);
}

template <class Handler>
void observe_tls(Handler& handler, const connection& conn, bool success) {
    if constexpr (has_tls_handshake<Handler>) handler.tls_handshake(conn, success);
}

template <class Handler>
void observe_auth(Handler& handler, const connection& conn, std::string_view mechanism,
                  bool success) {
    if constexpr (has_auth_completed<Handler>) handler.auth_completed(conn, mechanism, success);
}

/// A new ID for a session or a message, unique in this process and unlikely to repeat across
/// restarts: the process's start time (seconds, 8 hex digits) then a counter shared by sessions
/// and messages (8 hex digits, upper case), e.g. `6752A1F00000002A`.
inline std::string next_id() {
    static const auto started = static_cast<std::uint32_t>(std::time(nullptr));
    static std::atomic<std::uint32_t> counter{0};
    std::uint32_t n = counter.fetch_add(1, std::memory_order_relaxed) + 1;
    char text[17];
    std::snprintf(text, sizeof text, "%08X%08X", unsigned(started), unsigned(n));
    return std::string(text, 16);
}

} // namespace smtp::detail

#endif
