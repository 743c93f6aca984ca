#ifndef SMTP_POLICY_REDIS_STORE_HPP
#define SMTP_POLICY_REDIS_STORE_HPP

// Needs hiredis (Debian: libhiredis-dev; link with -lhiredis, or CMake's smtp::redis). The rest
// of the library does not.

#include <smtp/policy/detail/redis_asio.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <pthread.h>
#include <signal.h>

/// \file
/// smtp::policy::redis_store: rate-limit counters in Redis, shared by every server that uses it.
namespace smtp::policy {

/// Counters kept in Redis (hiredis, driven from Asio), so that every server of a fleet counts
/// against one budget per client. One increment is one round trip: a Lua script that does
/// INCRBY and, when the key has no expiry yet, PEXPIRE (atomic in Redis, so a counter never
/// outlives its window).
///
/// The store talks to Redis from a thread of its own, never from a server thread: a slow Redis
/// holds up only the sessions waiting for an answer, each at most `timeout`. An increment
/// that Redis does not answer in time, or while it is unreachable, gives nothing: the
/// rate_limits' `fail_open` decides. When Redis is gone, the store connects again at most once
/// per `reconnect_delay` (in between, increments fail at once), and after three answers in a
/// row time out it drops the connection and starts a new one.
class redis_store {
public:
    /// Where Redis is and how long to wait for it.
    struct config {
        /// Redis's address (an IP address or a name, resolved on the store's thread).
        std::string host = "127.0.0.1";
        /// Its port.
        std::uint16_t port = 6379;
        /// The longest wait for one answer.
        std::chrono::milliseconds timeout{250};
        /// The shortest time between two connection attempts.
        std::chrono::milliseconds reconnect_delay{1000};
        /// Put before every key (`smtp:rl:conn:192.0.2.1`), so that other data in the same
        /// Redis is safe.
        std::string prefix = "smtp:rl:";
    };

    /// Starts the store's thread; connects at the first increment.
    explicit redis_store(config cfg)
        : state_(std::make_shared<state>(std::move(cfg))), thread_([s = state_] {
              // hiredis writes with write(2): a Redis gone away would raise SIGPIPE, which kills
              // a process that has not ignored it. Blocked in this thread (the only one that
              // writes to Redis), the write fails with EPIPE instead.
              ::sigset_t pipe;
              ::sigemptyset(&pipe);
              ::sigaddset(&pipe, SIGPIPE);
              ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
              s->io.run();
          }) {}
    redis_store(const redis_store&) = delete;
    redis_store& operator=(const redis_store&) = delete;
    /// Closes the connection (pending increments give nothing) and joins the thread.
    ~redis_store() {
        boost::asio::post(state_->io, [s = state_] {
            s->drop_connection();
            s->work.reset();
        });
        thread_.join();
    }

    /// The counter_store operation (rate_limits.hpp): the count, or nothing when Redis did not
    /// answer in time.
    boost::asio::awaitable<std::optional<std::uint64_t>>
    increment(const std::string& key, std::chrono::milliseconds window, std::uint64_t amount = 1) {
        std::shared_ptr<state> s = state_;
        std::string full_key = s->cfg.prefix + key;
        auto op = run(s, std::move(full_key), window, amount);
        co_return co_await boost::asio::co_spawn(s->io, std::move(op), boost::asio::use_awaitable);
    }

private:
    static constexpr const char* script =
        "local n = redis.call('INCRBY', KEYS[1], ARGV[2]) "
        "if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
        "return n";

    // One increment in flight: its answer, and the timer its coroutine waits on.
    struct pending {
        std::optional<std::uint64_t> result;
        bool done = false;
        boost::asio::steady_timer* timer = nullptr;
    };

    // What the store's thread owns; only that thread touches `context`.
    struct state {
        explicit state(config c) : cfg(std::move(c)) {}
        config cfg;
        boost::asio::io_context io;
        boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{
            io.get_executor()};
        redisAsyncContext* context = nullptr;
        std::chrono::steady_clock::time_point next_attempt{};
        int timeouts_in_a_row = 0;

        // A connection, or one under way; false when none may be tried yet.
        bool connected() {
            if (context) return true;
            auto now = std::chrono::steady_clock::now();
            if (now < next_attempt) return false;
            next_attempt = now + cfg.reconnect_delay;
            redisAsyncContext* c = redisAsyncConnect(cfg.host.c_str(), cfg.port);
            if (!c) return false;
            if (c->err) {
                redisAsyncFree(c);
                return false;
            }
            c->data = this;
            detail::redis_asio_events::attach(c, io.get_executor());
            redisAsyncSetConnectCallback(c, [](const redisAsyncContext* c, int status) {
                if (status != REDIS_OK) static_cast<state*>(c->data)->forget(c);
            });
            redisAsyncSetDisconnectCallback(c, [](const redisAsyncContext* c, int) {
                static_cast<state*>(c->data)->forget(c);
            });
            context = c;
            timeouts_in_a_row = 0;
            return true;
        }

        // hiredis frees a context that failed or closed itself: it is no longer ours.
        void forget(const redisAsyncContext* c) {
            if (context == c) context = nullptr;
        }

        // Frees the connection: the increments waiting on it get their (empty) answers now.
        void drop_connection() {
            if (!context) return;
            redisAsyncContext* c = context;
            context = nullptr;
            redisAsyncFree(c);
        }
    };

    static void on_reply(redisAsyncContext*, void* answer, void* data) {
        auto* held = static_cast<std::shared_ptr<pending>*>(data);
        std::shared_ptr<pending> op = std::move(*held);
        delete held;
        const auto* r = static_cast<const redisReply*>(answer);
        if (r && r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
            op->result = static_cast<std::uint64_t>(r->integer);
        op->done = true;
        if (op->timer) op->timer->cancel();
    }

    // On the store's thread: one EVAL, waited for at most cfg.timeout.
    static boost::asio::awaitable<std::optional<std::uint64_t>>
    run(std::shared_ptr<state> s, std::string key, std::chrono::milliseconds window,
        std::uint64_t amount) {
        if (!s->connected()) co_return std::nullopt;
        auto op = std::make_shared<pending>();
        boost::asio::steady_timer timer(s->io, s->cfg.timeout);
        op->timer = &timer;
        std::string ms = std::to_string(std::max<long long>(1, window.count()));
        std::string by = std::to_string(amount);
        const char* argv[] = {"EVAL", script, "1", key.c_str(), ms.c_str(), by.c_str()};
        const std::size_t lengths[] = {
            4, std::char_traits<char>::length(script), 1, key.size(), ms.size(), by.size()};
        auto* held = new std::shared_ptr<pending>(op);
        if (redisAsyncCommandArgv(s->context, &on_reply, held, 6, argv, lengths) != REDIS_OK) {
            delete held;
            op->timer = nullptr;
            co_return std::nullopt;
        }
        if (!op->done) co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        op->timer = nullptr;
        if (op->done) {
            s->timeouts_in_a_row = 0;
            co_return op->result;
        }
        // No answer in time: Redis is stopped or overloaded. A few in a row: start afresh.
        if (++s->timeouts_in_a_row >= 3) s->drop_connection();
        co_return std::nullopt;
    }

    std::shared_ptr<state> state_;
    std::thread thread_;
};

} // namespace smtp::policy

#endif
