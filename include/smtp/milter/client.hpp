#ifndef SMTP_MILTER_CLIENT_HPP
#define SMTP_MILTER_CLIENT_HPP

#include <smtp/milter/codec.hpp>
#include <smtp/milter/config.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

/// \file
/// One connection to one milter filter: connect, negotiate, and exchange commands and replies
/// on Asio, every step bounded by a timeout.
namespace smtp::milter {

/// One connection to a filter. Used by one coroutine at a time; any failure (refused, closed,
/// timed out, a malformed packet) closes it, and it stays closed.
class client {
public:
    /// The socket type: TCP or UNIX-domain.
    using socket_type = boost::asio::generic::stream_protocol::socket;

    /// A closed client on `executor`.
    explicit client(socket_type::executor_type executor)
        : io_(std::make_shared<shared_io>(executor)), socket_(io_->socket), timer_(executor) {}

    /// Connects and negotiates within `limit`. False when that failed.
    boost::asio::awaitable<bool> open(const filter_address& where,
                                      std::chrono::milliseconds limit) {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        arm(limit);
        boost::system::error_code ec;
        if (where.local) {
            boost::asio::local::stream_protocol::endpoint local(where.path);
            socket_type::endpoint_type endpoint(local);
            socket_.open(endpoint.protocol(), ec);
            if (!ec)
                std::tie(ec) = co_await socket_.async_connect(endpoint, as_tuple(use_awaitable));
        } else {
            boost::asio::ip::tcp::resolver resolver(socket_.get_executor());
            std::string port = std::to_string(where.port);
            auto [resolve_ec, results] =
                co_await resolver.async_resolve(where.host, port, as_tuple(use_awaitable));
            ec = resolve_ec;
            if (!ec) ec = boost::asio::error::host_not_found;
            for (const auto& entry : results) {
                if (io_->timed_out) break;
                socket_type::endpoint_type endpoint(entry.endpoint());
                boost::system::error_code ignored;
                socket_.close(ignored);
                socket_.open(endpoint.protocol(), ec);
                if (ec) continue;
                std::tie(ec) = co_await socket_.async_connect(endpoint, as_tuple(use_awaitable));
                if (!ec) break;
            }
        }
        if (ec || io_->timed_out) {
            disarm();
            fail();
            co_return false;
        }
        std::string offer = encode_optneg();
        auto answer = co_await exchange_raw(offer, true);
        disarm();
        if (!answer || answer->code != response_code::optneg) {
            fail();
            co_return false;
        }
        auto n = parse_optneg(answer->data);
        if (!n) {
            fail();
            co_return false;
        }
        negotiated_ = std::move(*n);
        co_return true;
    }

    /// What the negotiation agreed on.
    const negotiation& negotiated() const noexcept { return negotiated_; }
    /// Whether a step (step::*) was negotiated.
    bool has_step(std::uint32_t s) const noexcept { return (negotiated_.steps & s) != 0; }
    /// False once anything failed.
    bool is_open() const noexcept { return open_; }

    /// Sends `bytes` (whole packets) and, when `want_reply`, reads until a verdict within
    /// `limit` (SMFIR_PROGRESS restarts it). Modifications read before the verdict are appended
    /// to `modifications` (or are a protocol error without it). Nothing when the filter failed.
    boost::asio::awaitable<std::optional<response>>
    exchange(const std::string& bytes, bool want_reply, std::chrono::milliseconds limit,
             std::vector<response>* modifications = nullptr) {
        if (!open_) co_return std::nullopt;
        arm(limit);
        auto first = co_await exchange_raw(bytes, want_reply);
        if (!want_reply) {
            disarm();
            if (!open_) co_return std::nullopt;
            co_return response{};
        }
        std::optional<packet> p = std::move(first);
        for (;;) {
            if (!p) break;
            auto r = parse_response(*p);
            if (!r) break;
            if (r->is_verdict()) {
                disarm();
                co_return r;
            }
            if (r->what == response::kind::progress) {
                arm(limit);
            } else if (modifications && r->what != response::kind::set_macro_list) {
                modifications->push_back(std::move(*r));
            } else {
                break; // a modification outside end of message
            }
            p = co_await read_packet();
        }
        disarm();
        fail();
        co_return std::nullopt;
    }

    /// Closes the connection, sending SMFIC_QUIT first when it is open (best effort, without
    /// waiting).
    void close() noexcept {
        if (open_) {
            std::string quit = encode_empty(command::quit);
            boost::system::error_code ec;
            socket_.non_blocking(true, ec);
            if (!ec) socket_.write_some(boost::asio::buffer(quit), ec);
        }
        fail();
    }

private:
    // Writes, then reads one packet when asked.
    boost::asio::awaitable<std::optional<packet>> exchange_raw(const std::string& bytes,
                                                               bool want_reply) {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        auto [ec, n] = co_await boost::asio::async_write(socket_, boost::asio::buffer(bytes),
                                                         as_tuple(use_awaitable));
        (void)n;
        if (ec || io_->timed_out) {
            fail();
            co_return std::nullopt;
        }
        if (!want_reply) co_return packet{};
        co_return co_await read_packet();
    }

    boost::asio::awaitable<std::optional<packet>> read_packet() {
        using boost::asio::as_tuple;
        using boost::asio::use_awaitable;
        for (;;) {
            if (auto p = reader_.next()) co_return p;
            if (reader_.failed() || io_->timed_out) break;
            auto [ec, n] = co_await socket_.async_read_some(boost::asio::buffer(buffer_),
                                                            as_tuple(use_awaitable));
            if (ec || io_->timed_out) break;
            reader_.feed(std::string_view(buffer_.data(), n));
        }
        fail();
        co_return std::nullopt;
    }

    // The timer closes the socket when the limit passes: the pending operation then fails. The
    // handler holds the socket's shared state (the client may be gone when it runs), and an
    // expiry already queued when the timer was re-armed or cancelled is ignored (generation).
    void arm(std::chrono::milliseconds limit) {
        unsigned generation = ++io_->generation;
        timer_.expires_after(limit);
        timer_.async_wait([io = io_, generation](boost::system::error_code ec) {
            if (ec || generation != io->generation) return;
            io->timed_out = true;
            boost::system::error_code ignored;
            io->socket.close(ignored);
        });
    }
    void disarm() {
        ++io_->generation;
        timer_.cancel();
    }

    void fail() noexcept {
        open_ = false;
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

    struct shared_io {
        explicit shared_io(socket_type::executor_type executor) : socket(executor) {}
        socket_type socket;
        unsigned generation = 0;
        bool timed_out = false;
    };
    std::shared_ptr<shared_io> io_;
    socket_type& socket_;
    boost::asio::steady_timer timer_;
    packet_reader reader_;
    std::array<char, 16384> buffer_{};
    negotiation negotiated_;
    bool open_ = true;
};

} // namespace smtp::milter

#endif
