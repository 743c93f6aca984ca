#ifndef SMTP_IMPL_CLIENT_IPP
#define SMTP_IMPL_CLIENT_IPP

// The definitions of smtp/client.hpp's functions (SMTP_DECL): compiled once by <smtp/src.hpp>
// under SMTP_SEPARATE_COMPILATION, inline otherwise. No lambdas in its coroutines: compiled
// separately, a coroutine here is not inline, and g++ warns (-Wsubobject-linkage) when its frame
// holds a type without linkage.

#include <smtp/client.hpp>

#include <smtp/detail/ascii.hpp>
#include <smtp/detail/base64.hpp>
#include <smtp/detail/dot_stuff.hpp>
#include <smtp/detail/reply_parser.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <openssl/ssl.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <tuple>

namespace smtp {

namespace detail {

// What the timeout watchdog must reach, shared so that its completion handler can tell whether
// the client still exists.
struct client_state {
    explicit client_state(const boost::asio::any_io_executor& executor)
        : socket(executor), timer(executor) {}

    boost::asio::ip::tcp::socket socket;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls;
    boost::asio::steady_timer timer;
    boost::asio::ip::tcp::resolver* resolving = nullptr; // cancelled by the watchdog too
    std::string input;                                   // received, not parsed yet
    std::uint64_t generation = 0;                        // which step the watchdog guards
    bool timed_out = false;
};

// The condition of async_connect in client::open: try the next address unless the deadline
// has passed.
struct unless_late {
    const client_state* state;
    bool operator()(const boost::system::error_code&, const boost::asio::ip::tcp::endpoint&) const {
        return !state->timed_out;
    }
};

// "<address>", leaving an address already in angle brackets alone; "<>" for the null sender.
inline std::string angle_address(std::string_view address) {
    if (address.empty() || address == "<>") return "<>";
    if (address.starts_with('<') && address.ends_with('>')) return std::string(address);
    return "<" + std::string(address) + ">";
}

inline bool is_ascii(std::string_view s) noexcept {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// Whether `name` is one of `names`.
inline bool listed(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// Whether one of `parameters` sets `keyword` ("SIZE" matches "size=10").
inline bool has_parameter(const std::vector<std::string>& parameters, std::string_view keyword) {
    for (const auto& p : parameters) {
        if (iequals(std::string_view(p).substr(0, p.find('=')), keyword)) return true;
    }
    return false;
}

} // namespace detail

SMTP_DECL client::client(executor_type executor, client_options options)
    : executor_(std::move(executor)), options_(options),
      state_(std::make_shared<detail::client_state>(executor_)) {}

SMTP_DECL client::~client() {
    close();
}

SMTP_DECL bool client::is_open() const noexcept {
    return state_ && state_->socket.is_open();
}

SMTP_DECL bool client::tls_active() const noexcept {
    return state_ && state_->tls != nullptr;
}

SMTP_DECL void client::close() noexcept {
    if (!state_) return;
    disarm();
    boost::system::error_code ignored;
    state_->socket.close(ignored);
}

// The watchdog: one timer, re-armed for every step. A step that outlives it finds its socket
// closed and fails; the generation tells a late expiry from the current step's.
SMTP_DECL void client::arm() {
    auto& st = *state_;
    st.timed_out = false;
    st.timer.expires_after(options_.timeout);
    st.timer.async_wait([weak = std::weak_ptr<detail::client_state>(state_),
                         generation = ++st.generation](boost::system::error_code ec) {
        auto st = weak.lock();
        if (ec || !st || st->generation != generation) return;
        st->timed_out = true;
        if (st->resolving) st->resolving->cancel();
        boost::system::error_code ignored;
        st->socket.close(ignored);
    });
}

SMTP_DECL void client::disarm() noexcept {
    ++state_->generation;
    try {
        state_->timer.cancel();
    } catch (...) { // only a broken reactor throws here; the generation already disarms it
    }
}

SMTP_DECL void client::fail(boost::system::error_code ec, const char* what) {
    bool timed_out = state_->timed_out;
    close();
    if (timed_out) ec = boost::asio::error::timed_out;
    throw boost::system::system_error(ec, std::string("smtp::client: ") + what);
}

SMTP_DECL boost::asio::awaitable<void> client::open(std::string_view host, std::uint16_t port) {
    namespace asio = boost::asio;
    close();
    state_ = std::make_shared<detail::client_state>(executor_);
    host_.assign(host);
    extensions_ = {};
    extended_ = false;
    greeting_ = {};
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host_, ec);
    std::vector<asio::ip::tcp::endpoint> endpoints;
    if (!ec) {
        endpoints.emplace_back(address, port);
    } else {
        asio::ip::tcp::resolver resolver(executor_);
        state_->resolving = &resolver;
        arm();
        const std::string service = std::to_string(port);
        auto [resolve_ec, results] =
            co_await resolver.async_resolve(host_, service, asio::as_tuple(asio::use_awaitable));
        state_->resolving = nullptr;
        disarm();
        if (resolve_ec) fail(resolve_ec, "resolve");
        for (const auto& entry : results)
            endpoints.push_back(entry.endpoint());
    }
    arm();
    // Once the deadline has passed, the addresses not tried yet are skipped: the watchdog closed
    // the socket, and async_connect would otherwise open it again for the next address.
    detail::unless_late not_late{state_.get()};
    auto [connect_ec, endpoint] = co_await asio::async_connect(state_->socket, endpoints, not_late,
                                                               asio::as_tuple(asio::use_awaitable));
    disarm();
    if (connect_ec) fail(connect_ec, "connect");
    state_->socket.set_option(asio::ip::tcp::no_delay(true), ec);
}

SMTP_DECL boost::asio::awaitable<reply> client::read_greeting() {
    greeting_ = co_await read_reply();
    if (greeting_.code != 220) {
        close();
        throw client_error("connect", greeting_);
    }
    co_return greeting_;
}

SMTP_DECL boost::asio::awaitable<reply> client::connect(std::string_view host, std::uint16_t port) {
    co_await open(host, port);
    co_return co_await read_greeting();
}

SMTP_DECL boost::asio::awaitable<reply> client::connect(std::string_view host, std::uint16_t port,
                                                        boost::asio::ssl::context& tls) {
    co_await open(host, port);
    co_await handshake(tls);
    co_return co_await read_greeting();
}

SMTP_DECL boost::asio::awaitable<void> client::handshake(boost::asio::ssl::context& tls) {
    namespace asio = boost::asio;
    auto& st = *state_;
    st.tls = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(st.socket, tls);
    boost::system::error_code not_an_address;
    asio::ip::make_address(host_, not_an_address);
    // SNI carries host names only (RFC 6066 §3).
    if (not_an_address) ::SSL_set_tlsext_host_name(st.tls->native_handle(), host_.c_str());
    if (::SSL_CTX_get_verify_mode(tls.native_handle()) & SSL_VERIFY_PEER)
        st.tls->set_verify_callback(asio::ssl::host_name_verification(host_));
    arm();
    auto [handshake_ec] = co_await st.tls->async_handshake(asio::ssl::stream_base::client,
                                                           asio::as_tuple(asio::use_awaitable));
    disarm();
    if (handshake_ec) fail(handshake_ec, "TLS handshake");
}

SMTP_DECL boost::asio::awaitable<void> client::write(std::string_view bytes) {
    namespace asio = boost::asio;
    if (!is_open()) throw boost::system::system_error(asio::error::not_connected, "smtp::client");
    auto& st = *state_;
    arm();
    // Two statements, not one conditional expression: GCC 12 miscompiles some co_await
    // expressions with temporaries, so each co_await here stands alone.
    boost::system::error_code ec;
    if (st.tls)
        std::tie(ec, std::ignore) = co_await asio::async_write(*st.tls, asio::buffer(bytes),
                                                               asio::as_tuple(asio::use_awaitable));
    else
        std::tie(ec, std::ignore) = co_await asio::async_write(st.socket, asio::buffer(bytes),
                                                               asio::as_tuple(asio::use_awaitable));
    disarm();
    if (ec) fail(ec, "write");
}

SMTP_DECL boost::asio::awaitable<reply> client::read_reply() {
    namespace asio = boost::asio;
    if (!is_open()) throw boost::system::system_error(asio::error::not_connected, "smtp::client");
    auto& st = *state_;
    detail::reply_parser parser;
    std::size_t scanned = 0; // bytes of input known to hold no line end
    for (;;) {
        for (std::size_t lf; (lf = st.input.find('\n', scanned)) != std::string::npos;) {
            std::string_view line(st.input.data(), lf);
            if (line.ends_with('\r')) line.remove_suffix(1);
            auto status = parser.feed(line);
            st.input.erase(0, lf + 1);
            scanned = 0;
            if (status == detail::reply_parser::status::done) co_return parser.take();
            if (status == detail::reply_parser::status::invalid) {
                close();
                throw client_error("reading a reply", {}, "malformed reply line");
            }
        }
        scanned = st.input.size();
        if (parser.size() + st.input.size() > options_.max_reply_size) {
            close();
            throw client_error("reading a reply", {}, "reply too long");
        }
        char chunk[4096];
        arm();
        boost::system::error_code ec;
        std::size_t n = 0;
        if (st.tls)
            std::tie(ec, n) = co_await st.tls->async_read_some(asio::buffer(chunk),
                                                               asio::as_tuple(asio::use_awaitable));
        else
            std::tie(ec, n) = co_await st.socket.async_read_some(
                asio::buffer(chunk), asio::as_tuple(asio::use_awaitable));
        disarm();
        if (ec) fail(ec, "read");
        st.input.append(chunk, n);
    }
}

SMTP_DECL boost::asio::awaitable<reply> client::exchange(std::string_view line) {
    if (line.find_first_of("\r\n") != std::string_view::npos)
        throw std::invalid_argument("smtp::client: CR or LF in a command line");
    std::string out;
    out.reserve(line.size() + 2);
    out.append(line).append("\r\n");
    co_await write(out);
    co_return co_await read_reply();
}

SMTP_DECL boost::asio::awaitable<reply> client::command(std::string_view line) {
    co_return co_await exchange(line);
}

SMTP_DECL boost::asio::awaitable<reply> client::ehlo(std::string_view name) {
    helo_name_.assign(name);
    const std::string ehlo_line = "EHLO " + helo_name_;
    reply r = co_await exchange(ehlo_line);
    if (r.positive()) {
        extensions_ = smtp::extensions::parse(r);
        extended_ = true;
        co_return r;
    }
    // RFC 5321 §3.2: a server that does not know EHLO answers 500, 501, 502 or 550.
    if (r.code < 500) throw client_error("EHLO", r);
    const std::string helo_line = "HELO " + helo_name_;
    reply h = co_await exchange(helo_line);
    if (!h.positive()) throw client_error("HELO", h);
    extensions_ = {};
    extended_ = false;
    co_return h;
}

SMTP_DECL boost::asio::awaitable<bool> client::starttls(boost::asio::ssl::context& tls) {
    if (tls_active() || !extensions_.has("STARTTLS")) co_return false;
    reply r = co_await exchange("STARTTLS");
    if (r.code != 220) throw client_error("STARTTLS", r);
    // RFC 3207 §4.2: nothing learnt before TLS counts. Bytes that came with the 220 could only
    // be an injection (CVE-2011-0411's client side): dropped unread.
    state_->input.clear();
    extensions_ = {};
    extended_ = false;
    co_await handshake(tls);
    co_await ehlo(helo_name_);
    co_return true;
}

SMTP_DECL boost::asio::awaitable<void> client::login(std::string_view user,
                                                     std::string_view password) {
    const auto mechanisms = extensions_.auth_mechanisms();
    if (detail::listed(mechanisms, "PLAIN")) {
        std::string token;
        token.push_back('\0');
        token.append(user).push_back('\0');
        token.append(password);
        const std::string line = "AUTH PLAIN " + detail::base64_encode(token);
        reply r = co_await exchange(line);
        if (r.code != 235) throw client_error("AUTH PLAIN", r);
        co_return;
    }
    if (detail::listed(mechanisms, "LOGIN")) {
        const std::string user_line = detail::base64_encode(user);
        const std::string password_line = detail::base64_encode(password);
        reply r = co_await exchange("AUTH LOGIN");
        if (r.code == 334) r = co_await exchange(user_line);
        if (r.code == 334) r = co_await exchange(password_line);
        if (r.code != 235) throw client_error("AUTH LOGIN", r);
        co_return;
    }
    throw client_error("AUTH", {},
                       extensions_.has("AUTH") ? "the server offers neither PLAIN nor LOGIN"
                                               : "the server does not offer AUTH");
}

SMTP_DECL boost::asio::awaitable<void> client::reset_transaction(int last_code) {
    // After a 421 the server is closing: nothing to reset.
    if (last_code == 421) {
        close();
        co_return;
    }
    co_await exchange("RSET");
}

SMTP_DECL boost::asio::awaitable<send_result>
client::send(std::string_view from, const std::vector<std::string>& recipients,
             std::string_view content, const std::vector<std::string>& parameters) {
    send_result result;
    auto message = detail::dot_stuff(content);
    std::string mail = "MAIL FROM:" + detail::angle_address(from);
    if (extended_) {
        if (extensions_.has("SIZE") && !detail::has_parameter(parameters, "SIZE"))
            mail += " SIZE=" + std::to_string(message.size);
        if (message.eight_bit && extensions_.has("8BITMIME") &&
            !detail::has_parameter(parameters, "BODY"))
            mail += " BODY=8BITMIME";
        bool ascii = detail::is_ascii(from);
        for (const auto& r : recipients)
            ascii = ascii && detail::is_ascii(r);
        if (!ascii && extensions_.has("SMTPUTF8") && !detail::has_parameter(parameters, "SMTPUTF8"))
            mail += " SMTPUTF8";
    }
    for (const auto& p : parameters)
        mail.append(" ").append(p);

    result.mail = co_await exchange(mail);
    if (!result.mail.positive()) {
        co_await reset_transaction(result.mail.code);
        co_return result;
    }
    bool any_accepted = false;
    for (const auto& r : recipients) {
        const std::string line = "RCPT TO:" + detail::angle_address(r);
        reply answer = co_await exchange(line);
        any_accepted = any_accepted || answer.positive();
        bool closing = answer.code == 421;
        result.recipients.push_back({r, std::move(answer)});
        if (closing) {
            close();
            co_return result;
        }
    }
    if (!any_accepted) {
        int last_code = result.recipients.empty() ? 0 : result.recipients.back().reply.code;
        co_await reset_transaction(last_code);
        co_return result;
    }
    reply go = co_await exchange("DATA");
    if (go.code != 354 && go.code < 400) { // a server that skips 354 is not speaking SMTP
        close();
        throw client_error("DATA", go, "expected 354");
    }
    if (go.code != 354) {
        result.data = std::move(go);
        co_await reset_transaction(result.data.code);
        co_return result;
    }
    co_await write(message.wire);
    result.data = co_await read_reply();
    co_return result;
}

SMTP_DECL boost::asio::awaitable<reply> client::quit() {
    reply r;
    try {
        r = co_await exchange("QUIT");
    } catch (const boost::system::system_error&) {
    } catch (const client_error&) {
    }
    close();
    co_return r;
}

} // namespace smtp

#endif
