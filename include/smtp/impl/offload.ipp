#ifndef SMTP_IMPL_OFFLOAD_IPP
#define SMTP_IMPL_OFFLOAD_IPP

// completion_signal (smtp/handlers/detail/offload.hpp): compiled once by <smtp/src.hpp> under
// SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/handlers/detail/offload.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smtp::handlers::detail {

// A channel with room for one message: notify() never blocks, and the waiter's executor runs
// the wake-up (a concurrent_channel may be sent to from any thread).
struct completion_signal::channel {
    boost::asio::experimental::concurrent_channel<void(boost::system::error_code)> pipe;
};

SMTP_DECL completion_signal::completion_signal(const boost::asio::any_io_executor& executor)
    : channel_(new channel{{executor, 1}}) {}

SMTP_DECL completion_signal::~completion_signal() = default;

SMTP_DECL void completion_signal::notify() noexcept {
    channel_->pipe.try_send(boost::system::error_code{});
}

SMTP_DECL boost::asio::awaitable<void> completion_signal::wait() {
    co_await channel_->pipe.async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
}

} // namespace smtp::handlers::detail

#endif
