#ifndef SMTP_DETAIL_SESSION_REGISTRY_HPP
#define SMTP_DETAIL_SESSION_REGISTRY_HPP

#include <smtp/detail/memory_return.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

namespace smtp::detail {

class served_connection;

/// The sessions served on one executor (one per listener thread), so that a graceful shutdown
/// can reach each of them on its own thread. One registry per executor keeps the lock that
/// guards the list local to a thread: threads do not contend for it.
///
/// Sessions enter with `entry` (a member of the session's coroutine frame: no allocation) and
/// leave when it is destroyed. It also counts them, to give memory back after a flood, and watches
/// their deadlines with one timer: a timer per connection, with its pending wait, cost an idle
/// connection about 450 bytes (issue 22).
class session_registry : public std::enable_shared_from_this<session_registry> {
public:
    explicit session_registry(boost::asio::any_io_executor executor)
        : executor_(std::move(executor)) {}

    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

    /// One session's place in the list, for as long as it lives.
    class entry {
    public:
        entry(std::shared_ptr<session_registry> owner, served_connection& conn);
        entry(const entry&) = delete;
        entry& operator=(const entry&) = delete;
        ~entry();

    private:
        friend class session_registry;
        std::shared_ptr<session_registry> owner_;
        served_connection* conn_;
        entry* prev_ = nullptr;
        entry* next_ = nullptr;
    };

    /// Calls `f(served_connection&)` for every session, on the registry's executor (where the
    /// sessions run, so `f` may touch them). Safe to call from any thread.
    template <class F>
    void post_to_each(F f) {
        boost::asio::post(executor_, [self = shared_from_this(), f = std::move(f)]() mutable {
            std::lock_guard lock(self->mutex_);
            for (entry* e = self->head_; e; e = e->next_)
                f(*e->conn_);
        });
    }

    using clock = std::chrono::steady_clock;

    /// A session's deadline is now `at`, `armed_for` from now: the registry's timer wakes by then,
    /// or a little after when it has just checked (`check_gap_`). On the registry's executor.
    void deadline_at(clock::time_point at, clock::duration armed_for) {
        // A check visits every session, so checks are spaced: by at most an eighth of the
        // shortest time a session was given (so that it is never much late), and 250 ms.
        check_gap_ = std::min(
            check_gap_, std::max<clock::duration>(armed_for / 8, std::chrono::milliseconds(1)));
        if (at < wake_at_) wake_at(std::max(at, last_check_ + check_gap_));
    }

private:
    void wake_at(clock::time_point at) {
        if (at >= wake_at_) return;
        wake_at_ = at;
        if (!timer_) timer_.emplace(executor_);
        timer_->expires_at(at); // cancels the wait for a later time
        timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->check_deadlines();
        });
    }
    // Acts on the deadlines that have passed and waits for the earliest one ahead
    // (impl/server_base.ipp, where a served_connection is a complete type).
    void check_deadlines();
    // No session is left: nothing keeps the executor busy.
    void stop_watching() noexcept {
        wake_at_ = clock::time_point::max();
        timer_.reset(); // its pending wait, if any, ends with operation_aborted
    }

    boost::asio::any_io_executor executor_;
    std::mutex mutex_;
    entry* head_ = nullptr;
    std::optional<boost::asio::steady_timer> timer_; // while there are sessions
    clock::time_point wake_at_ = clock::time_point::max();
    clock::time_point last_check_{};
    clock::duration check_gap_ = std::chrono::milliseconds(250);
    flood_watch sessions_;                 // gives memory back after a flood (memory_return.hpp)
    reactor_state_reserve reactor_states_; // so that what a flood used can be given back
};

} // namespace smtp::detail

#endif
