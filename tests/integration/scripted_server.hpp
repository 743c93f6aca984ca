#ifndef SMTP_TESTS_SCRIPTED_SERVER_HPP
#define SMTP_TESTS_SCRIPTED_SERVER_HPP

// A server that plays a fixed script to one client, for client tests that need replies no
// real server gives (HELO only, malformed lines, silence, bytes injected after STARTTLS). It
// runs on a thread of its own; every wait is bounded, so a broken client cannot hang it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace smtp_test {

class scripted_server {
public:
    struct step {
        enum kind_type { say, expect, pause, start_tls, hang_up } kind;
        std::string text = {}; // say: bytes to send; start_tls: certificate and key, "cert|key"
    };
    static step say(std::string bytes) { return {step::say, std::move(bytes)}; }
    static step expect() { return {step::expect}; }
    static step pause() { return {step::pause}; }
    static step start_tls(const std::string& cert, const std::string& key) {
        return {step::start_tls, cert + "|" + key};
    }
    static step hang_up() { return {step::hang_up}; }

    explicit scripted_server(std::vector<step> script)
        : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}),
          thread_([this, script = std::move(script)] { play(script); }) {}
    ~scripted_server() { thread_.join(); }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

    /// The lines the client sent, CRLF removed, once the script has ended.
    std::vector<std::string> received() {
        thread_.join();
        thread_ = std::thread([] {});
        return received_;
    }

private:
    void play(const std::vector<step>& script) {
        pollfd p{acceptor_.native_handle(), POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return;
        boost::asio::ip::tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec) return;
        timeval tv{10, 0};
        ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::unique_ptr<boost::asio::ssl::context> tls_context;
        std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls;
        std::string buffer;
        for (const auto& s : script) {
            switch (s.kind) {
            case step::say:
                if (tls)
                    boost::asio::write(*tls, boost::asio::buffer(s.text), ec);
                else
                    boost::asio::write(socket, boost::asio::buffer(s.text), ec);
                break;
            case step::expect: {
                std::size_t lf;
                while ((lf = buffer.find('\n')) == std::string::npos && !ec) {
                    char chunk[4096];
                    std::size_t n = tls ? tls->read_some(boost::asio::buffer(chunk), ec)
                                        : socket.read_some(boost::asio::buffer(chunk), ec);
                    buffer.append(chunk, n);
                }
                if (ec) break;
                std::string line = buffer.substr(0, lf);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                buffer.erase(0, lf + 1);
                received_.push_back(line);
                break;
            }
            case step::pause: std::this_thread::sleep_for(std::chrono::seconds(2)); break;
            case step::start_tls: {
                auto bar = s.text.find('|');
                tls_context = std::make_unique<boost::asio::ssl::context>(
                    boost::asio::ssl::context::tls_server);
                tls_context->use_certificate_chain_file(s.text.substr(0, bar));
                tls_context->use_private_key_file(s.text.substr(bar + 1),
                                                  boost::asio::ssl::context::pem);
                tls = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>>(
                    socket, *tls_context);
                tls->handshake(boost::asio::ssl::stream_base::server, ec);
                break;
            }
            case step::hang_up: socket.close(ec); return;
            }
            if (ec) return;
        }
    }

    boost::asio::io_context io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::vector<std::string> received_;
    std::thread thread_;
};

} // namespace smtp_test

#endif
