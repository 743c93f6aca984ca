#ifndef SMTP_DETAIL_SERVED_CONNECTION_HPP
#define SMTP_DETAIL_SERVED_CONNECTION_HPP

#include <smtp/connection.hpp>

namespace smtp::detail {

/// The connection as the server drives it: the hooks' view (smtp::connection, which every hook
/// receives) plus what only the server does with it. The using-declarations below are the whole
/// of that: the server reaches none of the connection's state but through them.
class served_connection : public connection {
public:
    using connection::connection;

    // Bytes in and out.
    using connection::client_has_spoken;
    using connection::executor;
    using connection::finish;
    using connection::flush;
    using connection::input;
    using connection::output;
    using connection::read_now;
    using connection::read_some;
    using connection::read_some_interruptible;
    using connection::readable;
    using connection::wait_readable;
    using connection::wait_slot_overflows;
    // TLS.
    using connection::early_bytes;
    using connection::start_tls;
    using connection::tls_active;
    // Time and the end.
    using connection::allow_final_reply;
    using connection::arm_timeout;
    using connection::check_deadline;
    using connection::close;
    using connection::interrupted_by_shutdown;
    using connection::request_shutdown;
    using connection::timed_out;
    using connection::watch_deadline_with;
    // Tracing and figures.
    using connection::count_message;
    using connection::message_duration;
    using connection::message_started;
    using connection::set_certificate_selector;
    using connection::set_tracer;
    using connection::trace;
    using connection::trace_command;
    // AUTH.
    using connection::auth_replied;
    using connection::auth_reply_code;
    using connection::begin_auth_exchange;
    using connection::count_auth_failure;
    using connection::note_final_reply;
    using connection::replace_final_reply;
};

} // namespace smtp::detail

#endif
