#ifndef SMTP_TESTS_TEST_CLIENT_HPP
#define SMTP_TESTS_TEST_CLIENT_HPP

// A blocking line-oriented client for loopback tests. Every read is bounded by a socket
// timeout, so a server that fails to answer fails the test instead of hanging it.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace smtp_test {

class test_client {
public:
    explicit test_client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10))
        : io_(std::make_unique<boost::asio::io_context>()), socket_(*io_) {
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        timeval tv{};
        tv.tv_sec = timeout.count() / 1000;
        tv.tv_usec = (timeout.count() % 1000) * 1000;
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }

    void send(std::string_view bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }

    /// One line, CRLF included; throws on timeout or end of stream.
    std::string read_line() {
        for (;;) {
            auto lf = buffer_.find('\n');
            if (lf != std::string::npos) {
                std::string line = buffer_.substr(0, lf + 1);
                buffer_.erase(0, lf + 1);
                return line;
            }
            fill();
        }
    }

    /// One whole reply (all lines of a multi-line reply), CRLFs included.
    std::string read_reply() {
        std::string reply;
        for (;;) {
            std::string line = read_line();
            reply += line;
            if (line.size() < 4 || line[3] != '-') return reply;
        }
    }

    /// Sends one command line and returns the reply.
    std::string command(std::string_view line) {
        send(std::string(line) + "\r\n");
        return read_reply();
    }

    /// True when the server closes the connection (within the timeout) before sending more.
    bool closed_by_server() {
        try {
            if (!buffer_.empty()) return false;
            fill();
            return false;
        } catch (const std::exception&) {
            return eof_;
        }
    }

    /// Everything until the server closes the connection.
    std::string read_to_end() {
        try {
            for (;;) fill();
        } catch (const std::exception&) {
        }
        return std::exchange(buffer_, {});
    }

private:
    void fill() {
        char chunk[4096];
        boost::system::error_code ec;
        std::size_t n = socket_.read_some(boost::asio::buffer(chunk), ec);
        if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) {
            eof_ = true;
            throw std::runtime_error("connection closed by server");
        }
        if (ec) throw std::runtime_error("read failed: " + ec.message());
        buffer_.append(chunk, n);
    }

    std::unique_ptr<boost::asio::io_context> io_; // on the heap so the client can move
    boost::asio::ip::tcp::socket socket_;
    std::string buffer_;
    bool eof_ = false;
};

} // namespace smtp_test

#endif
