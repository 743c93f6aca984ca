#ifndef SMTP_POLICY_MEMORY_STORE_HPP
#define SMTP_POLICY_MEMORY_STORE_HPP

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

/// \file
/// smtp::policy::memory_store: rate-limit counters in the process, shared by its threads.
namespace smtp::policy {

/// Counters with fixed windows in this process (Postfix's anvil), shared by every thread: the
/// keys are spread over 16 shards, each behind its own mutex, so that threads seldom wait for
/// one another. Counters whose window has passed are swept out as new ones come, so a flood of
/// distinct client addresses cannot make it grow without bound: a shard holds at most about
/// twice the counters still live, and never sweeps for fewer than 256.
class memory_store {
public:
    /// The clock windows are measured on.
    using clock = std::chrono::steady_clock;

    memory_store() = default;
    memory_store(const memory_store&) = delete;
    memory_store& operator=(const memory_store&) = delete;

    /// The counter_store operation (rate_limits.hpp); never fails.
    boost::asio::awaitable<std::optional<std::uint64_t>>
    increment(const std::string& key, std::chrono::milliseconds window, std::uint64_t amount = 1) {
        co_return increment_at(key, window, amount, clock::now());
    }

    /// increment() at the time `now`, at once: for tests, and for callers that are no coroutine.
    std::uint64_t increment_at(std::string_view key, std::chrono::milliseconds window,
                               std::uint64_t amount, clock::time_point now) {
        auto& s = shards_[std::hash<std::string_view>{}(key) % shards_.size()];
        std::lock_guard lock(s.mutex);
        if (s.counters.size() >= s.sweep_at) sweep(s, now);
        // Looked up by the view first: a counter that exists costs no string.
        auto it = s.counters.find(key);
        bool fresh = it == s.counters.end();
        if (fresh) it = s.counters.emplace(std::string(key), counter{}).first;
        counter& c = it->second;
        if (fresh || now >= c.window_end) {
            c.count = 0;
            c.window_end = now + window;
        }
        c.count += amount;
        return c.count;
    }

    /// Counters held now, live or not yet swept.
    std::size_t size() const {
        std::size_t n = 0;
        for (auto& s : shards_) {
            std::lock_guard lock(s.mutex);
            n += s.counters.size();
        }
        return n;
    }

private:
    struct counter {
        std::uint64_t count = 0;
        clock::time_point window_end{};
    };
    // Hashes a std::string and a std::string_view alike, so that find() takes the view.
    struct key_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view key) const noexcept {
            return std::hash<std::string_view>{}(key);
        }
    };
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, counter, key_hash, std::equal_to<>> counters;
        std::size_t sweep_at = min_sweep;
    };
    static constexpr std::size_t min_sweep = 256;

    // Drops the counters whose window has passed; the next sweep comes when the shard has
    // doubled from what is left (amortised: each counter is looked at O(1) times).
    static void sweep(shard& s, clock::time_point now) {
        std::erase_if(s.counters,
                      [&](const auto& entry) { return now >= entry.second.window_end; });
        s.sweep_at = std::max(min_sweep, s.counters.size() * 2);
    }

    std::array<shard, 16> shards_;
};

} // namespace smtp::policy

#endif
