#ifndef SMTP_METRICS_HTTP_SERVER_HPP
#define SMTP_METRICS_HTTP_SERVER_HPP

#include <smtp/metrics/registry.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <utility>

/// \file
/// The `/metrics` endpoint: a registry's counters over HTTP (Boost.Beast), for Prometheus to
/// scrape, on an address of its own and on an executor the caller runs (the server's own
/// io_context will do: a scrape is short).
namespace smtp::metrics {

/// Serves `GET /metrics` (the Prometheus text format) from a registry; other paths get 404,
/// other methods 405. Each request must arrive within 10 seconds and fit in 8 KiB of headers
/// and no body. close() stops it while the io_context lives; destroying the io_context stops it
/// too (the listener belongs to the loop that runs there).
///
/// \code
/// auto counters = std::make_shared<smtp::metrics::registry>();
/// smtp::metrics::http_server metrics{io.get_executor(), {address, 9101}, counters};
/// \endcode
class http_server {
public:
    /// Binds `endpoint` (port 0 picks one: see endpoint()) and serves on `executor`. Throws
    /// `boost::system::system_error` when it cannot bind.
    http_server(const boost::asio::any_io_executor& executor,
                const boost::asio::ip::tcp::endpoint& endpoint,
                std::shared_ptr<const registry> counters)
        : executor_(executor) {
        auto serving = std::make_shared<state>(executor, std::move(counters));
        auto& acceptor = serving->acceptor;
        acceptor.open(endpoint.protocol());
        acceptor.set_option(boost::asio::socket_base::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen();
        endpoint_ = acceptor.local_endpoint();
        state_ = serving;
        // The loop's frame owns the acceptor, so that it goes with the io_context.
        boost::asio::co_spawn(executor, accept_loop(std::move(serving)), [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e); // a bug in the loop must not pass unseen
        });
    }
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;
    /// Leaves the endpoint serving: close() stops it, and so does destroying the io_context.
    ~http_server() = default;

    /// The bound endpoint.
    boost::asio::ip::tcp::endpoint endpoint() const { return endpoint_; }

    /// Stops accepting (a scrape under way finishes), from any thread while the io_context
    /// lives: the listener closes on its executor.
    void close() noexcept {
        try {
            boost::asio::post(executor_, [weak = state_] {
                if (auto s = weak.lock()) {
                    boost::system::error_code ignored;
                    s->acceptor.close(ignored);
                }
            });
        } catch (...) {
        }
    }

private:
    struct state {
        state(const boost::asio::any_io_executor& executor, std::shared_ptr<const registry> r)
            : acceptor(executor), counters(std::move(r)) {}
        boost::asio::ip::tcp::acceptor acceptor;
        std::shared_ptr<const registry> counters;
    };

    static boost::asio::awaitable<void> accept_loop(std::shared_ptr<state> s) {
        for (;;) {
            auto [ec, socket] = co_await s->acceptor.async_accept(
                boost::asio::as_tuple(boost::asio::use_awaitable));
            if (!s->acceptor.is_open()) co_return;
            if (ec) {
                // Out of descriptors or the like: back off briefly instead of spinning.
                boost::asio::steady_timer pause(s->acceptor.get_executor(),
                                                std::chrono::milliseconds(50));
                co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
                continue;
            }
            boost::asio::co_spawn(s->acceptor.get_executor(), answer(std::move(socket), s),
                                  [](std::exception_ptr) {});
        }
    }

    // One connection: requests answered in turn while the client keeps it alive.
    static boost::asio::awaitable<void> answer(boost::asio::ip::tcp::socket socket,
                                               std::shared_ptr<state> s) {
        namespace http = boost::beast::http;
        boost::beast::tcp_stream stream(std::move(socket));
        boost::beast::flat_buffer buffer;
        for (;;) {
            stream.expires_after(std::chrono::seconds(10));
            http::request_parser<http::empty_body> parser;
            parser.header_limit(8192);
            auto [ec, n] = co_await http::async_read(
                stream, buffer, parser, boost::asio::as_tuple(boost::asio::use_awaitable));
            (void)n;
            if (ec) co_return;
            const auto& request = parser.get();
            http::response<http::string_body> response;
            response.version(request.version());
            response.keep_alive(request.keep_alive());
            std::string_view target = request.target();
            if (auto query = target.find('?'); query != std::string_view::npos)
                target = target.substr(0, query);
            if (request.method() != http::verb::get && request.method() != http::verb::head) {
                response.result(http::status::method_not_allowed);
                response.set(http::field::allow, "GET, HEAD");
            } else if (target != "/metrics") {
                response.result(http::status::not_found);
                response.body() = "Not found: try /metrics\n";
            } else {
                response.result(http::status::ok);
                response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                response.body() = s->counters->exposition();
            }
            response.prepare_payload();
            if (request.method() == http::verb::head) response.body().clear();
            auto [wec, written] = co_await http::async_write(
                stream, response, boost::asio::as_tuple(boost::asio::use_awaitable));
            (void)written;
            if (wec || !response.keep_alive()) break;
        }
        boost::system::error_code ignored;
        stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    }

    boost::asio::any_io_executor executor_;
    boost::asio::ip::tcp::endpoint endpoint_;
    std::weak_ptr<state> state_;
};

} // namespace smtp::metrics

#endif
