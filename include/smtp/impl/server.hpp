#ifndef SMTP_IMPL_SERVER_HPP
#define SMTP_IMPL_SERVER_HPP

#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/enhanced_status.hpp>
#include <smtp/detail/protocol.hpp>
#include <smtp/detail/proxy_protocol.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/host_name.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/core/demangle.hpp>

#include <cstdio>
#include <exception>
#include <string_view>
#include <sys/socket.h>
#include <sys/stat.h>
#include <typeinfo>
#include <unistd.h>

namespace smtp {

namespace detail {
/// Writes a hook's reply (with its enhanced status code when those are on). A hook that
/// answered with the empty reply: tell the client something rather than hang it (aiosmtpd sends
/// `500 Error: (AssertionError) ` or nothing at all).
inline void write_hook_reply(std::string& out, const reply& r, bool enhanced,
                             std::string_view code = {}) {
    if (r.empty())
        write_reply(out, 451, "Error: the handler gave no reply", enhanced, "4.3.0");
    else
        write_reply(out, r, enhanced, code);
}

/// The code of the last reply line queued in `out` (0 when there is none).
inline int last_reply_code(std::string_view out) {
    if (out.size() < 5) return 0;
    auto start = out.rfind('\n', out.size() - 3);
    start = start == std::string_view::npos ? 0 : start + 1;
    if (out.size() - start < 3) return 0;
    int code = 0;
    for (char c : out.substr(start, 3)) {
        if (c < '0' || c > '9') return 0;
        code = code * 10 + (c - '0');
    }
    return code;
}

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
inline void refuse_port_in_use(const boost::asio::ip::tcp::endpoint& endpoint) {
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
inline void remove_stale_socket(const std::string& path) {
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

} // namespace detail

template <class Handler, class AuthPolicy, class DecodePolicy>
server<Handler, AuthPolicy, DecodePolicy>::server(Handler handler, smtp::options opts)
    : handler_(std::move(handler)), opts_(std::move(opts)),
      hostname_(opts_.hostname.empty() ? boost::asio::ip::host_name() : opts_.hostname) {
    for (const auto& network : opts_.proxy_trusted)
        proxy_trusted_.emplace_back(network);
}

template <class Handler, class AuthPolicy, class DecodePolicy>
server<Handler, AuthPolicy, DecodePolicy>::~server() {
    close();
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::ip::tcp::endpoint
server<Handler, AuthPolicy, DecodePolicy>::listen(const boost::asio::any_io_executor& executor,
                                                  const boost::asio::ip::tcp::endpoint& endpoint,
                                                  bool implicit_tls) {
    return listen_tcp(executor, endpoint, implicit_tls, false);
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::ip::tcp::endpoint server<Handler, AuthPolicy, DecodePolicy>::listen_shared(
    const boost::asio::any_io_executor& executor, const boost::asio::ip::tcp::endpoint& endpoint,
    bool implicit_tls) {
    return listen_tcp(executor, endpoint, implicit_tls, true);
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::ip::tcp::endpoint server<Handler, AuthPolicy, DecodePolicy>::listen_tcp(
    const boost::asio::any_io_executor& executor, const boost::asio::ip::tcp::endpoint& endpoint,
    bool implicit_tls, bool reuse_port) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument("smtp::server::listen: implicit TLS needs options().tls");
    if (reuse_port && endpoint.port() != 0 && !detail::port_is_ours(endpoint, acceptors_))
        detail::refuse_port_in_use(endpoint);
    auto acceptor = std::make_unique<boost::asio::ip::tcp::acceptor>(executor);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(boost::asio::socket_base::reuse_address(true));
    if (reuse_port) acceptor->set_option(detail::reuse_port(true));
    acceptor->bind(endpoint);
    acceptor->listen(boost::asio::socket_base::max_listen_connections);
    auto bound = acceptor->local_endpoint();
    auto& ref = *acceptor;
    auto registry = registry_for(executor);
    {
        std::lock_guard lock(registries_mutex_);
        acceptors_.push_back(std::move(acceptor));
    }
    boost::asio::co_spawn(executor, accept_loop(ref, implicit_tls, std::move(registry)),
                          [](std::exception_ptr e) {
                              // a bug in the accept loop must not pass unseen
                              if (e) std::rethrow_exception(e);
                          });
    return bound;
}

template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::listen_local(
    const boost::asio::any_io_executor& executor, const std::string& path, bool implicit_tls) {
    if (implicit_tls && !opts_.tls)
        throw std::invalid_argument("smtp::server::listen_local: implicit TLS needs options().tls");
    detail::remove_stale_socket(path); // one left by an earlier run would make bind fail
    auto acceptor = std::make_unique<boost::asio::local::stream_protocol::acceptor>(
        executor, boost::asio::local::stream_protocol::endpoint(path));
    auto& ref = *acceptor;
    auto registry = registry_for(executor);
    {
        std::lock_guard lock(registries_mutex_);
        local_acceptors_.push_back(std::move(acceptor));
        local_paths_.push_back(path);
    }
    boost::asio::co_spawn(executor, accept_loop(ref, implicit_tls, std::move(registry)),
                          [](std::exception_ptr e) {
                              if (e) std::rethrow_exception(e);
                          });
}

template <class Handler, class AuthPolicy, class DecodePolicy>
std::shared_ptr<detail::session_registry> server<Handler, AuthPolicy, DecodePolicy>::registry_for(
    const boost::asio::any_io_executor& executor) {
    std::lock_guard lock(registries_mutex_);
    // Registries of executors gone (a controller started again) are dropped once unused.
    std::erase_if(registries_, [](const auto& r) { return r.use_count() == 1; });
    for (const auto& r : registries_)
        if (r->executor() == executor) return r;
    return registries_.emplace_back(std::make_shared<detail::session_registry>(executor));
}

template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::shutdown() {
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
        registry->post_to_each([](connection& conn) { conn.request_shutdown(); });
}

template <class Handler, class AuthPolicy, class DecodePolicy>
bool server<Handler, AuthPolicy, DecodePolicy>::wait_for_sessions(
    std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(drained_mutex_);
    return drained_.wait_until(lock, deadline, [&] { return connections_.load() == 0; });
}

template <class Handler, class AuthPolicy, class DecodePolicy>
bool server<Handler, AuthPolicy, DecodePolicy>::idle_at_shutdown(connection& conn,
                                                                 const envelope_type& env) {
    if (!stopping_.load(std::memory_order_relaxed) || !env.mail_from.empty()) return false;
    detail::write_reply(conn.out_, 421, hostname_ + " Service shutting down",
                        opts_.enhanced_status_codes, "4.3.2");
    conn.arm_timeout(std::chrono::seconds(5)); // for the 421 itself
    return true;
}

template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::close() noexcept {
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

template <class Handler, class AuthPolicy, class DecodePolicy>
template <class Acceptor>
boost::asio::awaitable<void> server<Handler, AuthPolicy, DecodePolicy>::accept_loop(
    Acceptor& acceptor, bool implicit_tls, std::shared_ptr<detail::session_registry> registry) {
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
        boost::asio::co_spawn(
            executor, serve_registered(std::move(socket), implicit_tls, registry),
            [](std::exception_ptr e) {
                // serve() catches what hooks throw; anything else is a bug worth hearing about.
                if (!e) return;
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& error) {
                    std::fprintf(stderr, "smtp: session ended by an exception: %s\n", error.what());
                } catch (...) {
                    std::fprintf(stderr, "smtp: session ended by an unknown exception\n");
                }
            });
    }
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<void>
server<Handler, AuthPolicy, DecodePolicy>::serve(connection::socket_type socket,
                                                 bool implicit_tls) {
    auto registry = registry_for(socket.get_executor());
    co_await serve_registered(std::move(socket), implicit_tls, std::move(registry));
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<void> server<Handler, AuthPolicy, DecodePolicy>::serve_registered(
    connection::socket_type socket, bool implicit_tls,
    std::shared_ptr<detail::session_registry> registry) {
    connection conn(std::move(socket), opts_, hostname_);
    detail::session_registry::entry registered(std::move(registry), conn);
    envelope_type env;
    detail::protocol<content_type> proto(
        opts_, hostname_,
        {.eight_bit_mime = DecodePolicy::eight_bit_mime,
         .auth_mechanisms = mechanisms::names,
         .ehlo_auth_line = mechanisms::line.view(),
         .tls_available = opts_.tls != nullptr,
         .mail_parameters = detail::mail_parameters_of<Handler>::type::rules,
         .rcpt_parameters = detail::rcpt_parameters_of<Handler>::type::rules},
        conn.session_, env, conn.out_);
    if constexpr (has_trace<Handler>) {
        conn.tracer_ = [](void* handler, const connection& c, trace_event e, std::string_view b) {
            static_cast<Handler*>(handler)->trace(c, e, b);
        };
        conn.tracer_context_ = &handler_;
    }
    conn.trace(trace_event::connected, {});
    if constexpr (has_connection_opened<Handler>) handler_.connection_opened(conn);
    // connection_closed for every connection_opened, however the session ends (the io_context
    // destroying it included).
    struct closed_notice {
        Handler& handler;
        connection& conn;
        ~closed_notice() {
            if constexpr (has_connection_closed<Handler>) {
                try {
                    handler.connection_closed(conn, conn.stats());
                } catch (...) {
                    // an observer's failure must not end the process
                }
            }
        }
    } notice{handler_, conn};
    connection_count counted(*this);
    // The checks before the greeting run in a coroutine of their own, so that what they need
    // is not kept in this frame for the whole session (memory per idle connection).
    if (!co_await admit(conn, proto, env, counted, implicit_tls)) co_return;
    proto.greet();
    conn.arm_timeout();
    co_await run(conn, proto, env);
    if (proto.in_chunked_message()) co_await abort_stream(conn, env); // gone mid-BDAT
    co_await conn.finish();
    conn.trace(trace_event::closed, {});
}

// What comes before the greeting: the connection limits, the PROXY header, the early-talker
// check, the implicit-TLS handshake and a shutdown under way. False when the connection was
// refused (and is closed).
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool> server<Handler, AuthPolicy, DecodePolicy>::admit(
    connection& conn, detail::protocol<content_type>& proto, envelope_type& env,
    connection_count& counted, bool implicit_tls) {
    auto refuse = [&](std::string_view line) -> boost::asio::awaitable<void> {
        conn.out_.append(line);
        co_await conn.finish();
        conn.trace(trace_event::closed, {});
    };
    // (Replies are named locals: g++ 12 may destroy a temporary argument of a coroutine called
    // in a co_await expression too early.)
    if (opts_.max_connections != 0 && counted.total > opts_.max_connections) {
        const std::string too_many =
            "421 " + hostname_ + " Too many connections, try again later\r\n";
        co_await refuse(too_many);
        co_return false;
    }
    if (opts_.proxy_protocol_timeout && !co_await accept_proxy_header(conn, env)) {
        conn.close(); // no reply: the peer is a proxy, or pretends to be one (as aiosmtpd)
        conn.trace(trace_event::closed, {});
        co_return false;
    }
    // After the PROXY header, so that the limit is on the original client.
    if (opts_.max_connections_per_client != 0 &&
        counted.count_client(conn.session_.peer.host) > opts_.max_connections_per_client) {
        const std::string too_many =
            "421 " + hostname_ + " Too many connections, try again later\r\n";
        co_await refuse(too_many);
        co_return false;
    }
    if (opts_.greeting_delay.count() > 0 && !implicit_tls) {
        boost::asio::steady_timer pause(conn.socket_.get_executor(), opts_.greeting_delay);
        co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        boost::system::error_code ec;
        if (!conn.input_.empty() || conn.socket_.available(ec) > 0) {
            co_await refuse("554 5.5.1 Error: talking before the greeting\r\n");
            co_return false;
        }
    }
    if (implicit_tls) {
        // SMTPS: the handshake comes first; a client that fails it hears nothing more.
        // Bytes that came with the PROXY header are the start of the ClientHello.
        if (!opts_.tls || !co_await conn.start_tls(*opts_.tls, connection::early_bytes::carry)) {
            conn.close();
            conn.trace(trace_event::closed, {});
            co_return false;
        }
        proto.tls_started();
    }
    if (stopping_.load(std::memory_order_relaxed)) {
        const std::string shutting_down = "421 " + hostname_ + " Service shutting down\r\n";
        co_await refuse(shutting_down);
        co_return false;
    }
    co_return true;
}

// Counts a session in the server's totals for as long as it lives.
template <class Handler, class AuthPolicy, class DecodePolicy>
struct server<Handler, AuthPolicy, DecodePolicy>::connection_count {
    server& owner;
    std::size_t total;
    std::string client;

    explicit connection_count(server& s) : owner(s), total(++s.connections_) {}
    connection_count(const connection_count&) = delete;
    connection_count& operator=(const connection_count&) = delete;

    /// Counts the session for `host` too; returns that client's sessions now.
    std::size_t count_client(const std::string& host) {
        std::lock_guard lock(owner.clients_mutex_);
        client = host;
        return ++owner.clients_[client];
    }
    ~connection_count() {
        if (--owner.connections_ == 0 && owner.stopping_.load()) {
            std::lock_guard lock(owner.drained_mutex_); // wait_for_sessions() cannot miss it
            owner.drained_.notify_all();
        }
        if (client.empty()) return;
        std::lock_guard lock(owner.clients_mutex_);
        if (auto it = owner.clients_.find(client); it != owner.clients_.end() && --it->second == 0)
            owner.clients_.erase(it);
    }
};

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<void> server<Handler, AuthPolicy, DecodePolicy>::run(
    connection& conn, detail::protocol<content_type>& proto, envelope_type& env) {
    // Bounds what a client that pipelines without reading can make the server hold.
    constexpr std::size_t max_pending_output = 64 * 1024;
    detail::command cmd;
    for (;;) {
        auto event = proto.next_line(conn.input_.data());
        conn.input_.consume(event.consumed); // `event.line` stays valid until the next read
        switch (event.what) {
        case detail::line_reader::kind::need_more: {
            if (!co_await conn.flush()) co_return;
            // Checked after the flush, just before the wait: a shutdown that began earlier is seen
            // here, and one that begins later finds the wait to interrupt (request_shutdown()
            // runs on this thread).
            if (idle_at_shutdown(conn, env)) co_return;
            conn.waiting_for_command_ = env.mail_from.empty();
            bool got = false;
            if (conn.tls_) {
                got = co_await conn.read_some();
            } else {
                // Waits here rather than in read_some(), so that an idle session holds no frame
                // of read_some's, and no buffer (the read then succeeds at once).
                conn.input_.release();
                conn.release_output();
                conn.io_pending_ = true;
                // `deferred`: the operation is awaited directly, without the initiating
                // coroutine frame that use_awaitable keeps for as long as the wait lasts.
                auto [ec] =
                    co_await conn.socket_.async_wait(connection::socket_type::wait_read,
                                                     boost::asio::as_tuple(boost::asio::deferred));
                conn.io_pending_ = false;
                got = !ec && !conn.timed_out_ && co_await conn.read_some(false);
            }
            conn.waiting_for_command_ = false;
            if (!got) {
                if (conn.shutdown_requested_ && !conn.timed_out_) {
                    idle_at_shutdown(conn, env);
                    co_return;
                }
                if (conn.timed_out_) {
                    proto.timed_out();
                    conn.timed_out_ = false;
                    conn.arm_timeout(std::chrono::seconds(5)); // for the 421 itself
                }
                co_return;
            }
            continue;
        }
        case detail::line_reader::kind::too_long: proto.line_too_long(); break;
        case detail::line_reader::kind::line: {
            // A command pipelined behind the end of a transaction gets the 421 too.
            if (idle_at_shutdown(conn, env)) co_return;
            conn.arm_timeout();
            conn.trace_command(event.line);
            detail::step step = proto.on_line(event.line, cmd);
            if (step == detail::step::close) co_return;
            if (step == detail::step::replied) break;
            outcome next = outcome::go_on;
            std::exception_ptr failure;
            bool chunking = proto.in_chunked_message();
            try {
                next = co_await dispatch(conn, proto, env, cmd);
            } catch (const reply& r) {
                detail::write_hook_reply(conn.out_, r, opts_.enhanced_status_codes);
            } catch (...) {
                failure = std::current_exception();
            }
            if (failure) {
                reply r = co_await failure_reply(failure);
                detail::write_hook_reply(conn.out_, r, opts_.enhanced_status_codes);
            }
            // RSET, HELO, EHLO or STARTTLS ended a BDAT transaction (BDAT reports its own).
            if (chunking && cmd.id != detail::verb::bdat && !proto.in_chunked_message())
                co_await abort_stream(conn, env);
            if (next == outcome::close) co_return;
            if (next == outcome::lost) {
                conn.out_.clear();
                co_return;
            }
            break;
        }
        }
        if (conn.out_.size() > max_pending_output && !co_await conn.flush()) co_return;
    }
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<reply>
server<Handler, AuthPolicy, DecodePolicy>::failure_reply(std::exception_ptr error) {
    auto describe = [](const std::exception_ptr& e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            return "Error: (" + boost::core::demangle(typeid(x).name()) + ") " + x.what();
        } catch (...) {
            return std::string("Error: Cannot describe error");
        }
    };
    if constexpr (has_handle_exception<Handler>) {
        // The exception object lives as long as `error` holds it, so the hook (which may be a
        // coroutine, and co_await cannot appear in a catch block) can see it after the catch.
        const std::exception* what = nullptr;
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& x) {
            what = &x;
        } catch (...) {
        }
        std::runtime_error unknown("unknown exception");
        reply r;
        std::exception_ptr inner;
        try {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_exception(what ? *what : unknown));
        } catch (...) {
            inner = std::current_exception();
        }
        if (inner) co_return reply{500, describe(inner)};
        co_return r;
    } else {
        co_return reply{500, describe(error)};
    }
}

template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::dispatch(connection& conn,
                                                         detail::protocol<content_type>& proto,
                                                         envelope_type& env,
                                                         const detail::command& cmd)
    -> boost::asio::awaitable<outcome> {
    using detail::step;
    using detail::verb;
    session& s = conn.session_;
    std::string& out = conn.out_;
    reply r;
    switch (cmd.id) {
    case verb::helo:
        if (proto.check_helo(cmd) != step::proceed) break;
        if constexpr (has_handle_HELO<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_HELO(conn, s, env, cmd.arg));
            proto.after_greeting_hook(cmd, r.positive());
            detail::write_hook_reply(out, r, false); // HELO replies carry no enhanced code
        } else {
            proto.default_helo(cmd);
        }
        break;
    case verb::ehlo:
        if (proto.check_helo(cmd) != step::proceed) break;
        if constexpr (has_handle_EHLO_lines<Handler, content_type>) {
            std::vector<std::string> lines;
            SMTP_DETAIL_CALL_HOOK(
                lines, handler_.handle_EHLO(conn, s, env, cmd.arg, proto.ehlo_responses()));
            proto.after_greeting_hook(cmd,
                                      !lines.empty() && reply::parse(lines.front()).positive());
            proto.write_ehlo_responses(lines);
        } else if constexpr (has_handle_EHLO_push<Handler, content_type>) {
            proto.write_ehlo_head();
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_EHLO(conn, s, env, cmd.arg));
            proto.after_greeting_hook(cmd, r.positive());
            detail::write_hook_reply(out, r, false); // nor do EHLO replies (RFC 2034)
        } else {
            proto.default_ehlo(cmd);
        }
        break;
    case verb::noop:
        if constexpr (has_handle_NOOP<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_NOOP(conn, s, env, cmd.arg));
            detail::write_hook_reply(out, r, opts_.enhanced_status_codes);
        } else {
            proto.write(250, "2.0.0", "OK");
        }
        break;
    case verb::quit:
        if (proto.check_quit(cmd) != step::proceed) break;
        if constexpr (has_handle_QUIT<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_QUIT(conn, s, env));
            detail::write_hook_reply(out, r, opts_.enhanced_status_codes);
        } else {
            proto.write(221, "2.0.0", "Bye");
        }
        co_return outcome::close;
    case verb::rset:
        if (proto.check_rset(cmd) != step::proceed) break;
        if constexpr (has_handle_RSET<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_RSET(conn, s, env));
            detail::write_hook_reply(out, r, opts_.enhanced_status_codes);
        } else {
            proto.write(250, "2.0.0", "OK");
        }
        break;
    case verb::vrfy: {
        std::string address;
        if (proto.check_vrfy(cmd, address) != step::proceed) break;
        if constexpr (has_handle_VRFY<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_VRFY(conn, s, env, address));
            detail::write_hook_reply(out, r, opts_.enhanced_status_codes);
        } else {
            proto.default_vrfy();
        }
        break;
    }
    case verb::mail:
        if (step checked = proto.check_mail(cmd, proto.path()); checked != step::proceed)
            co_return checked == step::close ? outcome::close : outcome::go_on;
        if constexpr (has_handle_MAIL<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(
                r, handler_.handle_MAIL(conn, s, env, proto.path().address,
                                        std::span<const std::string>(proto.path().options)));
            detail::write_hook_reply(out, r, opts_.enhanced_status_codes,
                                     r.positive() ? "2.1.0" : "");
        } else {
            proto.default_mail(proto.path());
        }
        break;
    case verb::rcpt:
        if (proto.check_rcpt(cmd, proto.path()) != step::proceed) break;
        if constexpr (has_handle_RCPT<Handler, content_type>) {
            std::size_t recipients = env.rcpt_tos.size();
            SMTP_DETAIL_CALL_HOOK(
                r, handler_.handle_RCPT(conn, s, env, proto.path().address,
                                        std::span<const std::string>(proto.path().options)));
            if (r.positive() && env.rcpt_tos.size() == recipients)
                proto.recipient_accepted_unrecorded(boost::core::demangle(typeid(Handler).name()));
            proto.recipient_recorded();
            detail::write_hook_reply(out, r, opts_.enhanced_status_codes,
                                     r.positive() ? "2.1.5" : "");
        } else {
            proto.default_rcpt(proto.path());
        }
        break;
    case verb::data:
        if (proto.check_data(cmd) != step::proceed) break;
        conn.message_started_ = std::chrono::steady_clock::now();
        co_return co_await receive_data(conn, proto, env);
    case verb::bdat:
        if (!proto.in_chunked_message()) conn.message_started_ = std::chrono::steady_clock::now();
        if (proto.check_bdat(cmd) == step::close) co_return outcome::close;
        co_return co_await receive_chunk(conn, proto, env);
    case verb::help: proto.help(cmd); break;
    case verb::expn: proto.expn(); break;
    case verb::auth: {
        std::string_view mechanism, initial;
        if (proto.check_auth(cmd, mechanism, initial) != step::proceed) break;
        if (!co_await authenticate(conn, env, mechanism, initial, cmd)) co_return outcome::close;
        break;
    }
    case verb::starttls:
        if (proto.check_starttls(cmd) != step::proceed) break;
        co_return co_await starttls(conn, proto, env);
    case verb::lhlo:
    case verb::unknown: break; // answered by on_line()
    }
    co_return outcome::go_on;
}

// The PROXY protocol header that must precede everything else when the option is on: from a
// trusted sender, complete within its timeout, valid, and accepted by handle_PROXY. The session's
// peer becomes the original client.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool>
server<Handler, AuthPolicy, DecodePolicy>::accept_proxy_header(connection& conn,
                                                               envelope_type& env) {
    session& s = conn.session_;
    if (!proxy_trusted_.empty() &&
        std::none_of(proxy_trusted_.begin(), proxy_trusted_.end(),
                     [&](const detail::cidr& network) { return network.contains(s.peer.host); }))
        co_return false;
    conn.arm_timeout(*opts_.proxy_protocol_timeout);
    detail::proxy_parser parser;
    for (;;) {
        conn.input_.consume(parser.feed(conn.input_.data()));
        if (parser.done()) break;
        if (!co_await conn.read_some()) co_return false;
    }
    const proxy_data& header = parser.result();
    if (!header.valid()) co_return false;
    if constexpr (has_handle_PROXY<Handler, content_type>) {
        bool accepted = false;
        SMTP_DETAIL_CALL_HOOK(accepted, handler_.handle_PROXY(conn, s, env, header));
        if (!accepted) co_return false;
    }
    // v1 has no command; a v2 LOCAL header (a health check) speaks for the proxy itself.
    bool relayed = header.version == 1 || header.command == proxy_command::proxy;
    if (relayed && (header.family == proxy_family::inet || header.family == proxy_family::inet6)) {
        s.proxy_peer = s.peer;
        s.peer = peer_address{header.family == proxy_family::inet ? peer_address::family_type::ipv4
                                                                  : peer_address::family_type::ipv6,
                              header.src_addr, header.src_port};
    }
    s.proxy = header;
    conn.arm_timeout();
    co_return true;
}

// STARTTLS after its checks passed: 220, the handshake, and a new session (RFC 3207 §4.2: the
// client must greet again). A failed handshake closes the connection without a reply.
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::starttls(connection& conn,
                                                         detail::protocol<content_type>& proto,
                                                         envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    proto.write(220, "2.0.0", "Ready to start TLS");
    if (!co_await conn.flush() || !co_await conn.start_tls(*opts_.tls)) co_return outcome::lost;
    session& s = conn.session_;
    session fresh;
    fresh.peer = std::move(s.peer);
    fresh.ssl = std::move(s.ssl);
    fresh.proxy = std::move(s.proxy); // what the proxy said still holds (aiosmtpd loses it)
    fresh.proxy_peer = std::move(s.proxy_peer);
    s = std::move(fresh);
    proto.tls_started();
    if constexpr (has_handle_STARTTLS<Handler, content_type>) {
        bool accepted = false;
        SMTP_DETAIL_CALL_HOOK(accepted, handler_.handle_STARTTLS(conn, s, env));
        if (!accepted) proto.refuse_commands();
    }
    co_return outcome::go_on;
}

// AUTH after its checks passed: the handler's handle_AUTH, or the mechanism (the handler's
// auth_PLAIN/auth_LOGIN replacing a built-in one), then the result applied to the session.
// False when the connection is to close (options::auth_failure_limit).
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool> server<Handler, AuthPolicy, DecodePolicy>::authenticate(
    connection& conn, envelope_type& env, std::string_view mechanism,
    std::string_view initial_response, const detail::command& cmd) {
    session& s = conn.session_;
    conn.auth_replied_ = false;
    if constexpr (has_handle_AUTH<Handler, content_type>) {
        std::vector<std::string> args;
        for (std::string_view rest = cmd.arg; !rest.empty();) {
            auto end = rest.find_first_of(" \t");
            args.emplace_back(rest.substr(0, end));
            rest = detail::strip(rest.substr(end == std::string_view::npos ? rest.size() : end));
        }
        reply r;
        SMTP_DETAIL_CALL_HOOK(
            r, handler_.handle_AUTH(conn, s, env, std::span<const std::string>(args)));
        if (!r.empty() || !conn.auth_replied_) {
            conn.note_final_reply();
            detail::write_hook_reply(conn.out_, r, opts_.enhanced_status_codes);
        }
        co_return co_await settle_auth_failure(conn);
    }
    // The initial response, decoded before the exchange reads more input over its bytes.
    std::optional<std::string> initial;
    if (initial_response == "=") {
        initial.emplace(); // RFC 4954: an empty initial response (aiosmtpd rejects it)
    } else if (!initial_response.empty()) {
        initial = detail::base64_decode(initial_response);
        if (!initial) {
            reply::write_to(conn.out_, 501, "5.5.2 Can't decode base64");
            co_return true;
        }
    }
    auth_result result;
    std::optional<boost::asio::awaitable<auth_result>> exchange;
    if (mechanism == "PLAIN" && has_auth_PLAIN<Handler, content_type>) {
        if constexpr (has_auth_PLAIN<Handler, content_type>)
            SMTP_DETAIL_CALL_HOOK(result, handler_.auth_PLAIN(conn, s, env, std::move(initial)));
    } else if (mechanism == "LOGIN" && has_auth_LOGIN<Handler, content_type>) {
        if constexpr (has_auth_LOGIN<Handler, content_type>)
            SMTP_DETAIL_CALL_HOOK(result, handler_.auth_LOGIN(conn, s, env, std::move(initial)));
    } else {
        // The mechanism's coroutine is created here and awaited below (lazily started).
        mechanisms::visit(mechanism, [&](auto type) {
            using mechanism_type = typename decltype(type)::type;
            exchange.emplace(
                mechanism_type::authenticate(handler_, conn, s, env, std::move(initial)));
        });
        if (exchange) result = co_await std::move(*exchange);
    }
    if (result.success) {
        s.authenticated = true;
        s.auth_data = std::move(result.auth_data);
        if (const auto* credentials = std::any_cast<login_password>(&s.auth_data))
            s.login_data = credentials->login;
        if (result.message.empty())
            reply::write_to(conn.out_, 235, "2.7.0 Authentication successful");
        else
            detail::write_reply(conn.out_, result.message, opts_.enhanced_status_codes);
        co_return true;
    }
    if (!result.message.empty()) {
        conn.note_final_reply();
        detail::write_reply(conn.out_, result.message, opts_.enhanced_status_codes);
    } else if (!result.handled || !conn.auth_replied_) {
        conn.note_final_reply();
        reply::write_to(conn.out_, 535, "5.7.8 Authentication credentials invalid");
    }
    co_return co_await settle_auth_failure(conn);
}

// After an AUTH exchange whose final reply is queued: when that reply is a 535, the session
// waits options::auth_failure_delay before it goes out, and past options::auth_failure_limit
// failures the reply becomes a 421 and the connection closes (false). Password guessing then
// costs a client time and connections, and the waiting holds up no other session.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool>
server<Handler, AuthPolicy, DecodePolicy>::settle_auth_failure(connection& conn) {
    std::string& out = conn.out_;
    if (!conn.auth_replied_ || conn.final_reply_at_ >= out.size() ||
        detail::last_reply_code(out) != 535)
        co_return true;
    ++conn.auth_failures_;
    if (opts_.auth_failure_delay.count() > 0) {
        boost::asio::steady_timer pause(conn.socket_.get_executor(), opts_.auth_failure_delay);
        co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (opts_.auth_failure_limit == 0 || conn.auth_failures_ <= opts_.auth_failure_limit)
        co_return true;
    out.resize(conn.final_reply_at_);
    reply::write_to(out, 421, "4.7.0 Too many authentication failures");
    co_return false;
}

// The figures of one message for the connection and the observability hooks; it began at
// `conn.message_started_` (the DATA command or the message's first BDAT).
template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::observe_message(connection& conn,
                                                                message_stats& stats) {
    stats.duration = std::chrono::steady_clock::now() - conn.message_started_;
    bool accepted = stats.reply_code >= 200 && stats.reply_code < 300;
    ++(accepted ? conn.messages_accepted_ : conn.messages_rejected_);
    if constexpr (has_message_accepted<Handler>)
        if (accepted) handler_.message_accepted(conn, stats);
    if constexpr (has_message_rejected<Handler>)
        if (!accepted) handler_.message_rejected(conn, stats);
}

} // namespace smtp

#endif
