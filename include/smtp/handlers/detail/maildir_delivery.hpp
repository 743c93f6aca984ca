#ifndef SMTP_HANDLERS_DETAIL_MAILDIR_DELIVERY_HPP
#define SMTP_HANDLERS_DETAIL_MAILDIR_DELIVERY_HPP

#include <smtp/handlers/detail/maildir.hpp>
#include <smtp/handlers/detail/offload.hpp>
#include <smtp/reply.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

// What mailbox and recipient_mailbox share: one message into one Maildir, off the connection's
// thread, and the reply when that fails.
namespace smtp::handlers::detail {

/// How a Maildir delivery is made.
struct maildir_delivery {
    std::filesystem::path folder;
    bool keep_line_breaks = false; // else every line break becomes LF
    bool create = false;           // make the Maildir (and the folders above it) first
};

/// Writes `bytes` as one message on `pool`, fsynced before it returns: `250 OK`, or what
/// `on_failure(const std::system_error&)` answers.
template <class OnFailure>
boost::asio::awaitable<reply> deliver_on(boost::asio::thread_pool& pool, maildir_delivery how,
                                         std::string bytes, OnFailure on_failure) {
    // The work owns copies of what it needs: it may outlive this call (see offload). It is a
    // named variable because GCC 12 mishandles a temporary lambda in a co_await.
    auto work = [how = std::move(how), bytes = std::move(bytes)] {
        if (how.create) make_maildir(how.folder);
        return maildir_deliver(how.folder, how.keep_line_breaks ? bytes : to_lf(bytes));
    };
    try {
        co_await offload(pool, std::move(work));
    } catch (const std::system_error& e) {
        co_return on_failure(e);
    }
    co_return reply::ok();
}

/// The built-in handlers' reply to a failed delivery: `451 4.3.1` for a full disk or quota,
/// `451 4.3.0` otherwise.
inline reply delivery_failure_reply(const std::system_error& error) {
    int e = error.code().value();
    if (e == ENOSPC || e == EDQUOT || e == EFBIG)
        return {451, "4.3.1 Requested action aborted: insufficient system storage"};
    return {451, "4.3.0 Requested action aborted: local error in processing"};
}

} // namespace smtp::handlers::detail

#endif
