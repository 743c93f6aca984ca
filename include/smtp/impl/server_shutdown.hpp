#ifndef SMTP_IMPL_SERVER_SHUTDOWN_HPP
#define SMTP_IMPL_SERVER_SHUTDOWN_HPP

// Graceful shutdown: the listeners close, idle sessions get `421 Service shutting down` at once,
// busy ones finish their transaction first; and close(), which only stops listening.

#include <boost/asio/post.hpp>

#include <unistd.h>

namespace smtp {

template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::shutdown() {
    stopping_.store(true);
    std::lock_guard lock(registries_mutex_);
    // Each acceptor is closed on its own thread (an acceptor is not thread-safe); the sessions
    // of each registry are told on theirs.
    for (auto& acceptor : acceptors_)
        boost::asio::post(acceptor->get_executor(), [a = acceptor.get()] {
            boost::system::error_code ignored;
            a->close(ignored);
        });
    for (auto& acceptor : local_acceptors_)
        boost::asio::post(acceptor->get_executor(), [a = acceptor.get()] {
            boost::system::error_code ignored;
            a->close(ignored);
        });
    for (auto& registry : registries_)
        registry->post_to_each([](served_connection& conn) { conn.request_shutdown(); });
}

template <class Handler, class AuthPolicy, class DecodePolicy>
bool server<Handler, AuthPolicy, DecodePolicy>::wait_for_sessions(
    std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(drained_mutex_);
    return drained_.wait_until(lock, deadline, [&] { return connections_.load() == 0; });
}

template <class Handler, class AuthPolicy, class DecodePolicy>
bool server<Handler, AuthPolicy, DecodePolicy>::idle_at_shutdown(served_connection& conn,
                                                                 const envelope_type& env) {
    if (!stopping_.load(std::memory_order_relaxed) || !env.mail_from.empty()) return false;
    detail::write_reply(conn.output(), 421, hostname_ + " Service shutting down",
                        opts_.enhanced_status_codes, "4.3.2");
    conn.allow_final_reply();
    return true;
}

template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::close() noexcept {
    std::lock_guard lock(registries_mutex_);
    boost::system::error_code ignored;
    for (auto& acceptor : acceptors_)
        acceptor->close(ignored);
    for (auto& acceptor : local_acceptors_)
        acceptor->close(ignored);
    for (const auto& path : local_paths_)
        ::unlink(path.c_str()); // aiosmtpd leaves them behind
    acceptors_.clear();
    local_acceptors_.clear();
    local_paths_.clear();
}

} // namespace smtp

#endif
