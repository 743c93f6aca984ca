#ifndef SMTP_IMPL_SERVER_MESSAGE_BODY_HPP
#define SMTP_IMPL_SERVER_MESSAGE_BODY_HPP

// How a server receives a message body, by DATA or by BDAT chunks, whole or streamed to
// handle_DATA_chunk, hands it to the handler, and reports it to the observability hooks. The
// protocol object (detail/protocol.hpp) decides every reply; this file moves the bytes and calls
// the hooks.

#include <smtp/detail/call_hook.hpp>
#include <smtp/detail/next_action.hpp>
#include <smtp/detail/observe.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <string_view>

namespace smtp {

namespace detail {

// The readers of message bodies for handlers that take the message whole: they depend on the
// content type but not on the handler, and the built-in content's are compiled once
// (<smtp/src.hpp>). True when the body (or the chunk) is complete; false when the client went
// away or fell silent first.

/// The rest of a DATA body, un-stuffed by the protocol core into the envelope.
template <class Content>
boost::asio::awaitable<bool> read_data_body(served_connection& conn, protocol<Content>& proto) {
    for (;;) {
        std::string_view input = conn.input().data();
        std::size_t used = proto.feed_data(input);
        if (used != 0) conn.trace(trace_event::data, input.substr(0, used));
        conn.input().consume(used); // `input` is not used past here
        if (proto.data().done()) co_return true;
        if (!co_await conn.flush() || !co_await conn.read_some()) co_return false;
        conn.arm_timeout(); // the timeout is for silence, not for the size of the message
    }
}

/// The rest of a BDAT chunk, appended to the envelope as it is (unless the chunk is dropped).
template <class Content>
boost::asio::awaitable<bool> read_chunk_body(served_connection& conn, protocol<Content>& proto,
                                             envelope<Content>& env) {
    for (;;) {
        std::string_view mine = proto.take_chunk(conn.input().data());
        if (!mine.empty()) {
            conn.trace(trace_event::data, mine);
            if (!proto.chunk_dropped()) env.original_content.append(mine);
            conn.input().consume(mine.size());
        }
        if (proto.chunk_remaining() == 0) co_return true;
        if (!co_await conn.flush() || !co_await conn.read_some()) co_return false;
        conn.arm_timeout();
    }
}

#if !defined(SMTP_HEADER_ONLY)
extern template boost::asio::awaitable<bool> read_data_body(served_connection&,
                                                            protocol<std::string_view>&);
extern template boost::asio::awaitable<bool>
read_chunk_body(served_connection&, protocol<std::string_view>&, envelope<std::string_view>&);
#endif

} // namespace detail

// The input ran dry and no more came: the client vanished (`lost`), or went silent past the
// timeout, which ends the transaction and the session with a 421 (`close`).
// `began`: a message had begun (and handle_DATA_abort has heard of its end).
template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::message_interrupted(served_connection& conn,
                                                                    protocol_type& proto,
                                                                    envelope_type& env, bool began)
    -> outcome {
    if constexpr (has_message_aborted<Handler>) {
        if (began) {
            message_stats gone{proto.in_chunked_message() ? proto.chunked_octets()
                                                          : env.original_content.size(),
                               env.rcpt_tos.size(), 0, conn.message_duration(), env.message_id};
            handler_.message_aborted(conn, gone);
        }
    }
    if (!conn.timed_out()) return outcome::lost;
    detail::observe_limit(handler_, conn, limit::timeout);
    proto.reset_transaction();
    proto.timed_out();
    conn.allow_final_reply();
    return outcome::close;
}

template <class Handler, class AuthPolicy, class DecodePolicy>
auto server<Handler, AuthPolicy, DecodePolicy>::receive_data(served_connection& conn,
                                                             protocol_type& proto,
                                                             envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    constexpr bool streaming = has_handle_DATA_chunk<Handler, content_type>;
    reply refusal;            // streaming: a chunk hook refused the message
    std::size_t streamed = 0; // streaming: octets handed to the hook
    bool complete = false;
    if constexpr (streaming) {
        std::string piece; // the un-stuffed bytes of one read
        for (;;) {
            std::string_view input = conn.input().data();
            std::size_t used = proto.feed_data(input, piece);
            if (used != 0) conn.trace(trace_event::data, input.substr(0, used));
            conn.input().consume(used); // `input` is not used past here
            streamed += piece.size();
            if (!piece.empty() && refusal.empty())
                refusal = co_await stream_chunk(conn, env, piece);
            piece.clear();
            if (proto.data().done()) {
                complete = true;
                break;
            }
            if (!co_await conn.flush() || !co_await conn.read_some()) break;
            conn.arm_timeout(); // the timeout is for silence, not for the size of the message
        }
    } else {
        complete = co_await detail::read_data_body(conn, proto);
    }
    if (!complete) {
        if constexpr (aborts_streams) co_await abort_stream(conn, env);
        co_return message_interrupted(conn, proto, env, true);
    }
    message_stats seen{streaming ? streamed : env.original_content.size(),
                       env.rcpt_tos.size(),
                       0,
                       {},
                       env.message_id};
    if (proto.template finish_data<DecodePolicy>().what != detail::next_action::kind::call_hook) {
        if constexpr (aborts_streams) co_await abort_stream(conn, env); // too big, or too long
        seen.reply_code = proto.message_reply_code();
        if (seen.reply_code == 552) detail::observe_limit(handler_, conn, limit::message_size);
        observe_message(conn, seen);
        co_return outcome::go_on;
    }
    if (!refusal.empty()) {
        if constexpr (aborts_streams) co_await abort_stream(conn, env);
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
auto server<Handler, AuthPolicy, DecodePolicy>::receive_chunk(served_connection& conn,
                                                              protocol_type& proto,
                                                              envelope_type& env)
    -> boost::asio::awaitable<outcome> {
    bool complete = false;
    if constexpr (has_handle_DATA_chunk<Handler, content_type>) {
        for (;;) {
            std::string_view mine = proto.take_chunk(conn.input().data());
            if (!mine.empty()) {
                conn.trace(trace_event::data, mine);
                if (!proto.chunk_dropped()) {
                    // The bytes stay in the input buffer (unread past) while the hook runs.
                    reply refusal = co_await stream_chunk(conn, env, mine);
                    if (!refusal.empty()) proto.refuse_chunk(std::move(refusal));
                }
                conn.input().consume(mine.size());
            }
            if (proto.chunk_remaining() == 0) {
                complete = true;
                break;
            }
            if (!co_await conn.flush() || !co_await conn.read_some()) break;
            conn.arm_timeout();
        }
    } else {
        complete = co_await detail::read_chunk_body(conn, proto, env);
    }
    if (!complete) {
        bool began = proto.in_chunked_message();
        if constexpr (aborts_streams)
            if (began) co_await abort_stream(conn, env);
        co_return message_interrupted(conn, proto, env, began);
    }
    bool was_in_message = proto.in_chunked_message();
    message_stats seen{proto.chunked_octets(), env.rcpt_tos.size(), 0, {}, env.message_id};
    if (proto.template finish_chunk<DecodePolicy>().what != detail::next_action::kind::call_hook) {
        // A failed chunk ends the transaction; a good one before the last keeps it going.
        bool ended = was_in_message && !proto.in_chunked_message();
        if constexpr (aborts_streams)
            if (ended) co_await abort_stream(conn, env);
        if (ended || proto.chunk_failure_ended_message()) {
            seen.reply_code = proto.message_reply_code();
            if (seen.reply_code == 552) detail::observe_limit(handler_, conn, limit::message_size);
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
server<Handler, AuthPolicy, DecodePolicy>::deliver(served_connection& conn, protocol_type& proto,
                                                   envelope_type& env, message_stats& seen) {
    session& s = conn.session();
    if constexpr (has_handle_DATA_recipient<Handler, content_type>) {
        if (opts_.lmtp) {
            // One reply per recipient; one recipient's failure is that recipient's reply.
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
                proto.recipient_answered(r);
            }
            seen.reply_code = proto.message_reply_code();
            observe_message(conn, seen);
            proto.all_recipients_answered();
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
    proto.hook_answered(r); // in LMTP, once per recipient; the transaction ends
    seen.reply_code = proto.message_reply_code();
    observe_message(conn, seen);
}

// Hands one piece of a streamed body to handle_DATA_chunk; what it throws is its refusal.
template <class Handler, class AuthPolicy, class DecodePolicy>
boost::asio::awaitable<reply>
server<Handler, AuthPolicy, DecodePolicy>::stream_chunk(served_connection& conn, envelope_type& env,
                                                        std::string_view bytes) {
    reply r;
    if constexpr (has_handle_DATA_chunk<Handler, content_type>) {
        std::exception_ptr failure;
        try {
            SMTP_DETAIL_CALL_HOOK(r, handler_.handle_DATA_chunk(conn, conn.session(), env, bytes));
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
server<Handler, AuthPolicy, DecodePolicy>::abort_stream(served_connection& conn,
                                                        envelope_type& env) {
    if constexpr (has_handle_DATA_abort<Handler, content_type>) {
        try {
            if constexpr (detail::is_awaitable_v<decltype(handler_.handle_DATA_abort(
                              conn, conn.session(), env))>)
                co_await handler_.handle_DATA_abort(conn, conn.session(), env);
            else
                handler_.handle_DATA_abort(conn, conn.session(), env);
        } catch (...) {
        }
    }
    co_return;
}

// The figures of one message for the connection and the observability hooks; it began at
// conn.message_started() (the DATA command or the message's first BDAT).
template <class Handler, class AuthPolicy, class DecodePolicy>
void server<Handler, AuthPolicy, DecodePolicy>::observe_message(served_connection& conn,
                                                                message_stats& stats) {
    stats.duration = conn.message_duration();
    bool accepted = stats.reply_code >= 200 && stats.reply_code < 300;
    conn.count_message(accepted);
    if constexpr (has_message_accepted<Handler>)
        if (accepted) handler_.message_accepted(conn, stats);
    if constexpr (has_message_rejected<Handler>)
        if (!accepted) handler_.message_rejected(conn, stats);
}

} // namespace smtp

#endif
