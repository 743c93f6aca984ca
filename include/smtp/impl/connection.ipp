#ifndef SMTP_IMPL_CONNECTION_IPP
#define SMTP_IMPL_CONNECTION_IPP

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <smtp/detail/base64.hpp>
#include <smtp/detail/local_address.hpp>
#include <smtp/detail/session_registry.hpp>
#include <smtp/detail/socket_now.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <smtp/detail/command.hpp>
#include <smtp/detail/line_reader.hpp>

namespace smtp {

SMTP_DECL connection::connection(socket_type socket, const smtp::options& opts,
                                 std::string_view hostname)
    : socket_(std::move(socket)), opts_(opts), hostname_(hostname) {
    session_.peer = detail::peer_address_of(socket_);
    session_.local = detail::local_address_of(socket_);
    if (session_.peer.family != peer_address::family_type::local) {
        // Replies are written whole, once per batch: Nagle's algorithm would only delay them.
        boost::system::error_code ignored;
        socket_.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
    }
}

SMTP_DECL connection::~connection() {
    boost::system::error_code ignored;
    socket_.close(ignored);
}

SMTP_DECL void connection::arm_timeout(clock::duration d) noexcept {
    deadline_ = clock::now() + d;
    deadline_armed_ = true;
    if (deadline_watch_) deadline_watch_->deadline_at(deadline_, d);
}

SMTP_DECL connection::clock::time_point connection::check_deadline(clock::time_point now) noexcept {
    if (!deadline_armed_) return clock::time_point::max();
    if (now < deadline_) return deadline_;
    if (io_pending_) {
        timed_out_ = true;
        deadline_armed_ = false; // until arm_timeout() (allow_final_reply(), say)
        boost::system::error_code ignored;
        socket_.cancel(ignored);
        return clock::time_point::max();
    }
    deadline_ = now + opts_.timeout; // a hook is working: not the client's fault
    return deadline_;
}

SMTP_DECL void connection::trace_command(std::string_view line) const {
    if (!tracer_) return;
    std::size_t secret = detail::auth_secret_start(line);
    if (secret == std::string_view::npos) {
        trace(trace_event::command, line);
        return;
    }
    std::string shown(line.substr(0, secret));
    shown.append(masked_secret);
    trace(trace_event::command, shown);
}

SMTP_DECL boost::asio::awaitable<bool> connection::read_some() {
    if (timed_out_) co_return false;
    auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
    if (!tls_) {
        for (;;) {
            // Wait until the client has sent something, holding no buffer meanwhile: the read
            // then finds the bytes at once, and idle connections cost less memory. (Not under
            // TLS, where OpenSSL may hold decrypted bytes the socket does not show.)
            input_.release();
            io_pending_ = true;
            auto [ec] = co_await socket_.async_wait(socket_type::wait_read, token);
            io_pending_ = false;
            if (ec || timed_out_) co_return false;
            switch (read_now()) {
            case detail::io_now::done: co_return true;
            case detail::io_now::would_block: continue; // woken early: wait again
            default: co_return false;
            }
        }
    }
    io_pending_ = true;
    auto [buffer, size] = input_.prepare(4096);
    auto [ec, n] = co_await tls_->async_read_some(boost::asio::buffer(buffer, size), token);
    io_pending_ = false;
    if (ec) co_return false;
    bytes_received_ += n;
    input_.commit(n);
    co_return true;
}

SMTP_DECL detail::io_now connection::read_now() {
    auto [buffer, size] = input_.prepare(4096);
    std::size_t n = 0;
    auto result = detail::receive_now(socket_.native_handle(), buffer, size, n);
    if (result == detail::io_now::done) {
        bytes_received_ += n;
        input_.commit(n);
    }
    return result;
}

SMTP_DECL boost::asio::awaitable<bool> connection::flush() {
    if (out_.empty()) co_return true;
    trace(trace_event::reply, out_);
    if (timed_out_) co_return false;
    std::size_t sent = 0;
    if (!tls_) {
        // Nearly always the socket takes the whole batch now (see socket_now.hpp).
        auto result = detail::send_now(socket_.native_handle(), out_.data(), out_.size(), sent);
        if (result != detail::io_now::would_block) {
            bytes_sent_ += sent;
            out_.clear();
            co_return result == detail::io_now::done;
        }
    }
    io_pending_ = true;
    auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
    auto rest = boost::asio::buffer(out_.data() + sent, out_.size() - sent);
    auto [ec, n] = tls_ ? co_await boost::asio::async_write(*tls_, rest, token)
                        : co_await boost::asio::async_write(socket_, rest, token);
    io_pending_ = false;
    bytes_sent_ += sent + n;
    out_.clear();
    co_return !ec;
}

SMTP_DECL boost::asio::awaitable<std::optional<std::string>>
connection::challenge(std::string_view text, bool encode) {
    constexpr std::size_t max_response = 12288; // RFC 4954 §4
    out_.append("334 ").append(encode ? detail::base64_encode(text) : std::string(text));
    out_.append("\r\n");
    detail::line_reader lines(max_response + 1); // + the CR of CRLF
    for (;;) {
        auto event = lines.next(input_.data());
        if (event.what == detail::line_reader::kind::need_more) {
            input_.consume(event.consumed);
            arm_timeout(); // each step of the exchange gets the full timeout
            if (!co_await flush() || !co_await read_some()) co_return std::nullopt;
            continue;
        }
        if (event.what == detail::line_reader::kind::too_long) {
            input_.consume(event.consumed);
            push(reply{500, "5.5.6 Authentication Exchange line is too long"});
            co_return std::nullopt;
        }
        std::string_view line = detail::strip(event.line);
        trace_sasl_response();
        std::optional<std::string> decoded;
        if (line == "*") {
            input_.consume(event.consumed);
            push(reply{501, "5.7.0 Auth aborted"});
            co_return std::nullopt;
        }
        decoded = line == "=" ? std::string() : detail::base64_decode(line);
        input_.consume(event.consumed);
        if (!decoded) push(reply{501, "5.5.2 Can't decode base64"});
        co_return decoded;
    }
}

namespace detail {

// The facts a handler may want about an established TLS session.
SMTP_DECL tls_info describe_tls(SSL* ssl) {
    tls_info info;
    info.version = ::SSL_get_version(ssl);
    if (const SSL_CIPHER* cipher = ::SSL_get_current_cipher(ssl))
        info.cipher = ::SSL_CIPHER_get_name(cipher);
    if (const char* name = ::SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name))
        info.server_name = name;
    if (X509* peer = ::SSL_get1_peer_certificate(ssl)) {
        info.peer_certificate = true;
        info.peer_verified = ::SSL_get_verify_result(ssl) == X509_V_OK;
        if (char* subject = ::X509_NAME_oneline(::X509_get_subject_name(peer), nullptr, 0)) {
            info.peer_subject = subject;
            ::OPENSSL_free(subject);
        }
        if (BIO* bio = ::BIO_new(::BIO_s_mem())) {
            if (::PEM_write_bio_X509(bio, peer) == 1) {
                char* data = nullptr;
                long size = ::BIO_get_mem_data(bio, &data);
                info.peer_certificate_pem.assign(data, std::size_t(size));
            }
            ::BIO_free(bio);
        }
        ::X509_free(peer);
    }
    return info;
}

} // namespace detail

SMTP_DECL boost::asio::awaitable<bool> connection::start_tls(std::shared_ptr<tls_context> context,
                                                             early_bytes early) {
    tls_context_ = std::move(context);
    tls_ =
        std::make_unique<boost::asio::ssl::stream<socket_type&>>(socket_, tls_context_->native());
    if (selector_.choose)
        ::SSL_set_ex_data(tls_->native_handle(), detail::certificate_selector::index(), &selector_);
    arm_timeout(opts_.tls_handshake_timeout);
    io_pending_ = true;
    // The bytes handed to the handshake are copied out first: input_ is free again after it.
    std::string carried;
    if (early == early_bytes::carry) carried.assign(input_.data());
    input_.clear(); // after STARTTLS nothing sent in plaintext may be read as if over TLS
    auto [ec, used] = co_await tls_->async_handshake(
        boost::asio::ssl::stream_base::server, boost::asio::buffer(carried),
        boost::asio::as_tuple(boost::asio::use_awaitable));
    io_pending_ = false;
    if (ec) co_return false;
    tls_ready_ = true;
    timed_out_ = false;
    session_.ssl = std::make_shared<const tls_info>(detail::describe_tls(tls_->native_handle()));
    arm_timeout();
    co_return true;
}

SMTP_DECL void connection::request_shutdown() noexcept {
    shutdown_requested_ = true;
    if (waiting_for_command_) {
        boost::system::error_code ignored;
        socket_.cancel(ignored); // read_some() returns false; the server answers 421
    }
}

SMTP_DECL boost::asio::awaitable<void> connection::finish() {
    co_await flush();
    if (tls_active() && socket_.is_open() && !timed_out_) {
        // The client need not answer the close_notify, and may already be gone: a short wait.
        arm_timeout(std::chrono::seconds(1));
        io_pending_ = true;
        co_await tls_->async_shutdown(boost::asio::as_tuple(boost::asio::use_awaitable));
        io_pending_ = false;
    }
    close();
}

SMTP_DECL void connection::close() noexcept {
    boost::system::error_code ignored;
    socket_.shutdown(socket_type::shutdown_both, ignored);
    socket_.close(ignored);
    deadline_armed_ = false;
}

} // namespace smtp

#endif
