#ifndef SMTP_IMPL_SERVER_BASE_IPP
#define SMTP_IMPL_SERVER_BASE_IPP

// detail::server_base: the listeners, the counts and limits, the graceful shutdown, and the
// steps of a session that call no hook. Included by detail/server_base.hpp when header-only, by
// <smtp/src.hpp> otherwise.

#include <smtp/detail/base64.hpp>
#include <smtp/detail/proxy_protocol.hpp>
#include <smtp/detail/write_reply.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/core/demangle.hpp>

#include <algorithm>
#include <any>
#include <cstdio>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <typeinfo>
#include <unistd.h>

namespace smtp::detail {

namespace server_listening {

/// A way to set SO_REUSEPORT without Asio's detail namespace showing in the server.
using reuse_port = boost::asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

/// Whether a listener of ours already holds `endpoint` (the second and later listen_shared()).
template <class Acceptors>
bool port_is_ours(const boost::asio::ip::tcp::endpoint& endpoint, const Acceptors& acceptors) {
    for (const auto& a : acceptors) {
        boost::system::error_code ec;
        if (a->local_endpoint(ec) == endpoint && !ec) return true;
    }
    return false;
}

/// SO_REUSEPORT would let a second server bind a port another one (of the same user) serves.
/// A probe bound without it finds any listener there (theirs had to set SO_REUSEPORT too, so
/// the probe's bind fails), and a listener found is refused as `address_in_use`.
SMTP_DECL void refuse_port_in_use(const boost::asio::ip::tcp::endpoint& endpoint) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(endpoint.protocol(), ec);
    if (!ec) probe.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec) probe.bind(endpoint, ec);
    if (ec == boost::asio::error::address_in_use) throw boost::system::system_error(ec, "bind");
}

/// Removes the socket file at `path` when no one listens on it (an earlier run's). Anything
/// else there is refused: a file that is no socket (`file_exists`), a socket a live server
/// answers on (`address_in_use`).
SMTP_DECL void remove_stale_socket(const std::string& path) {
    struct ::stat status;
    if (::lstat(path.c_str(), &status) != 0) return; // nothing there: bind() tells the rest
    if (!S_ISSOCK(status.st_mode))
        throw boost::system::system_error(std::make_error_code(std::errc::file_exists).value(),
                                          boost::system::generic_category(), "listen_local");
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket probe(io);
    boost::system::error_code ec;
    probe.connect(boost::asio::local::stream_protocol::endpoint(path), ec);
    if (!ec) throw boost::system::system_error(boost::asio::error::address_in_use, "listen_local");
    ::unlink(path.c_str());
}

/// A bug in an accept loop must not pass unseen.
SMTP_DECL void rethrow_loop_failure(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
}

/// serve() catches what hooks throw; anything else is a bug worth hearing about.
SMTP_DECL void report_session_failure(std::exception_ptr e) {
    if (!e) return;
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "smtp: session ended by an exception: %s\n", error.what());
    } catch (...) {
        std::fprintf(stderr, "smtp: session ended by an unknown exception\n");
    }
}

} // namespace server_listening

SMTP_DECL server_base::server_base(smtp::options opts, session_starter start)
    : opts_(std::move(opts)),
      hostname_(opts_.hostname.empty() ? boost::asio::ip::host_name() : opts_.hostname),
      start_session_(start) {
    for (const auto& network : opts_.proxy_trusted)
        proxy_trusted_.emplace_back(network);
}

SMTP_DECL server_base::~server_base() {
    close();
}

// --- Listeners ------------------------------------------------------------------------------

SMTP_DECL boost::asio::ip::tcp::endpoint
server_base::listen_tcp(const boost::asio::any_io_executor& executor,
                        const boost::asio::ip::tcp::endpoint& endpoint, bool implicit_tls,
                        bool reuse_port) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument("smtp::server::listen: implicit TLS needs options().tls");
    if (reuse_port && endpoint.port() != 0 && !server_listening::port_is_ours(endpoint, acceptors_))
        server_listening::refuse_port_in_use(endpoint);
    auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(executor);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(boost::asio::socket_base::reuse_address(true));
    if (reuse_port) acceptor->set_option(server_listening::reuse_port(true));
    acceptor->bind(endpoint);
    acceptor->listen(boost::asio::socket_base::max_listen_connections);
    auto bound = acceptor->local_endpoint();
    accept_on(acceptors_, std::move(acceptor), executor, implicit_tls);
    return bound;
}

SMTP_DECL void server_base::listen_local(const boost::asio::any_io_executor& executor,
                                         const std::string& path, bool implicit_tls) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument("smtp::server::listen_local: implicit TLS needs options().tls");
    server_listening::remove_stale_socket(path); // an earlier run's would make bind fail
    auto acceptor = std::make_unique<boost::asio::local::stream_protocol::acceptor>(
        executor, boost::asio::local::stream_protocol::endpoint(path));
    {
        std::lock_guard lock(registries_mutex_);
        local_paths_.push_back(path); // close() removes the file
    }
    accept_on(local_acceptors_, std::move(acceptor), executor, implicit_tls);
}

SMTP_DECL boost::asio::ip::tcp::endpoint
server_base::listen_native(const boost::asio::any_io_executor& executor, int native,
                           bool implicit_tls) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument(
            "smtp::server::listen_native: implicit TLS needs options().tls");
    int type = 0, listening = 0;
    ::socklen_t size = sizeof type;
    ::sockaddr_storage address{};
    ::socklen_t address_size = sizeof address;
    bool usable =
        ::getsockopt(native, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM &&
        (size = sizeof listening,
         ::getsockopt(native, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0) &&
        listening != 0 &&
        ::getsockname(native, reinterpret_cast<::sockaddr*>(&address), &address_size) == 0;
    if (!usable)
        throw std::invalid_argument("smtp::server::listen_native: descriptor " +
                                    std::to_string(native) + " is not a listening stream socket");
    if (address.ss_family == AF_UNIX) {
        auto acceptor = std::make_unique<boost::asio::local::stream_protocol::acceptor>(executor);
        acceptor->assign(boost::asio::local::stream_protocol(), native);
        // No path kept: the file is not ours to remove.
        accept_on(local_acceptors_, std::move(acceptor), executor, implicit_tls);
        return {};
    }
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6)
        throw std::invalid_argument("smtp::server::listen_native: descriptor " +
                                    std::to_string(native) + " is neither TCP nor UNIX");
    auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(executor);
    acceptor->assign(address.ss_family == AF_INET ? boost::asio::ip::tcp::v4()
                                                  : boost::asio::ip::tcp::v6(),
                     native);
    auto bound = acceptor->local_endpoint();
    accept_on(acceptors_, std::move(acceptor), executor, implicit_tls);
    return bound;
}

SMTP_DECL session_registry::entry::entry(std::shared_ptr<session_registry> owner,
                                         served_connection& conn)
    : owner_(std::move(owner)), conn_(&conn) {
    std::size_t states = 0;
    {
        std::lock_guard lock(owner_->mutex_);
        owner_->sessions_.opened();
        states = owner_->reactor_states_.needed(owner_->sessions_.live());
        next_ = owner_->head_;
        if (next_) next_->prev_ = this;
        owner_->head_ = this;
    }
    // On the session's thread, whose reactor the states belong to.
    if (states) allocate_reactor_states(owner_->executor_, states);
}

SMTP_DECL session_registry::entry::~entry() {
    bool flood_over = false;
    std::size_t live = 0;
    {
        std::lock_guard lock(owner_->mutex_);
        if (prev_)
            prev_->next_ = next_;
        else
            owner_->head_ = next_;
        if (next_) next_->prev_ = prev_;
        flood_over = owner_->sessions_.closed();
        live = owner_->sessions_.live();
    }
    // On the session's thread (whose buffer pool it trims), outside the lock.
    if (flood_over) return_free_memory(live);
    if (live == 0) owner_->stop_watching();
}

SMTP_DECL void session_registry::check_deadlines() {
    auto now = clock::now();
    last_check_ = now;
    wake_at_ = clock::time_point::max();
    auto next = clock::time_point::max();
    {
        std::lock_guard lock(mutex_);
        for (entry* e = head_; e; e = e->next_)
            next = std::min(next, e->conn_->check_deadline(now));
    }
    if (next != clock::time_point::max()) wake_at(std::max(next, now + check_gap_));
}

SMTP_DECL std::shared_ptr<session_registry>
server_base::registry_for(const boost::asio::any_io_executor& executor) {
    std::lock_guard lock(registries_mutex_);
    // Registries of executors gone (a controller started again) are dropped once unused.
    std::erase_if(registries_, [](const auto& r) { return r.use_count() == 1; });
    for (const auto& r : registries_)
        if (r->executor() == executor) return r;
    return registries_.emplace_back(std::make_shared<session_registry>(executor));
}

template <class Acceptor>
void server_base::accept_on(std::vector<std::unique_ptr<Acceptor>>& owned,
                            std::unique_ptr<Acceptor> acceptor,
                            const boost::asio::any_io_executor& executor, bool implicit_tls) {
    auto registry = registry_for(executor);
    auto& ref = *acceptor;
    {
        std::lock_guard lock(registries_mutex_);
        owned.push_back(std::move(acceptor));
    }
    boost::asio::co_spawn(executor, accept_loop(ref, implicit_tls, std::move(registry)),
                          server_listening::rethrow_loop_failure);
}

template <class Acceptor>
boost::asio::awaitable<void> server_base::accept_loop(Acceptor& acceptor, bool implicit_tls,
                                                      std::shared_ptr<session_registry> registry) {
    auto executor = acceptor.get_executor();
    for (;;) {
        connection::socket_type socket(executor);
        auto [ec] = co_await acceptor.async_accept(
            socket, boost::asio::as_tuple(boost::asio::use_awaitable));
        if (ec == boost::asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            // Out of descriptors or the like: back off briefly instead of spinning.
            boost::asio::steady_timer pause(executor, std::chrono::milliseconds(50));
            co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            continue;
        }
        start_session_(*this, std::move(socket), implicit_tls, registry);
    }
}

SMTP_DECL void server_base::spawn_session(const boost::asio::any_io_executor& executor,
                                          boost::asio::awaitable<void> session) {
    boost::asio::co_spawn(executor, std::move(session), server_listening::report_session_failure);
}

// --- TLS, live -------------------------------------------------------------------------------

SMTP_DECL void server_base::set_tls(std::shared_ptr<tls_context> next) {
    if (!opts_.tls || !next)
        throw std::invalid_argument("smtp::server::set_tls: the server was made without TLS, "
                                    "or the new context is null");
    std::lock_guard lock(tls_mutex_);
    current_tls_ = std::move(next);
}

SMTP_DECL std::shared_ptr<tls_context> server_base::tls() const {
    std::lock_guard lock(tls_mutex_);
    return current_tls_ ? current_tls_ : opts_.tls;
}

// --- Shutdown ---------------------------------------------------------------------------------

SMTP_DECL void server_base::close() noexcept {
    std::lock_guard lock(registries_mutex_);
    boost::system::error_code ignored;
    for (auto& acceptor : acceptors_)
        acceptor->close(ignored);
    for (auto& acceptor : local_acceptors_)
        acceptor->close(ignored);
    for (const auto& path : local_paths_)
        ::unlink(path.c_str()); // aiosmtpd leaves them behind
    acceptors_.clear();
    local_acceptors_.clear();
    local_paths_.clear();
}

SMTP_DECL void server_base::shutdown() {
    stopping_.store(true);
    std::lock_guard lock(registries_mutex_);
    // Each acceptor is closed on its own thread (an acceptor is not thread-safe); the sessions
    // of each registry are told on theirs.
    for (auto& acceptor : acceptors_)
        boost::asio::post(acceptor->get_executor(), [a = acceptor.get()] {
            boost::system::error_code ignored;
            a->close(ignored);
        });
    for (auto& acceptor : local_acceptors_)
        boost::asio::post(acceptor->get_executor(), [a = acceptor.get()] {
            boost::system::error_code ignored;
            a->close(ignored);
        });
    for (auto& registry : registries_)
        registry->post_to_each([](served_connection& conn) { conn.request_shutdown(); });
}

SMTP_DECL bool server_base::wait_for_sessions(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(drained_mutex_);
    return drained_.wait_until(lock, deadline, [&] { return connections_.load() == 0; });
}

SMTP_DECL bool server_base::idle_at_shutdown(served_connection& conn, bool in_transaction) {
    if (!stopping_.load(std::memory_order_relaxed) || in_transaction) return false;
    detail::write_reply(conn.output(), 421, hostname_ + " Service shutting down",
                        opts_.enhanced_status_codes, "4.3.2");
    conn.allow_final_reply();
    return true;
}

// --- Counting sessions -------------------------------------------------------------------------

SMTP_DECL server_base::connection_count::connection_count(server_base& s)
    : owner(s), total(++s.connections_) {}

SMTP_DECL std::size_t server_base::connection_count::count_client(const std::string& host) {
    std::lock_guard lock(owner.clients_mutex_);
    client = host;
    return ++owner.clients_[client];
}

SMTP_DECL server_base::connection_count::~connection_count() {
    if (--owner.connections_ == 0 && owner.stopping_.load()) {
        std::lock_guard lock(owner.drained_mutex_); // wait_for_sessions() cannot miss it
        owner.drained_.notify_all();
    }
    if (client.empty()) return;
    std::lock_guard lock(owner.clients_mutex_);
    if (auto it = owner.clients_.find(client); it != owner.clients_.end() && --it->second == 0)
        owner.clients_.erase(it);
}

// --- Before the greeting -----------------------------------------------------------------------

SMTP_DECL boost::asio::awaitable<void> server_base::refuse(served_connection& conn,
                                                           std::string line) {
    conn.output().append(line);
    co_await conn.finish();
    conn.trace(trace_event::closed, {});
}

SMTP_DECL boost::asio::awaitable<bool>
server_base::admit_connection(served_connection& conn, const connection_count& counted) {
    if (opts_.max_connections != 0 && counted.total > opts_.max_connections) {
        // (Replies are named locals: g++ 12 may destroy a temporary argument of a coroutine
        // called in a co_await expression too early.)
        std::string too_many = "421 " + hostname_ + " Too many connections, try again later\r\n";
        co_await refuse(conn, std::move(too_many));
        co_return false;
    }
    co_return true;
}

SMTP_DECL boost::asio::awaitable<std::optional<proxy_data>>
server_base::read_proxy_header(served_connection& conn) {
    const std::string& host = conn.session().peer.host;
    if (!proxy_trusted_.empty() &&
        std::none_of(proxy_trusted_.begin(), proxy_trusted_.end(),
                     [&](const cidr& network) { return network.contains(host); }))
        co_return std::nullopt;
    conn.arm_timeout(*opts_.proxy_protocol_timeout);
    proxy_parser parser;
    for (;;) {
        conn.input().consume(parser.feed(conn.input().data()));
        if (parser.done()) break;
        if (!co_await conn.read_some()) co_return std::nullopt;
    }
    if (!parser.result().valid()) co_return std::nullopt;
    co_return parser.result();
}

SMTP_DECL boost::asio::awaitable<bool> server_base::accept_proxy_header(served_connection& conn) {
    std::optional<proxy_data> header = co_await read_proxy_header(conn);
    if (!header) co_return false;
    adopt_proxy_header(conn, *header);
    co_return true;
}

SMTP_DECL void server_base::adopt_proxy_header(served_connection& conn, const proxy_data& header) {
    session& s = conn.session();
    // v1 has no command; a v2 LOCAL header (a health check) speaks for the proxy itself.
    bool relayed = header.version == 1 || header.command == proxy_command::proxy;
    if (relayed && (header.family == proxy_family::inet || header.family == proxy_family::inet6)) {
        auto family = header.family == proxy_family::inet ? peer_address::family_type::ipv4
                                                          : peer_address::family_type::ipv6;
        s.proxy_peer = s.peer;
        s.peer = peer_address{family, header.src_addr, header.src_port};
        s.local = peer_address{family, header.dst_addr, header.dst_port}; // what the client reached
    }
    s.proxy = std::make_shared<const proxy_data>(header);
    conn.arm_timeout();
}

SMTP_DECL boost::asio::awaitable<server_base::admission>
server_base::admit_client(served_connection& conn, connection_count& counted) {
    // After the PROXY header, so that the limit is on the original client.
    if (opts_.max_connections_per_client != 0 &&
        counted.count_client(conn.session().peer.host) > opts_.max_connections_per_client) {
        std::string too_many = "421 " + hostname_ + " Too many connections, try again later\r\n";
        co_await refuse(conn, std::move(too_many));
        co_return admission::over_client_limit;
    }
    co_return admission::admitted;
}

SMTP_DECL boost::asio::awaitable<void> server_base::refuse_before_greeting(served_connection& conn,
                                                                           const reply& refusal) {
    if (refusal.empty()) { // dropped: nothing said
        conn.close();
        conn.trace(trace_event::closed, {});
        co_return;
    }
    std::string line;
    refusal.write_to(line);
    co_await refuse(conn, std::move(line));
}

// In a coroutine of its own, so that prepare_greeting's frame has no timer: a frame freed before
// the next connection is accepted goes to Asio's per-thread cache, and one as large as the
// co_spawn entry frame (464 B) would be taken by it, larger than it needs, for as long as that
// session lives (memory per idle connection).
SMTP_DECL boost::asio::awaitable<bool>
server_base::pause_before_greeting(served_connection& conn, std::chrono::milliseconds delay) {
    boost::asio::steady_timer pause(conn.executor(), delay);
    co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (!conn.client_has_spoken()) co_return true;
    std::string early = "554 5.5.1 Error: talking before the greeting\r\n";
    co_await refuse(conn, std::move(early));
    co_return false;
}

SMTP_DECL boost::asio::awaitable<server_base::admission>
server_base::prepare_greeting(served_connection& conn, bool implicit_tls,
                              std::chrono::milliseconds delay) {
    // The pre-greet test (postscreen's): a client that talks before the greeting is a bot.
    if (delay.count() > 0 && !implicit_tls) {
        bool quiet = co_await pause_before_greeting(conn, delay);
        if (!quiet) co_return admission::early_talker;
    }
    if (implicit_tls) {
        // SMTPS: the handshake comes first; a client that fails it hears nothing more.
        // Bytes that came with the PROXY header are the start of the ClientHello.
        auto context = tls(); // named: not a temporary in the co_await (g++ 12)
        if (!context ||
            !co_await conn.start_tls(std::move(context), served_connection::early_bytes::carry)) {
            conn.close();
            conn.trace(trace_event::closed, {});
            co_return admission::tls_failed;
        }
    }
    if (stopping_.load(std::memory_order_relaxed)) {
        std::string shutting_down = "421 " + hostname_ + " Service shutting down\r\n";
        co_await refuse(conn, std::move(shutting_down));
        co_return admission::shutting_down;
    }
    co_return admission::admitted;
}

// --- During the session ------------------------------------------------------------------------

SMTP_DECL boost::asio::awaitable<server_base::tls_start>
server_base::begin_tls_session(served_connection& conn) {
    // The core has queued the 220.
    if (!co_await conn.flush()) co_return tls_start::lost;
    auto context = tls(); // named: not a temporary in the co_await (g++ 12)
    if (!co_await conn.start_tls(std::move(context))) co_return tls_start::failed;
    session& s = conn.session();
    session fresh;
    fresh.id = std::move(s.id); // the same connection in the logs
    fresh.peer = std::move(s.peer);
    fresh.ssl = std::move(s.ssl);
    fresh.proxy = std::move(s.proxy); // what the proxy said still holds (aiosmtpd loses it)
    fresh.proxy_peer = std::move(s.proxy_peer);
    fresh.local = std::move(s.local);
    s = std::move(fresh);
    co_return tls_start::secured;
}

SMTP_DECL bool server_base::decode_initial_response(served_connection& conn, std::string_view sent,
                                                    std::optional<std::string>& decoded) {
    if (sent == "=") {
        decoded.emplace(); // RFC 4954: an empty initial response (aiosmtpd rejects it)
    } else if (!sent.empty()) {
        decoded = base64_decode(sent);
        if (!decoded) {
            reply::write_to(conn.output(), 501, "5.5.2 Can't decode base64");
            return false;
        }
    }
    return true;
}

SMTP_DECL bool server_base::conclude_auth(served_connection& conn, auth_result& result) {
    bool enhanced = conn.options().enhanced_status_codes;
    if (result.success) {
        session& s = conn.session();
        s.authenticated = true;
        s.auth_data = std::move(result.auth_data);
        if (const auto* credentials = std::any_cast<login_password>(&s.auth_data))
            s.login_data = credentials->authzid.empty() ? credentials->login : credentials->authzid;
        if (result.message.empty())
            reply::write_to(conn.output(), 235, "2.7.0 Authentication successful");
        else
            write_reply(conn.output(), result.message, enhanced);
        return true;
    }
    if (!result.message.empty()) {
        conn.note_final_reply(result.message.code);
        write_reply(conn.output(), result.message, enhanced);
    } else if (!result.handled || !conn.auth_replied()) {
        conn.note_final_reply(535);
        reply::write_to(conn.output(), 535, "5.7.8 Authentication credentials invalid");
    }
    return false;
}

// After an AUTH exchange whose final reply is queued: when that reply is a 535, the session
// waits options::auth_failure_delay before it goes out, and past options::auth_failure_limit
// failures the reply becomes a 421 and the connection closes. Password guessing then costs a
// client time and connections, and the waiting holds up no other session. A 421 from the handler
// (a rate limit on failed logins: policy::rate_limited) closes the connection, as 421 says; the
// handler has told its own limit_reached.
SMTP_DECL boost::asio::awaitable<server_base::auth_settled>
server_base::settle_auth(served_connection& conn) {
    if (conn.auth_reply_code() == 421) co_return auth_settled::closes;
    if (conn.auth_reply_code() != 535) co_return auth_settled::go_on;
    std::size_t failures = conn.count_auth_failure();
    if (opts_.auth_failure_delay.count() > 0) {
        boost::asio::steady_timer pause(conn.executor(), opts_.auth_failure_delay);
        co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (opts_.auth_failure_limit == 0 || failures <= opts_.auth_failure_limit)
        co_return auth_settled::go_on;
    const reply too_many{421, "4.7.0 Too many authentication failures"};
    conn.replace_final_reply(too_many);
    co_return auth_settled::over_limit;
}

SMTP_DECL boost::asio::awaitable<server_base::outcome> server_base::finished(outcome done) {
    co_return done;
}

SMTP_DECL boost::asio::awaitable<reply> server_base::failure_reply(std::exception_ptr error) {
    co_return reply{500, describe_failure(error)};
}

SMTP_DECL std::string server_base::describe_failure(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& x) {
        return "Error: (" + boost::core::demangle(typeid(x).name()) + ") " + x.what();
    } catch (...) {
        return "Error: Cannot describe error";
    }
}

} // namespace smtp::detail

#endif
