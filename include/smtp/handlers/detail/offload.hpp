#ifndef SMTP_HANDLERS_DETAIL_OFFLOAD_HPP
#define SMTP_HANDLERS_DETAIL_OFFLOAD_HPP

#include <smtp/detail/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/system_error.hpp>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace smtp::handlers::detail {

/// A one-shot signal from any thread to a coroutine that waits for it on its own executor. It
/// is not a template (impl/offload.ipp), so that the channel it is made of is compiled once and
/// its headers stay out of the files that use offload().
class completion_signal {
public:
    SMTP_DECL explicit completion_signal(const boost::asio::any_io_executor& executor);
    SMTP_DECL ~completion_signal();
    completion_signal(const completion_signal&) = delete;
    completion_signal& operator=(const completion_signal&) = delete;

    /// Wakes the waiter; from any thread, at most once.
    SMTP_DECL void notify() noexcept;
    /// Returns once notify() was called (or the executor is being destroyed).
    SMTP_DECL boost::asio::awaitable<void> wait();

private:
    struct channel;
    std::unique_ptr<channel> channel_;
};

/// Runs `work()` on `pool` and resumes the calling coroutine on its own executor with the
/// result (or the exception), so blocking work does not hold up the caller's thread.
///
/// Unlike `co_spawn(pool, ..., use_awaitable)`, the work never touches the caller once the
/// caller is gone: when the caller's io_context is destroyed while the work runs (a server
/// stopped mid-delivery), the result is dropped instead of being posted to a dead io_context.
template <class Work>
boost::asio::awaitable<std::invoke_result_t<Work&>> offload(boost::asio::thread_pool& pool,
                                                            Work work) {
    using result_type = std::invoke_result_t<Work&>;
    static_assert(!std::is_void_v<result_type>, "offload: the work must return a value");
    struct state {
        std::mutex mutex;
        completion_signal* waiting = nullptr; // the caller's, null once the caller is gone
        std::optional<result_type> result;
        std::exception_ptr error;
    };

    completion_signal done(co_await boost::asio::this_coro::executor);
    auto shared = std::make_shared<state>();
    shared->waiting = &done;
    // Declared after `done`, so destroyed before it: from then on the work leaves it alone.
    struct detach {
        state& s;
        ~detach() {
            std::lock_guard lock(s.mutex);
            s.waiting = nullptr;
        }
    } guard{*shared};

    boost::asio::post(pool, [shared, work = std::move(work)]() mutable {
        std::optional<result_type> result;
        std::exception_ptr error;
        try {
            result.emplace(work());
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard lock(shared->mutex);
        shared->result = std::move(result);
        shared->error = error;
        if (shared->waiting) shared->waiting->notify();
    });

    co_await done.wait();
    std::lock_guard lock(shared->mutex);
    if (shared->error) std::rethrow_exception(shared->error);
    if (!shared->result)
        throw boost::system::system_error(boost::asio::error::operation_aborted, "offload");
    co_return std::move(*shared->result);
}

} // namespace smtp::handlers::detail

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/offload.ipp>
#endif

#endif
