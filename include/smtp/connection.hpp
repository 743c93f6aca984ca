#ifndef SMTP_CONNECTION_HPP
#define SMTP_CONNECTION_HPP

#include <smtp/detail/input_buffer.hpp>
#include <smtp/options.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace smtp {

template <class Handler, class AuthPolicy, class DecodePolicy>
class server;

/// One client connection, as hooks see it.
///
/// Every hook receives it first. Its type does not depend on the server's Handler or policies,
/// so hooks can be declared with it and defined in a .cpp file. It is only valid while the hook
/// runs.
class connection {
public:
    using socket_type = boost::asio::generic::stream_protocol::socket;

    connection(socket_type socket, const smtp::options& opts, std::string_view hostname);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    /// Queues one raw reply line (CRLF is added), as aiosmtpd's `push`: e.g. extra EHLO lines
    /// `250-XFOO` from a 4-argument handle_EHLO. Queued lines go out with the next reply.
    void push(std::string_view line) { out_.append(line).append("\r\n"); }
    /// Queues a reply.
    void push(const reply& r) { r.write_to(out_); }

    /// The server's host name (greeting, HELO and EHLO replies).
    std::string_view hostname() const noexcept { return hostname_; }
    /// The server's options.
    const smtp::options& options() const noexcept { return opts_; }
    /// The current session.
    smtp::session& session() noexcept { return session_; }
    const smtp::session& session() const noexcept { return session_; }

private:
    template <class, class, class>
    friend class server;

    using clock = std::chrono::steady_clock;

    /// Reads more bytes into the buffer. False on end of stream, error or timeout.
    boost::asio::awaitable<bool> read_some();
    /// Writes what is queued. False on error or timeout.
    boost::asio::awaitable<bool> flush();
    /// Closes the socket (after a final flush by the caller).
    void close() noexcept;

    /// The idle deadline starts again from now.
    void arm_timeout() noexcept { arm_timeout(opts_.timeout); }
    void arm_timeout(clock::duration d) noexcept;
    void start_watchdog();

    socket_type socket_;
    const smtp::options& opts_;
    std::string_view hostname_;
    smtp::session session_;
    detail::input_buffer input_;
    std::string out_;
    boost::asio::steady_timer timer_;
    clock::time_point deadline_;
    bool watchdog_running_ = false;
    bool io_pending_ = false;
    bool timed_out_ = false;
    // Lets the watchdog's completion handler know the connection is gone.
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

} // namespace smtp

#include <smtp/impl/connection.ipp>

#endif
