#ifndef SMTP_IMPL_SERVER_SESSION_HPP
#define SMTP_IMPL_SERVER_SESSION_HPP

// One session from accept to close: what comes before the greeting (the connection limits, the
// PROXY header, the early-talker check, the implicit-TLS handshake: detail::server_base's, with
// handle_PROXY and handle_CONNECT between them), then the command loop (each command:
// impl/server_commands.hpp), and the observability hooks around both.

#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/forwarding_trust.hpp>
#include <smtp/detail/observe.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <typeinfo>

namespace smtp {

template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::start_session(
    server_base& base, connection::socket_type socket, bool implicit_tls,
    std::shared_ptr<detail::session_registry> registry) {
    auto& self = static_cast<server&>(base);
    auto executor = socket.get_executor();
    spawn_session(executor,
                  self.serve_registered(std::move(socket), implicit_tls, std::move(registry)));
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
    served_connection conn(std::move(socket), opts_, hostname_);
    conn.watch_deadline_with(*registry);
    detail::session_registry::entry registered(std::move(registry), conn);
    envelope_type env;
    if constexpr (assigns_ids<Handler>) conn.session().id = detail::next_id();
    protocol_type proto(opts_, hostname_, features_, conn.session(), env, conn.output());
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
    bool admitted = false; // named: see server_base.hpp (g++ 12)
    if constexpr (admits_without_hooks)
        admitted = co_await admit(conn, counted, implicit_tls, detail::no_admission_hooks{});
    else
        admitted = co_await admit(conn, counted, implicit_tls, admission_hooks{*this, env});
    if (!admitted) co_return;
    if (implicit_tls) proto.tls_started();
    proto.trust_forwarding(detail::forwarding_trusted(opts_.xclient_trusted, conn.session().peer),
                           detail::forwarding_trusted(opts_.xforward_trusted, conn.session().peer));
    proto.greet();
    conn.arm_timeout();

    // The command loop: read a line, hand it to command(). It runs in this frame rather than in
    // a coroutine of its own: a frame that lives as long as the session would take a block of
    // Asio's frame cache, sized for whatever ran before it (memory per idle connection).
    //
    // max_pending_output bounds what a client that pipelines without reading can make the
    // server hold.
    constexpr std::size_t max_pending_output = 64 * 1024;
    for (;;) {
        auto event = proto.next_line(conn.input().data());
        conn.input().consume(event.consumed); // `event.line` stays valid until the next read
        if (event.what == detail::line_reader::kind::need_more) {
            if (!co_await conn.flush()) break;
            // Checked after the flush, just before the wait: a shutdown that began earlier is seen
            // here, and one that begins later finds the wait to interrupt (request_shutdown()
            // runs on this thread).
            if (idle_at_shutdown(conn, !env.mail_from.empty())) break;
            bool interruptible = env.mail_from.empty();
            bool got = false;
            if (conn.tls_active()) {
                got = co_await conn.read_some_interruptible(interruptible);
            } else {
                // Waits here rather than in read_some(), so that an idle session holds no frame
                // of read_some's, and no buffer; the read then finds the bytes at once, without
                // a coroutine of its own.
                auto [ec] = co_await conn.wait_readable(interruptible);
                if (conn.readable(ec)) {
                    auto read = conn.read_now();
                    if (read == detail::io_now::would_block) continue; // woken early: wait again
                    got = read == detail::io_now::done;
                }
            }
            if (!got) {
                input_ended(conn, proto, env);
                break;
            }
            continue;
        }
        if (event.what == detail::line_reader::kind::too_long) {
            proto.line_too_long();
        } else {
            // A command pipelined behind the end of a transaction gets the 421 too.
            if (idle_at_shutdown(conn, !env.mail_from.empty())) break;
            outcome result = co_await command(conn, proto, env, event.line);
            if (result == outcome::close) break;
            if (result == outcome::lost) {
                conn.output().clear();
                break;
            }
        }
        if (conn.output().size() > max_pending_output && !co_await conn.flush()) break;
    }

    if constexpr (aborts_streams)
        if (proto.in_chunked_message()) co_await abort_stream(conn, env); // gone mid-BDAT
    co_await conn.finish();
    conn.trace(trace_event::closed, {});
}

// handle_CONNECT, after the limits and the PROXY header, before the greeting. What it throws
// refuses the connection: a reply as it is (a 2xx would greet: it becomes 421), anything else as
// `421 4.3.2`.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<connect_decision>
server<Handler, AuthPolicy, DecodePolicy>::decide_at_connect(served_connection& conn) {
    connect_decision decision;
    std::optional<reply> thrown;
    try {
        // (Under `if constexpr`: an explicit instantiation of the server instantiates this too.)
        if constexpr (has_handle_CONNECT<Handler>)
            SMTP_DETAIL_CALL_HOOK(decision, handler_.handle_CONNECT(conn, conn.session()));
    } catch (const reply& r) {
        thrown = r;
    } catch (...) {
        thrown = reply{421, "4.3.2 Service not available, closing transmission channel"};
    }
    if (thrown) {
        if (thrown->code >= 400 && thrown->code < 500)
            co_return connect_decision::defer(std::move(thrown->text));
        if (thrown->code >= 500 && thrown->code < 600)
            co_return connect_decision::refuse(std::move(thrown->text));
        co_return connect_decision::defer();
    }
    co_return decision;
}

// The PROXY protocol header that must precede everything else when the option is on: from a
// trusted sender, complete within its timeout, valid, and accepted by handle_PROXY. The session's
// peer becomes the original client.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<bool>
server<Handler, AuthPolicy, DecodePolicy>::accept_proxy_header(served_connection& conn,
                                                               envelope_type& env) {
    std::optional<proxy_data> header = co_await read_proxy_header(conn);
    if (!header) co_return false;
    // (Under `if constexpr`: an explicit instantiation of the server instantiates this too.)
    if constexpr (has_handle_PROXY<Handler, content_type>) {
        bool accepted = false;
        SMTP_DETAIL_CALL_HOOK(accepted, handler_.handle_PROXY(conn, conn.session(), env, *header));
        if (!accepted) co_return false;
    }
    adopt_proxy_header(conn, *header);
    co_return true;
}

} // namespace smtp

#endif
