#ifndef SMTP_DETAIL_MEMORY_RETURN_HPP
#define SMTP_DETAIL_MEMORY_RETURN_HPP

#include <smtp/detail/input_buffer.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>

#include <algorithm>
#include <cstddef>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace smtp::detail {

/// Watches the number of sessions on one thread so that memory a flood of connections needed
/// is given back once the flood is over.
///
/// Without it, a server that once held 10,000 idle connections keeps their ~40 MiB for good:
/// the freed coroutine frames and buffers stay in the allocator's free lists and in the
/// thread's buffer_pool. Once the sessions have reached a flood (at least `flood` of them),
/// the caller is told to return memory each time their number halves, and a last time when
/// they are down to `calm`: O(log n) returns per flood, none in steady state.
class flood_watch {
public:
    /// Fewer sessions than this never count as a flood: what they leave is small.
    static constexpr std::size_t flood = 256;
    /// The flood is over when no more sessions than this are left.
    static constexpr std::size_t calm = 16;

    /// A session began.
    void opened() noexcept {
        if (++live_ > highest_) highest_ = live_;
        if (highest_ >= flood) return_at_ = std::max(return_at_, highest_ / 2);
    }

    /// A session ended; true when memory should be returned now.
    bool closed() noexcept {
        --live_;
        if (return_at_ == 0 || live_ > return_at_) return false;
        if (live_ <= calm) {
            highest_ = live_; // over: the next flood counts from here
            return_at_ = 0;
        } else {
            return_at_ = std::max(live_ / 2, calm);
        }
        return true;
    }

    /// The sessions alive now.
    std::size_t live() const noexcept { return live_; }

private:
    std::size_t live_ = 0;
    std::size_t highest_ = 0;
    std::size_t return_at_ = 0; // 0: no flood to recover from
};

/// Keeps Asio's per-socket reactor states ahead of the sessions, allocated in runs of their own.
///
/// Asio's epoll reactor gives each socket a small state (about 170 bytes) from a pool that
/// never frees: a closed socket's state waits for the next socket. Allocated one by one as
/// connections arrive, those states lie between the sessions' coroutine frames, and after a
/// flood they pin nearly every page the flood used, so neither `free` nor malloc_trim can give
/// the pages back (measured: 96% of a 10,000-connection flood's RSS stayed). Allocating the
/// states ahead, many at a time, keeps them on pages of their own.
class reactor_state_reserve {
public:
    /// States kept ahead of the live sessions (the accept loop may take a few more before their
    /// sessions start), and the smallest run.
    static constexpr std::size_t slack = 64;

    /// How many states to allocate now that `live` sessions run; 0 nearly always. Runs grow
    /// with the reserve, so a flood of n connections costs O(log n) runs.
    std::size_t needed(std::size_t live) noexcept {
        std::size_t before = reserved_;
        while (live + slack > reserved_)
            reserved_ += std::max(slack, reserved_ / 2);
        return reserved_ - before;
    }

    std::size_t reserved() const noexcept { return reserved_; }

private:
    std::size_t reserved_ = 0;
};

/// Makes the reactor of `executor` allocate `count` socket states now, one after another:
/// opening a socket registers it (allocating its state), closing it returns the state to the
/// reactor's pool, where the next sockets take it from. Stops quietly when descriptors run out.
inline void allocate_reactor_states(const boost::asio::any_io_executor& executor,
                                    std::size_t count) {
    std::vector<boost::asio::ip::udp::socket> sockets;
    sockets.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        boost::system::error_code ec;
        sockets.emplace_back(executor).open(boost::asio::ip::udp::v4(), ec);
        if (ec) break;
    }
}

/// Gives back what this thread and the allocator hold without use: the thread's spare
/// receive buffers beyond a few, and (glibc) the free pages inside the heap, which `free`
/// alone keeps for reuse — malloc_trim(0) releases every whole free page of every arena to
/// the system with madvise(MADV_DONTNEED), not only the top of the heap.
inline void return_free_memory(std::size_t live_sessions) {
    // One spare block per eight live sessions, and a few: what steady reads reuse.
    buffer_pool::trim(live_sessions / 8 + 8);
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
}

} // namespace smtp::detail

#endif
