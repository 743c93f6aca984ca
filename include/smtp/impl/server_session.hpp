#ifndef SMTP_IMPL_SERVER_SESSION_HPP
#define SMTP_IMPL_SERVER_SESSION_HPP

// One session from accept to close: what comes before the greeting (the connection limits, the
// PROXY header, the early-talker check, the implicit-TLS handshake), then the command loop
// (impl/server_commands.hpp), and the observability hooks around both.

#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/proxy_protocol.hpp>

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <mutex>
#include <typeinfo>

namespace smtp {

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
    served_connection conn(std::move(socket), opts_, hostname_);
    detail::session_registry::entry registered(std::move(registry), conn);
    envelope_type env;
    protocol_type proto(opts_, hostname_,
                        {.eight_bit_mime = DecodePolicy::eight_bit_mime,
                         .auth_mechanisms = mechanisms::names,
                         .ehlo_auth_line = mechanisms::line.view(),
                         .tls_available = opts_.tls != nullptr,
                         .mail_parameters = detail::mail_parameters_of<Handler>::type::rules,
                         .rcpt_parameters = detail::rcpt_parameters_of<Handler>::type::rules,
                         .handler_type = typeid(Handler).name()},
                        conn.session(), env, conn.output());
    if constexpr (has_trace<Handler>) {
        conn.set_tracer([](void* handler, const connection& c, trace_event e,
                           std::string_view b) { static_cast<Handler*>(handler)->trace(c, e, b); },
                        &handler_);
    }
    static_assert(!detail::declares_select_certificate<Handler> || has_select_certificate<Handler>,
                  "select_certificate is declared but cannot be called as "
                  "std::shared_ptr<smtp::tls_context> select_certificate(std::string_view "
                  "server_name).");
    if constexpr (has_select_certificate<Handler>) {
        conn.set_certificate_selector(
            [](void* handler, std::string_view name) -> std::shared_ptr<tls_context> {
                return static_cast<Handler*>(handler)->select_certificate(name);
            },
            &handler_);
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
boost::asio::awaitable<bool>
server<Handler, AuthPolicy, DecodePolicy>::admit(served_connection& conn, protocol_type& proto,
                                                 envelope_type& env, connection_count& counted,
                                                 bool implicit_tls) {
    auto refuse = [&](std::string_view line) -> boost::asio::awaitable<void> {
        conn.output().append(line);
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
        counted.count_client(conn.session().peer.host) > opts_.max_connections_per_client) {
        const std::string too_many =
            "421 " + hostname_ + " Too many connections, try again later\r\n";
        co_await refuse(too_many);
        co_return false;
    }
    if (opts_.greeting_delay.count() > 0 && !implicit_tls) {
        boost::asio::steady_timer pause(conn.executor(), opts_.greeting_delay);
        co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (conn.client_has_spoken()) {
            co_await refuse("554 5.5.1 Error: talking before the greeting\r\n");
            co_return false;
        }
    }
    if (implicit_tls) {
        // SMTPS: the handshake comes first; a client that fails it hears nothing more.
        // Bytes that came with the PROXY header are the start of the ClientHello.
        auto context = tls(); // named: not a temporary in the co_await (g++ 12)
        if (!context ||
            !co_await conn.start_tls(std::move(context), served_connection::early_bytes::carry)) {
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

// The PROXY protocol header that must precede everything else when the option is on: from a
// trusted sender, complete within its timeout, valid, and accepted by handle_PROXY. The session's
// peer becomes the original client.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool>
server<Handler, AuthPolicy, DecodePolicy>::accept_proxy_header(served_connection& conn,
                                                               envelope_type& env) {
    session& s = conn.session();
    if (!proxy_trusted_.empty() &&
        std::none_of(proxy_trusted_.begin(), proxy_trusted_.end(),
                     [&](const detail::cidr& network) { return network.contains(s.peer.host); }))
        co_return false;
    conn.arm_timeout(*opts_.proxy_protocol_timeout);
    detail::proxy_parser parser;
    for (;;) {
        conn.input().consume(parser.feed(conn.input().data()));
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

} // namespace smtp

#endif
