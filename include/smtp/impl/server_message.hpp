#ifndef SMTP_IMPL_SERVER_MESSAGE_HPP
#define SMTP_IMPL_SERVER_MESSAGE_HPP

// How a server receives a message body, by DATA or by BDAT chunks, whole or streamed to
// handle_DATA_chunk, and hands it to the handler. The protocol object (detail/protocol.hpp)
// decides every reply; this file moves the bytes and calls the hooks.

#include <smtp/detail/call_hook.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

namespace smtp {

// The input ran dry and no more came: the client vanished (`lost`), or went silent past the
// timeout, which ends the transaction and the session with a 421 (`close`).
// `began`: a message had begun (and handle_DATA_abort must hear of its end).
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::message_interrupted(
    connection& conn, detail::protocol<content_type>& proto, envelope_type& env, bool began)
    -> boost::asio::awaitable<outcome> {
    if (began) co_await abort_stream(conn, env);
    if (!conn.timed_out_) co_return outcome::lost;
    proto.reset_transaction();
    proto.timed_out();
    conn.timed_out_ = false;
    conn.arm_timeout(std::chrono::seconds(5)); // for the 421 itself
    co_return outcome::close;
}

template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::receive_data(connection& conn,
                                                             detail::protocol<content_type>& proto,
                                                             envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    constexpr bool streaming = has_handle_DATA_chunk<Handler, content_type>;
    std::string piece;        // streaming: the un-stuffed bytes of one read
    reply refusal;            // streaming: a chunk hook refused the message
    std::size_t streamed = 0; // streaming: octets handed to the hook
    for (;;) {
        std::string_view input = conn.input_.data();
        std::size_t used = streaming ? proto.feed_data(input, piece) : proto.feed_data(input);
        if (used != 0) conn.trace(trace_event::data, input.substr(0, used));
        conn.input_.consume(used); // `input` is not used past here
        if constexpr (streaming) {
            streamed += piece.size();
            if (!piece.empty() && refusal.empty())
                refusal = co_await stream_chunk(conn, env, piece);
            piece.clear();
        }
        if (proto.data().done()) break;
        if (!co_await conn.flush() || !co_await conn.read_some())
            co_return co_await message_interrupted(conn, proto, env, true);
        conn.arm_timeout(); // the timeout is for silence, not for the size of the message
    }
    message_stats seen{
        streaming ? streamed : env.original_content.size(), env.rcpt_tos.size(), 0, {}};
    if (proto.template finish_data<DecodePolicy>() != detail::step::proceed) {
        co_await abort_stream(conn, env); // too big, or a line too long
        seen.reply_code = detail::last_reply_code(conn.out_);
        observe_message(conn, seen);
        co_return outcome::go_on;
    }
    if (!refusal.empty()) {
        co_await abort_stream(conn, env);
        proto.write_data_reply(refusal);
        proto.reset_transaction();
        seen.reply_code = refusal.code;
        observe_message(conn, seen);
        co_return outcome::go_on;
    }
    co_await deliver(conn, proto, env, seen);
    co_return outcome::go_on;
}

// One BDAT chunk (RFC 3030): its octets are taken as they are, with no dot-stuffing and no end
// marker. Chunks before the last get `250 2.0.0 <n> octets received`; the last one completes the
// message, which is delivered as one received by DATA would be.
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::receive_chunk(connection& conn,
                                                              detail::protocol<content_type>& proto,
                                                              envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    constexpr bool streaming = has_handle_DATA_chunk<Handler, content_type>;
    for (;;) {
        std::string_view mine = proto.take_chunk(conn.input_.data());
        if (!mine.empty()) {
            conn.trace(trace_event::data, mine);
            if (!proto.chunk_dropped()) {
                if constexpr (streaming) {
                    // The bytes stay in the input buffer (unread past) while the hook runs.
                    reply refusal = co_await stream_chunk(conn, env, mine);
                    if (!refusal.empty()) proto.refuse_chunk(std::move(refusal));
                } else {
                    env.original_content.append(mine);
                }
            }
            conn.input_.consume(mine.size());
        }
        if (proto.chunk_remaining() == 0) break;
        if (!co_await conn.flush() || !co_await conn.read_some())
            co_return co_await message_interrupted(conn, proto, env, proto.in_chunked_message());
        conn.arm_timeout();
    }
    bool was_in_message = proto.in_chunked_message();
    message_stats seen{proto.chunked_octets(), env.rcpt_tos.size(), 0, {}};
    if (proto.template finish_chunk<DecodePolicy>() != detail::step::proceed) {
        // A failed chunk ends the transaction; a good one before the last keeps it going.
        bool ended = was_in_message && !proto.in_chunked_message();
        if (ended) co_await abort_stream(conn, env);
        if (ended || proto.chunk_failure_ended_message()) {
            seen.reply_code = detail::last_reply_code(conn.out_);
            observe_message(conn, seen);
        }
        co_return outcome::go_on;
    }
    co_await deliver(conn, proto, env, seen);
    co_return outcome::go_on;
}

// The message is complete: handle_DATA (or, in LMTP, handle_DATA_recipient per recipient) gives
// the reply, and the transaction ends whatever it says. `seen` gets the reply code and goes to
// the observability hooks.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<void>
server<Handler, AuthPolicy, DecodePolicy>::deliver(connection& conn,
                                                   detail::protocol<content_type>& proto,
                                                   envelope_type& env, message_stats& seen) {
    session& s = conn.session_;
    if constexpr (has_handle_DATA_recipient<Handler, content_type>) {
        if (opts_.lmtp) {
            // One reply per recipient; one recipient's failure is that recipient's reply.
            bool any_accepted = false;
            for (const std::string& recipient : env.rcpt_tos) {
                reply r;
                std::exception_ptr failure;
                try {
                    SMTP_DETAIL_CALL_HOOK(r,
                                          handler_.handle_DATA_recipient(conn, s, env, recipient));
                } catch (const reply& thrown) {
                    r = thrown;
                } catch (...) {
                    failure = std::current_exception();
                }
                if (failure) r = co_await failure_reply(failure);
                any_accepted = any_accepted || r.positive();
                if (seen.reply_code == 0 || (r.positive() && seen.reply_code >= 300))
                    seen.reply_code = r.empty() ? 451 : r.code; // the first accepting one
                detail::write_hook_reply(conn.out_, r, opts_.enhanced_status_codes,
                                         r.positive() ? "2.0.0" : "");
            }
            observe_message(conn, seen);
            if (any_accepted) proto.message_accepted();
            proto.reset_transaction();
            co_return;
        }
    }
    reply r = reply::ok();
    if constexpr (has_handle_DATA<Handler, content_type>) {
        std::exception_ptr failure;
        try {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_DATA(conn, s, env));
        } catch (const reply& thrown) {
            r = thrown;
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) r = co_await failure_reply(failure);
    }
    proto.write_data_reply(r); // in LMTP, once per recipient
    seen.reply_code = r.empty() ? 451 : r.code;
    observe_message(conn, seen);
    proto.reset_transaction(); // whatever the outcome: a failed DATA ends the transaction
}

// Hands one piece of a streamed body to handle_DATA_chunk; what it throws is its refusal.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<reply>
server<Handler, AuthPolicy, DecodePolicy>::stream_chunk(connection& conn, envelope_type& env,
                                                        std::string_view bytes) {
    reply r;
    if constexpr (has_handle_DATA_chunk<Handler, content_type>) {
        std::exception_ptr failure;
        try {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_DATA_chunk(conn, conn.session_, env, bytes));
        } catch (const reply& thrown) {
            r = thrown;
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) r = co_await failure_reply(failure);
    }
    co_return r;
}

// Tells handle_DATA_abort that the streamed message will not complete. Nothing it throws can
// be answered (the message already failed), so that is swallowed.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<void>
server<Handler, AuthPolicy, DecodePolicy>::abort_stream(connection& conn, envelope_type& env) {
    if constexpr (has_handle_DATA_abort<Handler, content_type>) {
        try {
            if constexpr (detail::is_awaitable_v<decltype(handler_.handle_DATA_abort(
                              conn, conn.session_, env))>)
                co_await handler_.handle_DATA_abort(conn, conn.session_, env);
            else
                handler_.handle_DATA_abort(conn, conn.session_, env);
        } catch (...) {
        }
    }
    co_return;
}

} // namespace smtp

#endif
