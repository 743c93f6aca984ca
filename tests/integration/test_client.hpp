#ifndef SMTP_TESTS_TEST_CLIENT_HPP
#define SMTP_TESTS_TEST_CLIENT_HPP

// A blocking line-oriented client for loopback tests. Every read is bounded by a socket
// timeout, so a server that fails to answer fails the test instead of hanging it.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
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
    explicit test_client(std::uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10))
        : io_(std::make_unique<boost::asio::io_context>()), socket_(*io_) {
        socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        timeval tv{};
        tv.tv_sec = timeout.count() / 1000;
        tv.tv_usec = (timeout.count() % 1000) * 1000;
        ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }

    void send(std::string_view bytes) {
        if (tls_)
            boost::asio::write(*tls_, boost::asio::buffer(bytes));
        else
            boost::asio::write(socket_, boost::asio::buffer(bytes));
    }

    /// Starts TLS as a client (after STARTTLS, or at once for implicit TLS). `server_name` is
    /// sent as SNI; `certificate`/`key` (PEM files) are presented when given. Certificates are
    /// not verified: the tests look at what the server sent instead.
    void start_tls(const std::string& server_name = {}, const std::string& certificate = {},
                   const std::string& key = {}) {
        tls_context_ =
            std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_client);
        tls_context_->set_verify_mode(boost::asio::ssl::verify_none);
        if (!certificate.empty()) {
            tls_context_->use_certificate_chain_file(certificate);
            tls_context_->use_private_key_file(key, boost::asio::ssl::context::pem);
        }
        tls_ = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>>(
            socket_, *tls_context_);
        if (!server_name.empty())
            ::SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
        tls_->handshake(boost::asio::ssl::stream_base::client);
    }

    /// The subject of the certificate the server presented (after start_tls).
    std::string server_certificate_subject() {
        X509* cert = ::SSL_get1_peer_certificate(tls_->native_handle());
        if (!cert) return {};
        char* subject = ::X509_NAME_oneline(::X509_get_subject_name(cert), nullptr, 0);
        std::string result = subject ? subject : "";
        ::OPENSSL_free(subject);
        ::X509_free(cert);
        return result;
    }

    /// Closes the TCP connection at once.
    void abort() {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }

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

    /// How the server ended a TLS session: "close_notify" (RFC 8446 §6.1), "truncated" (the
    /// TCP connection closed without one), or what else the read failed with.
    std::string read_tls_end() {
        char chunk[512];
        for (;;) {
            boost::system::error_code ec;
            tls_->read_some(boost::asio::buffer(chunk), ec);
            if (ec == boost::asio::error::eof) return "close_notify";
            if (ec == boost::asio::ssl::error::stream_truncated) return "truncated";
            if (ec) return ec.message();
        }
    }

    /// Everything until the server closes the connection.
    std::string read_to_end() {
        try {
            for (;;)
                fill();
        } catch (const std::exception&) {
        }
        return std::exchange(buffer_, {});
    }

private:
    void fill() {
        char chunk[4096];
        boost::system::error_code ec;
        std::size_t n = tls_ ? tls_->read_some(boost::asio::buffer(chunk), ec)
                             : socket_.read_some(boost::asio::buffer(chunk), ec);
        if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
            ec == boost::asio::ssl::error::stream_truncated) {
            eof_ = true;
            throw std::runtime_error("connection closed by server");
        }
        if (ec) throw std::runtime_error("read failed: " + ec.message());
        buffer_.append(chunk, n);
    }

    std::unique_ptr<boost::asio::io_context> io_; // on the heap so the client can move
    boost::asio::ip::tcp::socket socket_;
    std::unique_ptr<boost::asio::ssl::context> tls_context_;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
    std::string buffer_;
    bool eof_ = false;
};

} // namespace smtp_test

#endif
