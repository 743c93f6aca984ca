#ifndef SMTP_IMPL_SERVER_COMMANDS_HPP
#define SMTP_IMPL_SERVER_COMMANDS_HPP

// One command: hand its line to the protocol core (detail/protocol.hpp) and perform the
// next_action it returns. The core checks every command and writes every reply; this file calls
// the handler's hooks, and reads and writes what a command needs (a message body, an AUTH
// exchange, a TLS handshake). The loop that reads the lines is in serve_registered
// (impl/server_session.hpp).

#include <smtp/detail/call_hook.hpp>

#include <boost/asio/deferred.hpp>

#include <exception>
#include <span>
#include <stdexcept>
#include <vector>

namespace smtp {

// A wait for the client's next bytes that got none: the connection timed out (its final reply is
// queued), a shutdown interrupted an idle session (it gets its 421), or the client is gone.
template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::input_ended(served_connection& conn,
                                                            protocol_type& proto,
                                                            envelope_type& env) {
    if (conn.interrupted_by_shutdown()) {
        idle_at_shutdown(conn, !env.mail_from.empty());
    } else if (conn.timed_out()) {
        detail::observe_limit(handler_, conn, limit::timeout);
        proto.timed_out();
        conn.allow_final_reply();
    }
}

// One command line, from the protocol core's verdict to its reply. A coroutine of its own, so
// that what a command needs (its hook's reply, a failure) is not kept in the session's frame,
// which every idle session holds (memory per idle connection).
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::command(served_connection& conn,
                                                        protocol_type& proto, envelope_type& env,
                                                        std::string_view line)
    -> boost::asio::awaitable<outcome> {
    conn.arm_timeout();
    conn.trace_command(line);
    [[maybe_unused]] bool chunking = proto.in_chunked_message();
    detail::next_action next = proto.on_line(line);
    outcome result = outcome::go_on;
    if (next.what == detail::next_action::kind::close) co_return outcome::close;
    if (next.what != detail::next_action::kind::read_command) {
        std::exception_ptr failure;
        try {
            result = co_await perform(conn, proto, env, next);
        } catch (const reply& r) {
            proto.write_hook_reply(r);
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            reply r = co_await failure_reply(failure);
            proto.write_hook_reply(r);
        }
    }
    // RSET, HELO, EHLO or STARTTLS ended a BDAT transaction (BDAT reports its own).
    if constexpr (aborts_streams)
        if (chunking && proto.current_command().id != detail::verb::bdat &&
            !proto.in_chunked_message())
            co_await abort_stream(conn, env);
    co_return result;
}

// What the protocol core asked for after a command: a hook, a message body, an AUTH exchange or
// a TLS handshake. Not a coroutine itself: it hands over the step's (one frame less per
// command, and no function of its own per handler).
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::perform(served_connection& conn,
                                                        protocol_type& proto, envelope_type& env,
                                                        detail::next_action next)
    -> boost::asio::awaitable<outcome> {
    using kind = detail::next_action::kind;
    switch (next.what) {
    case kind::call_hook: return call_hook(conn, proto, env, next.hook);
    case kind::receive_data:
        conn.message_started();
        if constexpr (assigns_ids<Handler>) env.message_id = detail::next_id();
        return receive_data(conn, proto, env);
    case kind::receive_chunk:
        if (proto.chunk_opens_message()) {
            conn.message_started();
            if constexpr (assigns_ids<Handler>) env.message_id = detail::next_id();
        }
        return receive_chunk(conn, proto, env);
    case kind::authenticate: return authenticate(conn, proto, env);
    case kind::start_tls: return starttls(conn, proto, env);
    case kind::read_command: break;
    case kind::close: return finished(outcome::close);
    }
    return finished(outcome::go_on);
}

// The handler's hook for a command that passed its checks, or the core's default when the
// handler has none. Which hook, and with which arguments, is all this decides.
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::call_hook(served_connection& conn,
                                                          protocol_type& proto, envelope_type& env,
                                                          detail::verb v)
    -> boost::asio::awaitable<outcome> {
    auto after = [](detail::next_action next) {
        return next.what == detail::next_action::kind::close ? outcome::close : outcome::go_on;
    };
    using detail::verb;
    session& s = conn.session();
    std::string_view arg = proto.current_command().arg;
    reply r;
    switch (v) {
    case verb::helo:
        if constexpr (has_handle_HELO<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_HELO(conn, s, env, arg));
            co_return after(proto.hook_answered(r));
        }
        break;
    case verb::ehlo:
        if constexpr (has_handle_EHLO_lines<Handler, content_type>) {
            std::vector<std::string> lines;
            SMTP_DETAIL_CALL_HOOK(lines,
                                  handler_.handle_EHLO(conn, s, env, arg, proto.ehlo_responses()));
            co_return after(proto.ehlo_lines_answered(lines));
        } else if constexpr (has_handle_EHLO_push<Handler, content_type>) {
            proto.write_ehlo_head(); // lines the hook push()es go between these and its reply
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_EHLO(conn, s, env, arg));
            co_return after(proto.hook_answered(r));
        }
        break;
    case verb::noop:
        if constexpr (has_handle_NOOP<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_NOOP(conn, s, env, arg));
            co_return after(proto.hook_answered(r));
        }
        break;
    case verb::quit:
        if constexpr (has_handle_QUIT<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_QUIT(conn, s, env));
            co_return after(proto.hook_answered(r));
        }
        break;
    case verb::rset:
        if constexpr (has_handle_RSET<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_RSET(conn, s, env));
            co_return after(proto.hook_answered(r));
        }
        break;
    case verb::vrfy:
        if constexpr (has_handle_VRFY<Handler, content_type>) {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_VRFY(conn, s, env, proto.request().address));
            co_return after(proto.hook_answered(r));
        }
        break;
    case verb::mail:
        if constexpr (has_handle_MAIL<Handler, content_type>) {
            const auto& request = proto.request();
            SMTP_DETAIL_CALL_HOOK(
                r, handler_.handle_MAIL(conn, s, env, request.address,
                                        std::span<const std::string>(request.options)));
            co_return after(proto.hook_answered(r));
        }
        break;
    case verb::rcpt:
        if constexpr (has_handle_RCPT<Handler, content_type>) {
            const auto& request = proto.request();
            SMTP_DETAIL_CALL_HOOK(
                r, handler_.handle_RCPT(conn, s, env, request.address,
                                        std::span<const std::string>(request.options)));
            co_return after(proto.hook_answered(r));
        }
        break;
    default: break;
    }
    co_return after(proto.answer_by_default());
}

// handle_exception's reply, or the base's `500 Error: (<type>) <what>` without one.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<reply>
server<Handler, AuthPolicy, DecodePolicy>::failure_reply(std::exception_ptr error) {
    if constexpr (has_handle_exception<Handler>)
        return exception_hook_reply(std::move(error));
    else
        return server_base::failure_reply(std::move(error));
}

template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<reply>
server<Handler, AuthPolicy, DecodePolicy>::exception_hook_reply(std::exception_ptr error) {
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
        // (Under `if constexpr`: an explicit instantiation of the server instantiates this too.)
        if constexpr (has_handle_exception<Handler>)
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_exception(what ? *what : unknown));
    } catch (...) {
        inner = std::current_exception();
    }
    if (inner) co_return reply{500, describe_failure(inner)};
    co_return r;
}

} // namespace smtp

#endif
