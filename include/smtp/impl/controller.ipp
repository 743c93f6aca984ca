#ifndef SMTP_IMPL_CONTROLLER_IPP
#define SMTP_IMPL_CONTROLLER_IPP

// The definitions of smtp/controller.hpp's functions that are not templates (SMTP_DECL):
// compiled once by <smtp/src.hpp> under SMTP_SEPARATE_COMPILATION, inline otherwise.

#include <smtp/controller.hpp>
#include <smtp/detail/server_base.hpp>

#include <boost/asio/executor_work_guard.hpp>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>

namespace smtp {

SMTP_DECL std::vector<boost::asio::ip::tcp::endpoint>
listen_endpoints(const listen_address& where) {
    namespace ip = boost::asio::ip;
    boost::asio::io_context io;
    boost::system::error_code ec;
    auto has_ipv6 = [&](const ip::address_v6& address) {
        ip::tcp::socket probe(io);
        probe.open(ip::tcp::v6(), ec);
        if (!ec) probe.bind({address, 0}, ec);
        return !ec;
    };
    if (where.host.empty())
        return {{has_ipv6(ip::address_v6::any()) ? ip::address(ip::address_v6::any())
                                                 : ip::address(ip::address_v4::any()),
                 where.port}};
    auto address = ip::make_address(where.host, ec);
    if (!ec) return {{address, where.port}};
    if (where.host == "localhost") {
        std::vector<ip::tcp::endpoint> loopback{{ip::address_v4::loopback(), where.port}};
        if (has_ipv6(ip::address_v6::loopback()))
            loopback.emplace_back(ip::address_v6::loopback(), where.port);
        return loopback;
    }
    ip::tcp::resolver resolver(io);
    auto results =
        resolver.resolve(where.host, std::to_string(where.port),
                         ip::tcp::resolver::passive | ip::tcp::resolver::numeric_service);
    std::vector<ip::tcp::endpoint> endpoints;
    for (const auto& entry : results)
        if (std::find(endpoints.begin(), endpoints.end(), entry.endpoint()) == endpoints.end())
            endpoints.push_back(entry.endpoint());
    return endpoints;
}

namespace detail {

// io_context::run(), except that before each sleep the thread looks for ready work once more
// without waiting. Replies are sent and commands read without a trip through the io_context
// (detail/socket_now.hpp), so a thread runs out of work sooner after each wave of events. Going
// to sleep at once then costs more than it saves: the client's next packet has to wake the
// thread (a context switch, and a round trip's delay), and on a loaded machine the packet often
// arrives within the time of one more look. One look, not a spin: an idle thread sleeps.
SMTP_DECL void run_polling_first(boost::asio::io_context& io) {
    while (!io.stopped())
        if (io.poll() == 0) io.run_one();
}

SMTP_DECL void controller_base::bind() {
    std::lock_guard lock(mutex_);
    bind_locked();
}

SMTP_DECL void controller_base::start() {
    std::lock_guard lock(mutex_);
    if (!threads_.empty()) throw std::logic_error("smtp::controller already started");
    bind_locked();
    for (auto& io : ios_)
        threads_.emplace_back([io = io.get()] {
            auto guard = boost::asio::make_work_guard(*io);
            for (;;) {
                try {
                    run_polling_first(*io);
                    return;
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "smtp::controller: %s\n", e.what());
                }
            }
        });
}

SMTP_DECL void controller_base::stop() noexcept {
    std::lock_guard lock(mutex_);
    stop_now();
}

SMTP_DECL bool controller_base::stop(std::chrono::steady_clock::duration grace) noexcept {
    std::lock_guard lock(mutex_);
    if (threads_.empty()) {
        stop_now(); // bound but never started
        return true;
    }
    server_->shutdown();
    bool drained = server_->wait_for_sessions(std::chrono::steady_clock::now() + grace);
    stop_now();
    return drained;
}

SMTP_DECL boost::asio::any_io_executor controller_base::executor() const {
    return ios_.front()->get_executor();
}

// N io_contexts, and on each a listener: the one UNIX socket on the first; one listener per
// endpoint on each, sharing the port with SO_REUSEPORT when there are several threads.
SMTP_DECL void controller_base::bind_locked() {
    if (!ios_.empty()) return;
    std::size_t count = server_->opts_.threads;
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 0; i < count; ++i)
        ios_.push_back(std::make_unique<boost::asio::io_context>(1));
    try {
        if (!where_.sockets.empty())
            listen_inherited(count);
        else if (where_.host.starts_with("unix:"))
            server_->listen_local(ios_.front()->get_executor(), where_.host.substr(5),
                                  where_.implicit_tls);
        else
            listen_addresses(count);
    } catch (...) {
        server_->close();
        ios_.clear();
        endpoints_.clear();
        throw;
    }
}

// Each address of `where_` on every thread. Port 0: the first listener picks the port, the
// others take the same one. An address the host lacks is skipped when another one is bound.
SMTP_DECL void controller_base::listen_addresses(std::size_t threads) {
    auto listen_on = [&](boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& at) {
        return server_->listen_tcp(io.get_executor(), at, where_.implicit_tls, threads > 1);
    };
    auto missing_address = [](const boost::system::error_code& ec) {
        return ec == boost::asio::error::address_family_not_supported ||
               ec == boost::system::errc::address_not_available;
    };
    std::optional<boost::system::system_error> skipped;
    for (auto at : listen_endpoints(where_)) {
        if (at.port() == 0 && !endpoints_.empty()) at.port(endpoints_.front().port());
        try {
            endpoints_.push_back(listen_on(*ios_.front(), at));
        } catch (const boost::system::system_error& e) {
            if (!missing_address(e.code())) throw;
            if (!skipped) skipped = e;
        }
    }
    if (endpoints_.empty() && skipped) throw *skipped;
    for (std::size_t i = 1; i < threads; ++i)
        for (const auto& at : endpoints_)
            listen_on(*ios_[i], at);
}

// Each inherited socket on every thread: the first thread takes the descriptor itself, the
// others a duplicate of it (each io_context needs its own acceptor).
SMTP_DECL void controller_base::listen_inherited(std::size_t threads) {
    for (std::size_t i = 0; i < threads; ++i)
        for (int socket : where_.sockets) {
            int mine = i == 0 ? socket : ::fcntl(socket, F_DUPFD_CLOEXEC, 3);
            if (mine < 0)
                throw boost::system::system_error(errno, boost::system::system_category(), "dup");
            auto at = server_->listen_native(ios_[i]->get_executor(), mine, where_.implicit_tls);
            if (i == 0 && at.port() != 0) endpoints_.push_back(at);
        }
}

SMTP_DECL void controller_base::stop_now() noexcept {
    if (ios_.empty()) return;
    for (auto& io : ios_)
        io->stop();
    for (auto& thread : threads_)
        thread.join();
    threads_.clear();
    server_->close();
    ios_.clear(); // destroys the sessions still suspended in them, closing their sockets
    endpoints_.clear();
    server_->stopping_.store(false); // the server may serve again (start() after stop())
}

} // namespace detail
} // namespace smtp

#endif
