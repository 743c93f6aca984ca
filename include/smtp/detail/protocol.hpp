#ifndef SMTP_DETAIL_PROTOCOL_HPP
#define SMTP_DETAIL_PROTOCOL_HPP

#include <smtp/decode.hpp>
#include <smtp/detail/address.hpp>
#include <smtp/detail/ascii.hpp>
#include <smtp/detail/command.hpp>
#include <smtp/detail/config.hpp>
#include <smtp/detail/data_reader.hpp>
#include <smtp/detail/forwarding.hpp>
#include <smtp/detail/line_reader.hpp>
#include <smtp/detail/next_action.hpp>
#include <smtp/detail/parameters.hpp>
#include <smtp/detail/write_reply.hpp>
#include <smtp/envelope.hpp>
#include <smtp/options.hpp>
#include <smtp/received.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <boost/core/demangle.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smtp::detail {

/// What the server offers beyond its options, fixed at compile time by its Handler and
/// policies. The server keeps one; its sessions' protocols refer to it (a copy in each would
/// cost every idle connection its size).
struct capabilities {
    bool eight_bit_mime = true;                             // DecodePolicy::eight_bit_mime
    std::span<const std::string_view> auth_mechanisms = {}; // the mechanisms' names
    std::string_view ehlo_auth_line = {};                   // AUTH and the sorted names
    bool tls_available = false;                             // a TLS context is configured
    std::span<const parameter_rule> mail_parameters = {};   // the handler's (parameters.hpp)
    std::span<const parameter_rule> rcpt_parameters = {};
    const char* handler_type = nullptr; // typeid(Handler).name(), for a warning naming it
};

/// The SMTP session state machine, without I/O (RFC 5321 with aiosmtpd's replies and check
/// order). The driver feeds it lines and DATA bytes; it writes replies into `out` and answers
/// each step with the next_action to perform: read, call a hook, receive a body, authenticate,
/// start TLS or close. Each verb's checks before its hook, the reply after it and the default
/// behaviour of a handler without the hook live here, once, so the whole protocol runs and is
/// tested without sockets (offline_session) and the server only does I/O and calls hooks.
template <class Content>
class protocol {
public:
    using envelope_type = envelope<Content>;

    /// `f`, like `opts`, must outlive the protocol.
    protocol(const options& opts, std::string_view hostname, const capabilities& f, session& s,
             envelope_type& env, std::string& out)
        : opts_(opts), hostname_(hostname), features_(f), session_(s), envelope_(env), out_(out),
          line_limit_(std::max<std::size_t>(
              1001, opts.command_size_limit + 36 + (opts.dsn ? dsn_rcpt_line_allowance : 0) +
                        (opts.requiretls ? 11 : 0) + (f.auth_mechanisms.empty() ? 0 : 500))),
          lines_(line_limit_) {
        unknown_budget_ = opts.unknown_command_limit;
        if (opts.command_call_limit) {
            budgets_.fill(call_budget(opts.command_call_limit->default_limit));
            for (const auto& [name, limit] : opts.command_call_limit->per_verb) {
                verb v = verb_from_name(name);
                if (v != verb::unknown)
                    budgets_[std::size_t(v)] = call_budget(limit);
                else
                    unknown_budgets_.emplace_back(name, call_budget(limit));
            }
        }
    }

    protocol(const options&, std::string_view, capabilities&&, session&, envelope_type&,
             std::string&) = delete; // a temporary would not outlive the protocol
    /// Defined out of the class, so that the explicit instantiation in <smtp/src.hpp> covers it.
    ~protocol();

    // --- state shared with the connection -------------------------------------------------

    const options& opts() const noexcept { return opts_; }
    std::string_view hostname() const noexcept { return hostname_; }
    session& current_session() noexcept { return session_; }
    envelope_type& current_envelope() noexcept { return envelope_; }
    /// Frames the next command line. AUTH lines may be up to 12,288 octets (RFC 4954 §4), the
    /// others up to aiosmtpd's 1,001.
    line_reader::event next_line(std::string_view input) noexcept {
        constexpr std::string_view auth = "AUTH ";
        bool is_auth = istarts_with(input, auth);
        lines_.set_max_line(is_auth ? std::max(auth_line_limit + 1, line_limit_) : line_limit_);
        return lines_.next(input);
    }
    data_reader& data() noexcept { return data_; }
    bool tls_active() const noexcept { return tls_active_; }

    /// TLS is now active (after STARTTLS or on an implicit-TLS listener): a new session begins.
    void tls_started() noexcept {
        tls_active_ = true;
        lines_.reset();
        reset_transaction();
    }

    /// Whether this client may send XCLIENT and XFORWARD (options::xclient_trusted and
    /// xforward_trusted matched its address); set once before the greeting.
    void trust_forwarding(bool xclient, bool xforward) noexcept {
        xclient_trusted_ = xclient;
        xforward_trusted_ = xforward;
    }

    /// handle_STARTTLS refused the TLS session: from now on every command but QUIT gets 554.
    void refuse_commands() noexcept { refused_ = true; }

    /// Writes one of the server's own replies; `code` is its RFC 3463 code, sent when
    /// ENHANCEDSTATUSCODES is on (empty when the text carries one, as some of aiosmtpd's do).
    void write(int reply_code, std::string_view code, std::string_view text) {
        write_reply(out_, reply_code, text, opts_.enhanced_status_codes, code);
    }
    /// Writes a reply from a hook or a policy (`<class>.0.0` when it carries no code and none is
    /// given).
    void write(const reply& r, std::string_view code = {}) {
        write_reply(out_, r, opts_.enhanced_status_codes, code);
    }

    /// `220 <hostname> <ident>`.
    void greet() {
        out_.append("220 ").append(hostname_).append(" ").append(opts_.ident).append("\r\n");
    }

    /// Reply for a line the framing found too long.
    void line_too_long() { write(500, "5.5.2", "Command line too long"); }

    /// `421 4.4.2 <hostname> Error: timeout exceeded` (aiosmtpd closes silently).
    void timed_out() {
        out_.append("421 4.4.2 ").append(hostname_).append(" Error: timeout exceeded\r\n");
    }

    /// One framed command line: the checks every command passes (aiosmtpd §2.2 steps 2–9), then
    /// its verb's own, in aiosmtpd's order; what to do next. The parsed line is
    /// current_command() until the next call.
    next_action on_line(std::string_view line) {
        next_action next = checked_command(line);
        if (next.what == next_action::kind::call_hook) pending_hook_ = next.hook;
        return next;
    }

    /// The command on_line() took last (its text points into that line).
    const command& current_command() const noexcept { return cmd_; }

    // --- hooks: their arguments, and what follows their answer ------------------------------

    /// What MAIL, RCPT and VRFY hand to their hooks; the strings are reused from one command to
    /// the next.
    struct path_request {
        std::string address;
        std::vector<std::string> options;
        std::vector<std::string> raw_options; // the same tokens as sent (case kept)
    };
    /// The address (and for MAIL and RCPT the parameters) of the command whose hook is due.
    const path_request& request() { return transaction().path; }

    /// For `next_action::kind::authenticate`: the mechanism as the server spells it, and the
    /// initial response as sent (empty when there is none; valid until the next read).
    struct auth_request {
        std::string_view mechanism;
        std::string_view initial_response;
    };
    const auth_request& auth() const noexcept { return auth_; }

    /// The handler's hook answered the command on_line() asked about: its reply goes out (with
    /// the verb's enhanced status code when it has none) and the verb's bookkeeping after the
    /// hook is done. QUIT then closes.
    next_action hook_answered(const reply& r) {
        switch (pending_hook_) {
        case verb::helo:
        case verb::ehlo:
            greeting_answered(r.positive());
            write_hook_reply(r, false); // HELO and EHLO replies carry no enhanced code (RFC 2034)
            break;
        case verb::mail: write_hook_reply(r, true, r.positive() ? "2.1.0" : ""); break;
        case verb::rcpt:
            if (r.positive() && envelope_.rcpt_tos.size() == recipients_before_hook_)
                recipient_accepted_unrecorded();
            recipient_recorded();
            write_hook_reply(r, true, r.positive() ? "2.1.5" : "");
            break;
        case verb::data:
            write_data_reply(r); // in LMTP, once per recipient
            reset_transaction(); // whatever the outcome: a failed DATA ends the transaction
            break;
        default: write_hook_reply(r, true); break;
        }
        return pending_hook_ == verb::quit ? next_action::close() : next_action::read_command();
    }

    /// A 5-argument handle_EHLO returned the lines of its reply.
    next_action ehlo_lines_answered(const std::vector<std::string>& lines) {
        greeting_answered(!lines.empty() && reply::parse(lines.front()).positive());
        write_ehlo_responses(lines);
        return next_action::read_command();
    }

    /// The handler has no hook for the command on_line() asked about: the default behaviour
    /// (aiosmtpd's, with a handler that does not define the hook).
    next_action answer_by_default() {
        switch (pending_hook_) {
        case verb::helo:
            session_.host_name.assign(cmd_.arg);
            out_.append("250 ").append(hostname_).append("\r\n");
            break;
        case verb::ehlo:
            session_.host_name.assign(cmd_.arg);
            write_ehlo_head();
            out_.append("250 HELP\r\n");
            break;
        case verb::quit: write(221, "2.0.0", "Bye"); return next_action::close();
        case verb::vrfy:
            write(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
            break;
        case verb::mail:
            envelope_.set_sender(request().address, request().options);
            write(250, "2.1.0", "OK");
            break;
        case verb::rcpt:
            envelope_.add_recipient(request().address, request().options);
            recipient_recorded();
            write(250, "2.1.5", "OK");
            break;
        case verb::data: return hook_answered(reply::ok());
        default: write(250, "2.0.0", "OK"); break; // NOOP, RSET
        }
        return next_action::read_command();
    }

    /// Writes a hook's reply (with the server's enhanced status code `code` when enhanced codes
    /// are on and `enhanced`). A hook that answered with the empty reply: tell the client
    /// something rather than hang it (aiosmtpd sends `500 Error: (AssertionError) ` or nothing).
    void write_hook_reply(const reply& r, bool enhanced = true, std::string_view code = {}) {
        if (r.empty())
            write_reply(out_, 451, "Error: the handler gave no reply",
                        enhanced && opts_.enhanced_status_codes, "4.3.0");
        else
            write_reply(out_, r, enhanced && opts_.enhanced_status_codes, code);
    }

private:
    // The checks of on_line(), before the verb's hook or default is due.
    next_action checked_command(std::string_view line) {
        command& cmd = cmd_;
        // NUL is in no production of RFC 5321's command syntax. aiosmtpd takes it into
        // hostnames and addresses (`MAIL FROM:<a\0@b>` gets 250), where it would cut the text
        // short in any C-string consumer; here the whole line is refused.
        // A CR is allowed only in the CRLF that ends the line (RFC 5321 §2.3.8): a bare CR
        // inside it would end up in an address or a host name, as a NUL would.
        if (line.find('\0') != std::string_view::npos || has_bare_cr(line)) {
            write(500, "5.5.2", "Error: bad syntax");
            return next_action::read_command();
        }
        switch (parser_.parse(line, !opts_.enable_smtputf8, cmd)) {
        case command_parser::status::ok: break;
        case command_parser::status::empty:
        case command_parser::status::bad_verb:
            write(500, "5.5.2", "Error: bad syntax");
            return next_action::read_command();
        case command_parser::status::non_ascii_argument:
            write(500, "5.5.2", "Error: strict ASCII mode");
            return next_action::read_command();
        }
        if (cmd.id == verb::bdat && !opts_.chunking) cmd.id = verb::unknown; // as aiosmtpd
        if ((cmd.id == verb::xclient && !xclient_trusted_) ||
            (cmd.id == verb::xforward && !xforward_trusted_))
            cmd.id = verb::unknown; // to an untrusted client they do not exist
        if (cmd.length > command_limit(cmd.id)) {
            write(500, "5.5.2", "Command line too long");
            return next_action::read_command();
        }
        if (refused_ && cmd.id != verb::quit) {
            write(554, "5.7.0", "Command refused due to lack of security");
            return next_action::read_command();
        }
        if (opts_.require_starttls && features_.tls_available && !tls_active_ &&
            cmd.id != verb::noop && cmd.id != verb::ehlo && cmd.id != verb::lhlo &&
            cmd.id != verb::starttls && cmd.id != verb::quit) {
            write(530, "5.7.0", "Must issue a STARTTLS command first");
            return next_action::read_command();
        }
        if (opts_.command_call_limit && !spend_call_budget(cmd)) {
            write(421, "", joined({"4.7.0 ", cmd.name, " sent too many times"}));
            return next_action::close();
        }
        if (opts_.lmtp) {
            // RFC 2033 §4.1: LHLO replaces HELO and EHLO (which are real, if refused,
            // commands: aiosmtpd answers them without spending the unknown-command budget).
            if (cmd.id == verb::helo || cmd.id == verb::ehlo) {
                not_recognized(cmd);
                return next_action::read_command();
            }
            if (cmd.id == verb::lhlo) cmd.id = verb::ehlo;
        }
        if (cmd.id == verb::unknown || cmd.id == verb::lhlo) {
            if (unknown_budget_ <= 1) {
                write(502, "", "5.5.1 Too many unrecognized commands, goodbye.");
                return next_action::close();
            }
            --unknown_budget_;
            not_recognized(cmd);
            return next_action::read_command();
        }
        switch (cmd.id) {
        case verb::helo:
        case verb::ehlo: return check_helo(cmd) ? next_action::call(cmd.id) : read_command();
        case verb::noop: return next_action::call(verb::noop);
        case verb::quit: return check_quit(cmd) ? next_action::call(verb::quit) : read_command();
        case verb::rset: return check_rset(cmd) ? next_action::call(verb::rset) : read_command();
        case verb::vrfy:
            return check_vrfy(cmd, transaction().path.address) ? next_action::call(verb::vrfy)
                                                               : read_command();
        case verb::mail: return check_mail(cmd, transaction().path);
        case verb::rcpt:
            if (!check_rcpt(cmd, transaction().path)) return read_command();
            recipients_before_hook_ = envelope_.rcpt_tos.size();
            return next_action::call(verb::rcpt);
        case verb::data:
            return check_data(cmd) ? next_action{next_action::kind::receive_data} : read_command();
        case verb::bdat: return check_bdat(cmd);
        case verb::help: help(cmd); return read_command();
        case verb::expn: write(502, "5.5.1", "EXPN not implemented"); return read_command();
        case verb::auth:
            return check_auth(cmd) ? next_action{next_action::kind::authenticate} : read_command();
        case verb::starttls:
            if (!check_starttls(cmd)) return read_command();
            write(220, "2.0.0", "Ready to start TLS");
            return next_action{next_action::kind::start_tls};
        case verb::xclient: xclient(cmd); return read_command();
        case verb::xforward: xforward(cmd); return read_command();
        case verb::lhlo:
        case verb::unknown: break; // answered above
        }
        return read_command();
    }
    static constexpr next_action read_command() noexcept { return next_action::read_command(); }

public:
    // --- EHLO --------------------------------------------------------------------------------

    /// Calls `line(text)` for each EHLO keyword line after the first (host name) line,
    /// without the final `HELP`, in aiosmtpd's order.
    template <class F>
    void for_each_ehlo_keyword(F&& line) const {
        char size_line[32];
        if (opts_.data_size_limit != 0) {
            int n = std::snprintf(size_line, sizeof size_line, "SIZE %zu", opts_.data_size_limit);
            line(std::string_view(size_line, std::size_t(n)));
        }
        if (features_.eight_bit_mime) line(std::string_view("8BITMIME"));
        if (opts_.enable_smtputf8) line(std::string_view("SMTPUTF8"));
        if (features_.tls_available && !tls_active_) line(std::string_view("STARTTLS"));
        if (auth_offered() && !features_.auth_mechanisms.empty()) {
            if (opts_.auth_exclude_mechanism.empty() && !withholds_external()) {
                line(features_.ehlo_auth_line);
            } else if (auto offered = offered_mechanisms(); !offered.empty()) {
                // (aiosmtpd sends a bare "AUTH " when every mechanism is excluded)
                std::string auth = "AUTH";
                for (std::string_view m : offered)
                    auth.append(" ").append(m);
                line(std::string_view(auth));
            }
        }
        // The extensions aiosmtpd lacks come last, each only when its option is on.
        if (opts_.pipelining) line(std::string_view("PIPELINING"));
        if (opts_.chunking) {
            line(std::string_view("CHUNKING"));
            line(std::string_view("BINARYMIME"));
        }
        if (opts_.enhanced_status_codes) line(std::string_view("ENHANCEDSTATUSCODES"));
        if (opts_.dsn) line(std::string_view("DSN"));
        if (opts_.requiretls && tls_active_) line(std::string_view("REQUIRETLS")); // RFC 8689 §4
        if (opts_.limits_extension) write_limits_keyword(line);
        if (xclient_trusted_) line(xclient_ehlo_line);
        if (xforward_trusted_) line(xforward_ehlo_line);
        // Then what the handler's declared MAIL and RCPT parameters advertise.
        for (const auto& rule : features_.mail_parameters)
            if (!rule.ehlo.empty()) line(rule.ehlo);
        for (const auto& rule : features_.rcpt_parameters)
            if (!rule.ehlo.empty()) line(rule.ehlo);
    }

    /// Writes the EHLO reply lines except the last one (`250-<hostname>` and the keywords).
    void write_ehlo_head() {
        out_.append("250-").append(hostname_).append("\r\n");
        for_each_ehlo_keyword(
            [this](std::string_view k) { out_.append("250-").append(k).append("\r\n"); });
    }

    /// The planned EHLO reply as aiosmtpd hands it to a 5-argument handle_EHLO hook.
    std::vector<std::string> ehlo_responses() const {
        std::vector<std::string> lines;
        lines.push_back("250-" + std::string(hostname_));
        for_each_ehlo_keyword(
            [&](std::string_view k) { lines.push_back("250-" + std::string(k)); });
        lines.push_back("250 HELP");
        return lines;
    }

    // --- DATA --------------------------------------------------------------------------------

    /// Feeds received bytes to the DATA reader; returns how many it consumed.
    std::size_t feed_data(std::string_view input) {
        return data_.feed(input, envelope_.original_content);
    }
    /// The same, un-stuffing into `out` instead (streaming DATA).
    std::size_t feed_data(std::string_view input, std::string& out) {
        return data_.feed(input, out);
    }

    /// The body is complete. Either a reply was written and the transaction reset
    /// (`read_command`), or `content` is decoded and handle_DATA is due (`call_hook` with
    /// verb::data: hand its reply to hook_answered(), or to recipient_answered() per recipient).
    template <class DecodePolicy>
    next_action finish_data() {
        switch (data_.result()) {
        case data_reader::outcome::ok: break;
        case data_reader::outcome::line_too_long:
            write_data_reply({500, "Line too long (see RFC5321 4.5.3.1.6)"}, "5.6.0");
            reset_transaction();
            return read_command();
        case data_reader::outcome::too_much_data:
            write_data_reply({552, "Error: Too much mail data"}, "5.3.4");
            reset_transaction();
            return read_command();
        case data_reader::outcome::bare_newline: // Postfix's words, RFC 5321bis' code
            write_data_reply({550, std::string(joined({"5.6.11 ", hostname_, " Error: bare <",
                                                       data_.bare_octet() == '\r' ? "CR" : "LF",
                                                       "> received"}))});
            reset_transaction();
            return read_command();
        }
        return decode_content<DecodePolicy>();
    }

    /// Decodes the received message into `content`: handle_DATA is due, or (`read_command`) the
    /// DecodePolicy's refusal was written and the transaction reset.
    template <class DecodePolicy>
    next_action decode_content() {
        if (opts_.received_header) // the trace header comes first (RFC 5321 §4.4)
            envelope_.original_content.insert(
                0, received_header(session_, envelope_, hostname_, opts_.lmtp));
        reply error = DecodePolicy::decode(std::string_view(envelope_.original_content),
                                           envelope_.content, opts_.enable_smtputf8);
        if (!error.empty()) {
            write_data_reply(error);
            reset_transaction(); // aiosmtpd keeps it, and the next MAIL is "nested"
            return read_command();
        }
        return message_complete();
    }

    // --- BDAT (RFC 3030) ----------------------------------------------------------------------

    /// The octets of `input` that belong to the current chunk (a prefix of it); the caller
    /// consumes them from its buffer. They are message content unless chunk_dropped().
    std::string_view take_chunk(std::string_view input) {
        auto& state = transaction().chunk;
        std::string_view mine = input.substr(0, std::min(input.size(), state.remaining));
        state.remaining -= mine.size();
        if (state.failure.empty()) state.received += mine.size();
        return mine;
    }
    std::size_t chunk_remaining() const noexcept { return chunk().remaining; }
    bool chunk_dropped() const noexcept { return !chunk().failure.empty(); }
    bool chunk_is_last() const noexcept { return chunk().last; }
    /// handle_DATA_chunk refused the message: the rest of the chunk is dropped, and this reply
    /// answers it and ends the transaction.
    void refuse_chunk(reply r) {
        auto& state = transaction().chunk;
        state.failure = std::move(r);
        state.failure_code = {};
        state.ends_transaction = true;
    }

    /// All of the chunk's octets are in. Either its reply was written (`read_command`: a
    /// failure, which ends the transaction, or `250` for a chunk before the last), or the last
    /// chunk completed the message: `content` is decoded and handle_DATA is due, as after DATA.
    template <class DecodePolicy>
    next_action finish_chunk(bool decode = true) {
        auto& state = transaction().chunk;
        if (!state.failure.empty()) {
            // In LMTP the last chunk is answered once per accepted recipient, failed or not
            // (RFC 2033 §4.2, as after DATA). A client that pipelined its chunks still sends
            // that last one after a failed chunk and waits for every reply: the recipients of
            // the failed message are remembered until then.
            std::size_t recipients =
                state.owed_replies != 0 ? state.owed_replies : envelope_.rcpt_tos.size();
            std::size_t replies =
                opts_.lmtp && state.last ? std::max<std::size_t>(recipients, 1) : 1;
            for (std::size_t i = 0; i < replies; ++i)
                write(state.failure, state.failure_code);
            message_reply_code_ = state.failure.code;
            // A failed chunk of a message under way ends the transaction, as does a message too
            // big or refused from its first chunk; a chunk sent out of turn changes nothing.
            bool ended = state.in_message || state.ends_transaction;
            if (ended) abandon_chunks();
            if (state.last) {
                state.owed_replies = 0;
            } else if (opts_.lmtp && ended && recipients != 0) {
                state.owed_replies = recipients;
                state.owed_failure = state.failure;
                state.owed_code = state.failure_code;
            }
            return read_command();
        }
        if (!state.last) {
            char text[48];
            int n = std::snprintf(text, sizeof text, "%zu octets received", state.size);
            write(250, "2.0.0", std::string_view(text, std::size_t(n)));
            return read_command();
        }
        state.in_message = false;
        return decode ? decode_content<DecodePolicy>() : message_complete();
    }

    /// Octets of the chunked message so far.
    std::size_t chunked_octets() const noexcept { return chunk().received; }
    /// The last chunk's failure ended a message (too big, or refused), not just that chunk.
    bool chunk_failure_ended_message() const noexcept { return chunk().ends_transaction; }

    /// No chunked message was under way when this BDAT came (its message begins now, for the
    /// message's duration, even if the chunk then fails).
    bool chunk_opens_message() const noexcept { return chunk().opens_message; }

    /// True between the first accepted chunk of a message and its end.
    bool in_chunked_message() const noexcept { return chunk().in_message; }

    /// Ends a chunked message that will not be completed (RSET, a new EHLO, a failed chunk).
    void abandon_chunks() { reset_transaction(); }

    /// Ends the mail transaction, however it went.
    void reset_transaction() {
        rcpt_unrecorded_ = false;
        if (transaction_) {
            transaction_->chunk.in_message = false;
            transaction_->chunk.owed_replies = 0;
        }
        envelope_.reset();
    }

    /// LMTP with handle_DATA_recipient: one recipient's reply to the message (RFC 2033 §4.2),
    /// in the order of `rcpt_tos`. After the last, all_recipients_answered().
    void recipient_answered(const reply& r) {
        write_hook_reply(r, true, r.positive() ? "2.0.0" : "");
        recipient_accepted_ = recipient_accepted_ || r.positive();
        // The message's code is the first accepting recipient's (or the first reply's).
        if (message_reply_code_ == 0 || (r.positive() && message_reply_code_ >= 300))
            message_reply_code_ = r.empty() ? 451 : r.code;
    }
    /// Every recipient of the message has its reply: the transaction ends.
    void all_recipients_answered() {
        if (recipient_accepted_) message_accepted();
        reset_transaction();
    }

    /// The code of the reply that ended the last message (for message_stats), accepted or not.
    int message_reply_code() const noexcept { return message_reply_code_; }

    /// The reply to a whole message: once in SMTP, once per accepted recipient in LMTP
    /// (RFC 2033 §4.2; aiosmtpd sends one, which LMTP clients wait on forever: its #517).
    /// `code` is the enhanced status code of the server's own replies; a positive reply from
    /// handle_DATA without one gets 2.0.0.
    void write_data_reply(const reply& r, std::string_view code = {}) {
        if (r.positive()) message_accepted();
        message_reply_code_ = r.empty() ? 451 : r.code;
        std::size_t count = opts_.lmtp ? envelope_.rcpt_tos.size() : 1;
        for (std::size_t i = 0; i < count; ++i)
            write_hook_reply(r, true, !code.empty() || !r.positive() ? code : "2.0.0");
    }

    /// The longest command line accepted for `v` (per session; aiosmtpd shares and grows it).
    std::size_t command_limit(verb v) const {
        std::size_t limit = opts_.command_size_limit;
        if (v == verb::auth) return std::max(limit, auth_line_limit);
        if (v == verb::xclient || v == verb::xforward) // eight attributes of up to 255 octets
            return std::max(limit, line_limit_ - 3);
        if (v == verb::mail && session_.extended_smtp) {
            if (opts_.data_size_limit != 0) limit += 26;
            if (opts_.enable_smtputf8) limit += 10;
            if (opts_.dsn) limit += dsn_mail_line_allowance;
            if (opts_.requiretls) limit += 11;         // " REQUIRETLS"
            if (any_mechanism_offered()) limit += 500; // AUTH= (RFC 4954 §5)
        }
        if (v == verb::rcpt && session_.extended_smtp && opts_.dsn)
            limit += dsn_rcpt_line_allowance;
        return limit;
    }

private:
    bool check_helo(const command& cmd) {
        if (cmd.arg.empty()) {
            write(501, "5.5.4",
                  cmd.id == verb::helo ? "Syntax: HELO hostname" : "Syntax: EHLO hostname");
            return false;
        }
        reset_transaction();
        session_.extended_smtp = cmd.id != verb::helo;
        return true;
    }

    next_action check_mail(const command& cmd, path_request& req) {
        if (!require_greeting("HELO") || !require_authentication()) return read_command();
        if (opts_.max_messages_per_connection != 0 &&
            messages_ >= opts_.max_messages_per_connection) {
            out_.append("421 4.7.0 ")
                .append(hostname_)
                .append(" Error: too many messages in this session\r\n");
            return next_action::close();
        }
        std::string_view rest;
        if (!parse_path_argument(cmd, "FROM:", mail_syntax(), req, rest)) return read_command();
        if (!envelope_.mail_from.empty()) {
            write(503, "5.5.1", "Error: nested MAIL command");
            return read_command();
        }
        mail_parameters params;
        parameter_extensions ext{.dsn = opts_.dsn,
                                 .requiretls = opts_.requiretls && tls_active_,
                                 .auth = any_mechanism_offered(),
                                 .declared = features_.mail_parameters};
        split(rest, req, ext);
        auto status = check_mail_parameters(req.options, features_.eight_bit_mime,
                                            opts_.enable_smtputf8, opts_.data_size_limit, params,
                                            opts_.chunking, ext, req.raw_options);
        if (status != mail_parameters::status::ok) {
            refuse_mail_parameters(status, params.error);
            return read_command();
        }
        envelope_.smtp_utf8 = params.smtputf8;
        envelope_.body = params.body;
        envelope_.dsn.ret = params.ret;
        envelope_.dsn.envid = std::move(params.envid);
        envelope_.require_tls = params.require_tls;
        envelope_.auth = std::move(params.auth);
        restore_declared_values(req.options, req.raw_options, features_.mail_parameters);
        return next_action::call(verb::mail);
    }

    bool check_rcpt(const command& cmd, path_request& req) {
        if (!require_greeting("HELO") || !require_authentication()) return false;
        if (envelope_.mail_from.empty()) {
            write(503, "5.5.1", "Error: need MAIL command");
            return false;
        }
        std::string_view rest;
        if (!parse_path_argument(cmd, "TO:", rcpt_syntax(), req, rest)) return false;
        if (req.address == "<>") { // the null path is a reverse-path only (RFC 5321 §4.1.1.3)
            write(501, "", "5.1.3 Error: <> is not a valid recipient");
            return false;
        }
        if (opts_.max_recipients != 0 && envelope_.rcpt_tos.size() >= opts_.max_recipients) {
            write(452, "", "4.5.3 Too many recipients");
            return false;
        }
        parameter_extensions ext{.dsn = opts_.dsn, .declared = features_.rcpt_parameters};
        split(rest, req, ext);
        rcpt_parameters& parameters = transaction().rcpt;
        switch (check_rcpt_parameters(req.options, ext, parameters, req.raw_options)) {
        case rcpt_parameters_status::ok: break;
        case rcpt_parameters_status::invalid: write_parameter_error(parameters.error); return false;
        case rcpt_parameters_status::syntax: write(501, "5.5.4", rcpt_syntax()); return false;
        case rcpt_parameters_status::unknown:
            write(555, "5.5.4", "RCPT TO parameters not recognized or not implemented");
            return false;
        }
        restore_declared_values(req.options, req.raw_options, features_.rcpt_parameters);
        return true;
    }

    /// MAIL's reply when its parameters do not pass, in aiosmtpd's words.
    void refuse_mail_parameters(mail_parameters::status status, const reply& error) {
        using enum mail_parameters::status;
        switch (status) {
        case ok: break;
        case invalid: write_parameter_error(error); break;
        case syntax: write(501, "5.5.4", mail_syntax()); break;
        case bad_body:
            write(501, "5.5.4",
                  opts_.chunking ? "Error: BODY can only be one of 7BIT, 8BITMIME, BINARYMIME"
                                 : "Error: BODY can only be one of 7BIT, 8BITMIME");
            break;
        case smtputf8_value: write(501, "5.5.4", "Error: SMTPUTF8 takes no arguments"); break;
        case smtputf8_off: write(501, "5.5.4", "Error: SMTPUTF8 disabled"); break;
        case too_big:
            write(552, "5.3.4", "Error: message size exceeds fixed maximum message size");
            break;
        case unknown:
            write(555, "5.5.4", "MAIL FROM parameters not recognized or not implemented");
            break;
        }
    }

    /// handle_RCPT answered 2xx but added no recipient to the envelope: the client will get a
    /// puzzling `503 need RCPT` at DATA. Said once per process on stderr, naming the handler,
    /// and the 503 names the cause.
    void recipient_accepted_unrecorded() {
        rcpt_unrecorded_ = true;
        static std::atomic<bool> warned{false};
        if (warned.exchange(true)) return;
        std::string handler = features_.handler_type ? boost::core::demangle(features_.handler_type)
                                                     : std::string("the handler");
        std::fprintf(stderr,
                     "smtp: warning: %.*s::handle_RCPT answered 2xx without "
                     "envelope.add_recipient(): the recipient is not in the envelope "
                     "(docs/hooks.md)\n",
                     int(handler.size()), handler.data());
    }

    /// After RCPT's hook (or default behaviour): with DSN on, keeps `envelope.dsn.recipients`
    /// parallel to `rcpt_tos`, giving a recipient the hook added the DSN parameters of this RCPT.
    void recipient_recorded() {
        if (!opts_.dsn) return;
        auto& list = envelope_.dsn.recipients;
        if (list.size() > envelope_.rcpt_tos.size()) list.resize(envelope_.rcpt_tos.size());
        while (list.size() < envelope_.rcpt_tos.size())
            list.push_back(transaction().rcpt.dsn);
    }

    /// When it passes, the 354 has been written and the DATA reader started: feed it the body,
    /// then call finish_data().
    bool check_data(const command& cmd) {
        if (!require_greeting("HELO") || !require_authentication()) return false;
        if (envelope_.rcpt_tos.empty()) {
            write(503, "5.5.1",
                  rcpt_unrecorded_
                      ? "Error: need RCPT command (handle_RCPT accepted recipients without "
                        "adding them to the envelope)"
                      : "Error: need RCPT command");
            return false;
        }
        if (!cmd.arg.empty()) {
            write(501, "5.5.4", "Syntax: DATA");
            return false;
        }
        if (in_chunked_message()) { // RFC 3030 §2: DATA and BDAT do not mix in one transaction
            write(503, "5.5.1", "Error: DATA after BDAT, send RSET");
            return false;
        }
        if (envelope_.body == body_type::binary_mime) { // RFC 3030 §3
            write(503, "5.5.1", "Error: BODY=BINARYMIME needs BDAT");
            return false;
        }
        write(354, "", "End data with <CR><LF>.<CR><LF>");
        envelope_.original_content.clear();
        data_.start({opts_.data_size_limit, opts_.data_line_limit, bare_newline_mode()});
        return true;
    }

    /// Parses `BDAT <size> [LAST]` and checks the transaction. On `receive_chunk` the chunk's
    /// `size` octets follow: pass them through take_chunk(), then call finish_chunk(). A failed
    /// check still proceeds, because the client sends the chunk without waiting: its octets are
    /// read and dropped, and the reply comes after them. Only a BDAT whose size cannot be read
    /// closes the session: the octets after it cannot be told from commands, and
    /// reading message text as commands is how SMTP smuggling works.
    next_action check_bdat(const command& cmd) {
        std::string_view arg = cmd.arg;
        std::size_t digits = 0;
        std::size_t size = 0;
        bool overflow = false;
        while (digits < arg.size() && arg[digits] >= '0' && arg[digits] <= '9') {
            if (size > (std::size_t(-1) - 9) / 10) overflow = true;
            size = size * 10 + std::size_t(arg[digits] - '0');
            ++digits;
        }
        std::string_view rest = arg.substr(digits);
        bool last = false;
        if (!rest.empty() && rest.front() == ' ') {
            rest.remove_prefix(1);
            last = iequals(rest, "LAST");
        }
        if (digits == 0 || digits > 18 || overflow || (!rest.empty() && !last)) {
            write(501, "5.5.4", "Syntax: BDAT <size> [LAST]");
            return next_action::close();
        }
        auto& state = transaction().chunk;
        state.opens_message = !state.in_message;
        state.remaining = size;
        state.size = size;
        state.last = last;
        state.failure = {};
        state.ends_transaction = false;
        if (!greeted_quietly()) {
            state.failure = {503, "Error: send HELO first"};
            state.failure_code = "5.5.1";
        } else if (opts_.auth_required && !session_.authenticated) {
            state.failure = {530, "5.7.0 Authentication required"};
            state.failure_code = "";
        } else if (envelope_.mail_from.empty() && state.owed_replies != 0) {
            state.failure = state.owed_failure; // the rest of an LMTP message that failed
            state.failure_code = state.owed_code;
        } else if (envelope_.mail_from.empty()) {
            state.failure = {503, "Error: need MAIL command"};
            state.failure_code = "5.5.1";
        } else if (envelope_.rcpt_tos.empty()) {
            state.failure = {503, "Error: need RCPT command"};
            state.failure_code = "5.5.1";
        } else if (opts_.data_size_limit != 0 && (size > opts_.data_size_limit ||
                                                  state.received > opts_.data_size_limit - size)) {
            state.failure = {552, "Error: Too much mail data"};
            state.failure_code = "5.3.4";
            state.ends_transaction = true;
        }
        if (state.failure.empty() && !state.in_message) {
            state.in_message = true;
            state.received = 0;
            envelope_.original_content.clear();
        }
        return next_action{next_action::kind::receive_chunk};
    }

    bool check_rset(const command& cmd) {
        if (!cmd.arg.empty()) {
            write(501, "5.5.4", "Syntax: RSET");
            return false;
        }
        reset_transaction();
        return true;
    }

    bool check_quit(const command& cmd) {
        if (!cmd.arg.empty()) {
            write(501, "5.5.4", "Syntax: QUIT");
            return false;
        }
        return true;
    }

    /// On proceed, `address` is the parsed address for handle_VRFY.
    bool check_vrfy(const command& cmd, std::string& address) {
        if (!require_authentication()) return false;
        if (cmd.arg.empty()) {
            write(501, "5.5.4", "Syntax: VRFY <address>");
            return false;
        }
        auto parsed = parse_address(cmd.arg, opts_.local_part_limit);
        if (!parsed) {
            write(502, "5.1.3", joined({"Could not VRFY ", cmd.arg}));
            return false;
        }
        address = std::move(parsed->address);
        return true;
    }

    void help(const command& cmd) {
        if (!require_authentication()) return;
        int code = 250;
        if (!cmd.arg.empty()) {
            std::string name(cmd.arg);
            to_upper(name);
            verb v = verb_from_name(name);
            std::string_view syntax = listed_in_help(v) ? help_syntax(v) : std::string_view{};
            if (!syntax.empty()) {
                bool parameters = session_.extended_smtp && (v == verb::mail || v == verb::rcpt);
                write(250, "2.0.0",
                      joined({"Syntax: ", syntax, parameters ? " [SP <mail-parameters>]" : ""}));
                return;
            }
            code = 501;
        }
        std::string& text = scratch();
        text.assign("Supported commands:");
        for (std::string_view name : {"AUTH", "BDAT", "DATA", "EHLO", "HELO", "HELP", "LHLO",
                                      "MAIL", "NOOP", "QUIT", "RCPT", "RSET", "STARTTLS", "VRFY"})
            if (listed_in_help(verb_from_name(name))) text.append(" ").append(name);
        write(code, code == 250 ? "2.0.0" : "5.5.4", text);
    }

    /// AUTH's checks in aiosmtpd's order (§3.1). On proceed, `mechanism` is the offered
    /// mechanism (as the server spells it) and `initial` the optional initial response.
    bool check_auth(const command& cmd) {
        auth_ = {};
        std::string_view& mechanism = auth_.mechanism;
        std::string_view& initial = auth_.initial_response;
        if (session_.host_name.empty()) {
            write(503, "5.5.1", "Error: send EHLO first");
            return false;
        }
        if (!session_.extended_smtp) {
            write(500, "5.5.1", "Error: command 'AUTH' not recognized");
            return false;
        }
        if (opts_.auth_require_tls && !tls_active_) {
            write(538, "", "5.7.11 Encryption required for requested authentication mechanism");
            return false;
        }
        if (session_.authenticated) {
            write(503, "5.5.1", "Already authenticated");
            return false;
        }
        if (!envelope_.mail_from.empty()) { // RFC 4954 §4; aiosmtpd allows it
            write(503, "", "5.5.1 Error: AUTH not permitted during a mail transaction");
            return false;
        }
        if (cmd.arg.empty()) {
            write(501, "5.5.4", "Not enough value");
            return false;
        }
        std::string_view arg = cmd.arg;
        std::size_t space = arg.find_first_of(" \t");
        std::string_view name = arg.substr(0, space);
        initial = space == std::string_view::npos ? std::string_view{} : strip(arg.substr(space));
        if (initial.find_first_of(" \t") != std::string_view::npos) {
            write(501, "5.5.4", "Too many values");
            return false;
        }
        for (std::string_view m : offered_mechanisms()) {
            if (iequals(m, name)) {
                mechanism = m;
                return true;
            }
        }
        write(504, "", "5.5.4 Unrecognized authentication type");
        return false;
    }

    bool check_starttls(const command& cmd) {
        if (!cmd.arg.empty()) {
            write(501, "5.5.4", "Syntax: STARTTLS");
            return false;
        }
        if (!features_.tls_available) {
            write(454, "4.7.0", "TLS not available");
            return false;
        }
        if (tls_active_) {
            write(503, "", "5.5.1 Error: TLS already active"); // aiosmtpd tries a nested handshake
            return false;
        }
        return true;
    }

    /// Writes the lines a 5-argument handle_EHLO returned, as one well-formed multi-line reply
    /// (aiosmtpd sends them verbatim, so a line appended after `250 HELP` broke the reply: #280).
    void write_ehlo_responses(const std::vector<std::string>& lines) {
        if (lines.empty()) {
            write(451, "4.3.0", "Error: handle_EHLO returned no lines");
            return;
        }
        for (std::size_t i = 0; i < lines.size(); ++i) {
            reply r = reply::parse(lines[i]);
            std::string_view text = r.text;
            // Each returned line is one reply line; embedded newlines would forge others.
            text = text.substr(0, text.find('\n'));
            char digits[4];
            std::snprintf(digits, sizeof digits, "%03d", r.code);
            out_.append(digits, 3)
                .append(i + 1 == lines.size() ? " " : "-")
                .append(text)
                .append("\r\n");
        }
    }

    // --- XCLIENT, XFORWARD (Postfix), LIMITS (RFC 9422) ----------------------------------------

    bool in_transaction() const noexcept {
        return !envelope_.mail_from.empty() || in_chunked_message();
    }

    /// XCLIENT from a trusted client: the session's client becomes the one described, and the
    /// session starts again with a new greeting, as in Postfix (HELO, PROTO and LOGIN are reset
    /// unless the command names them). Nothing changes when an attribute is refused.
    void xclient(const command& cmd) {
        if (in_transaction()) {
            write(503, "", "5.5.1 Error: MAIL transaction in progress");
            return;
        }
        forwarded_client values = session_.xclient ? *session_.xclient : forwarded_client{};
        // "\1" (which a value, its control octets made '?', cannot hold) tells a HELO or LOGIN
        // the command did not name from one it named [UNAVAILABLE].
        values.helo = values.login = "\1";
        values.proto.clear();
        reply error = parse_forwarding(forwarding_command::xclient, cmd.arg, values);
        if (!error.empty()) {
            write(error);
            return;
        }
        if (values.helo == "\1") values.helo.clear();
        if (values.login == "\1") values.login.clear();
        if (values.proto.empty()) values.proto = "SMTP";
        peer_address& peer = session_.peer;
        if (!values.addr.empty()) set_forwarded_address(peer, values.addr);
        if (!values.port.empty()) peer.port = forwarded_port(values.port);
        // DESTADDR and DESTPORT: the server address the original client reached, so that a
        // policy deciding by port (25 against 587) sees the original one.
        if (!values.dest_addr.empty()) set_forwarded_address(session_.local, values.dest_addr);
        if (!values.dest_port.empty()) session_.local.port = forwarded_port(values.dest_port);
        session_.host_name = values.helo;
        session_.extended_smtp = values.proto == "ESMTP";
        session_.authenticated = !values.login.empty();
        session_.login_data = values.login;
        session_.auth_data.reset();
        session_.xclient = std::make_shared<const forwarded_client>(std::move(values));
        reset_transaction();
        greet();
    }

    /// XFORWARD from a trusted client: the message's original client, until the transaction
    /// ends (several commands add up, as in Postfix).
    void xforward(const command& cmd) {
        if (in_transaction()) {
            write(503, "", "5.5.1 Error: MAIL transaction in progress");
            return;
        }
        forwarded_client values = envelope_.xforward ? *envelope_.xforward : forwarded_client{};
        reply error = parse_forwarding(forwarding_command::xforward, cmd.arg, values);
        if (!error.empty()) {
            write(error);
            return;
        }
        envelope_.xforward = std::make_shared<const forwarded_client>(std::move(values));
        write(250, "", "2.0.0 Ok");
    }

    /// `LIMITS RCPTMAX=<n> MAILMAX=<m>`, each limit only when it is set (RFC 9422 §3).
    template <class F>
    void write_limits_keyword(F& line) const {
        char text[80];
        int n = std::snprintf(text, sizeof text, "LIMITS");
        if (opts_.max_recipients != 0)
            n += std::snprintf(text + n, sizeof text - std::size_t(n), " RCPTMAX=%zu",
                               opts_.max_recipients);
        if (opts_.max_messages_per_connection != 0)
            n += std::snprintf(text + n, sizeof text - std::size_t(n), " MAILMAX=%zu",
                               opts_.max_messages_per_connection);
        if (n > 6) line(std::string_view(text, std::size_t(n)));
    }

    data_reader::limits::bare_newline bare_newline_mode() const noexcept {
        using mode = data_reader::limits::bare_newline;
        switch (opts_.bare_newline) {
        case bare_newline_policy::reject: return mode::reject;
        case bare_newline_policy::normalize: return mode::normalize;
        case bare_newline_policy::accept: break;
        }
        return mode::keep;
    }

    /// Counts a message towards options::max_messages_per_connection.
    void message_accepted() noexcept { ++messages_; }

    /// The message is complete and decoded: handle_DATA is due.
    next_action message_complete() noexcept {
        pending_hook_ = verb::data;
        message_reply_code_ = 0;
        recipient_accepted_ = false;
        return next_action::call(verb::data);
    }

    /// A HELO/EHLO hook answered: it may have set host_name itself; if it accepted the greeting
    /// and did not, the greeting counts (aiosmtpd leaves the session ungreeted: its #406).
    void greeting_answered(bool accepted) {
        if (accepted && session_.host_name.empty()) session_.host_name.assign(cmd_.arg);
    }

    /// A CR inside `line` (which includes its LF). CRs at its end are not: aiosmtpd strips
    /// them with the line ending, and they can end up nowhere.
    static bool has_bare_cr(std::string_view line) noexcept {
        if (line.ends_with('\n')) line.remove_suffix(1);
        while (line.ends_with('\r'))
            line.remove_suffix(1);
        return line.find('\r') != std::string_view::npos;
    }

    /// Splits MAIL's or RCPT's parameters; keeps them as sent too only when an extension may
    /// need a value's case (aiosmtpd's parameters alone never do).
    static void split(std::string_view rest, path_request& req, const parameter_extensions& ext) {
        if (ext.dsn || ext.auth || !ext.declared.empty()) {
            split_parameters(rest, req.options, req.raw_options);
        } else {
            split_parameters(rest, req.options);
            req.raw_options.clear();
        }
    }

    /// A DSN, REQUIRETLS or declared parameter's 501 (or a declared check's own reply).
    void write_parameter_error(const reply& r) {
        write(r, r.code / 100 == 5 ? "5.5.4" : r.code / 100 == 4 ? "4.5.4" : "");
    }

    /// A per-thread buffer for building reply texts: replies to a flood of commands allocate
    /// nothing once it has grown (and no session carries one).
    static std::string& scratch() {
        thread_local std::string buffer;
        return buffer;
    }
    /// The parts one after another, in scratch(); valid until the next call.
    static std::string_view joined(std::initializer_list<std::string_view> parts) {
        std::string& text = scratch();
        text.clear();
        for (std::string_view part : parts)
            text.append(part);
        return text;
    }

    void not_recognized(const command& cmd) {
        write(500, "5.5.1", joined({"Error: command \"", cmd.name, "\" not recognized"}));
    }

    bool auth_offered() const noexcept { return !opts_.auth_require_tls || tls_active_; }

    /// EHLO names AUTH in this session (so MAIL takes its AUTH parameter).
    bool any_mechanism_offered() const {
        if (!auth_offered() || features_.auth_mechanisms.empty()) return false;
        return (opts_.auth_exclude_mechanism.empty() && !withholds_external()) ||
               !offered_mechanisms().empty();
    }

    /// EXTERNAL (auth/external.hpp) proves nothing without a client certificate the TLS layer
    /// verified: it is offered only in a session that has one.
    bool withholds_external() const {
        bool verified =
            session_.ssl && session_.ssl->peer_certificate && session_.ssl->peer_verified;
        return !verified &&
               std::any_of(features_.auth_mechanisms.begin(), features_.auth_mechanisms.end(),
                           [](std::string_view m) { return m == "EXTERNAL"; });
    }

    /// The AuthPolicy's mechanisms less the excluded ones, sorted as aiosmtpd lists them.
    std::vector<std::string_view> offered_mechanisms() const {
        std::vector<std::string_view> names;
        for (std::string_view m : features_.auth_mechanisms) {
            bool excluded = std::any_of(opts_.auth_exclude_mechanism.begin(),
                                        opts_.auth_exclude_mechanism.end(),
                                        [&](const std::string& x) { return iequals(x, m); });
            if (!excluded && !(m == "EXTERNAL" && withholds_external())) names.push_back(m);
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    bool greeted_quietly() const noexcept { return !session_.host_name.empty(); }

    /// A command that needs HELO (or EHLO) first: false, with the 503 written, before it.
    bool require_greeting(std::string_view helo) {
        if (!session_.host_name.empty()) return true;
        write(503, "5.5.1", joined({"Error: send ", helo, " first"}));
        return false;
    }

    /// With options::auth_required, a command that needs AUTH first: false, with the 530
    /// written, before it.
    bool require_authentication() {
        if (!opts_.auth_required || session_.authenticated) return true;
        write(530, "", "5.7.0 Authentication required");
        return false;
    }

    std::string_view mail_syntax() const noexcept {
        return session_.extended_smtp ? "Syntax: MAIL FROM: <address> [SP <mail-parameters>]"
                                      : "Syntax: MAIL FROM: <address>";
    }
    std::string_view rcpt_syntax() const noexcept {
        return session_.extended_smtp ? "Syntax: RCPT TO: <address> [SP <mail-parameters>]"
                                      : "Syntax: RCPT TO: <address>";
    }

    /// HELP lists the commands of the protocol spoken: LHLO in LMTP, HELO and EHLO in SMTP;
    /// STARTTLS when TLS is configured; never EXPN (as aiosmtpd).
    bool listed_in_help(verb v) const noexcept {
        switch (v) {
        case verb::helo:
        case verb::ehlo: return !opts_.lmtp;
        case verb::lhlo: return opts_.lmtp;
        case verb::starttls: return features_.tls_available;
        case verb::bdat: return opts_.chunking;
        case verb::expn:
        case verb::xclient:
        case verb::xforward:
        case verb::unknown: return false;
        default: return true;
        }
    }

    static std::string_view help_syntax(verb v) noexcept {
        switch (v) {
        case verb::helo: return "HELO hostname";
        case verb::ehlo: return "EHLO hostname";
        case verb::lhlo: return "LHLO hostname";
        case verb::noop: return "NOOP [ignored]";
        case verb::quit: return "QUIT";
        case verb::auth: return "AUTH <mechanism>";
        case verb::help: return "HELP [command]";
        case verb::vrfy: return "VRFY <address>";
        case verb::starttls: return "STARTTLS";
        case verb::mail: return "MAIL FROM: <address>";
        case verb::rcpt: return "RCPT TO: <address>";
        case verb::rset: return "RSET";
        case verb::data: return "DATA";
        case verb::bdat: return "BDAT <size> [LAST]";
        default: return {};
        }
    }

    /// `FROM:<addr> params` / `TO:<addr> params` (aiosmtpd's _strip_command_keyword +
    /// _getaddr), writing the error reply when it fails.
    bool parse_path_argument(const command& cmd, std::string_view keyword, std::string_view syntax,
                             path_request& req, std::string_view& rest) {
        std::string_view arg = cmd.arg;
        if (!istarts_with(arg, keyword)) {
            write(501, "5.5.4", syntax);
            return false;
        }
        arg = strip(arg.substr(keyword.size()));
        auto parsed = parse_address(arg, opts_.local_part_limit);
        if (!parsed) {
            write(553, "", "5.1.3 Error: malformed address");
            return false;
        }
        if (parsed->address.empty() || (!session_.extended_smtp && !strip(parsed->rest).empty())) {
            write(501, "5.5.4", syntax);
            return false;
        }
        req.address = std::move(parsed->address);
        rest = parsed->rest;
        return true;
    }

    bool spend_call_budget(const command& cmd) {
        std::uint32_t* budget = nullptr;
        if (cmd.id != verb::unknown) {
            budget = &budgets_[std::size_t(cmd.id)];
        } else {
            for (auto& [name, left] : unknown_budgets_)
                if (name == cmd.name) budget = &left;
            if (!budget) // bounded: the unknown-command limit closes the session first
                budget = &unknown_budgets_
                              .emplace_back(std::string(cmd.name),
                                            call_budget(opts_.command_call_limit->default_limit))
                              .second;
        }
        if (*budget < 1) return false;
        --*budget;
        return true;
    }

    const options& opts_;
    std::string_view hostname_;
    const capabilities& features_;
    session& session_;
    envelope_type& envelope_;
    std::string& out_;
    static constexpr std::size_t auth_line_limit = 12288;
    std::size_t line_limit_;
    line_reader lines_;
    command_parser parser_;
    command cmd_;                            // the line on_line() took last
    verb pending_hook_ = verb::unknown;      // whose hook (or default) the driver runs now
    std::size_t recipients_before_hook_ = 0; // `rcpt_tos` before handle_RCPT ran
    auth_request auth_;
    int message_reply_code_ = 0;
    bool recipient_accepted_ = false; // LMTP: some recipient accepted this message
    data_reader data_;
    struct chunk_state {
        std::size_t remaining = 0; // octets of the current chunk still to come
        std::size_t size = 0;      // the current chunk's size
        std::size_t received = 0;  // octets of this message so far (checked against SIZE)
        bool last = false;
        bool in_message = false;       // a chunked message is under way
        bool opens_message = false;    // no chunked message was under way at this BDAT
        reply failure = {};            // the current chunk is dropped and answered with this
        bool ends_transaction = false; // the failure ends the transaction even before it began
        std::string_view failure_code = {};
        // LMTP: an earlier chunk of this message failed, and its last chunk is owed this many
        // replies (the recipients), each `owed_failure`.
        std::size_t owed_replies = 0;
        reply owed_failure = {};
        std::string_view owed_code = {};
    };
    // What the commands of a mail transaction need between them. Allocated by the first command
    // that needs it and kept for the connection's life, so that a connection that never starts
    // a transaction (most idle ones) does not carry it: 280 octets of every idle session.
    struct transaction_scratch {
        path_request path;    // the last MAIL or RCPT, its strings reused from one to the next
        rcpt_parameters rcpt; // the last RCPT's parameters
        chunk_state chunk;
    };
    std::unique_ptr<transaction_scratch> transaction_;

    transaction_scratch& transaction() {
        if (!transaction_) transaction_ = std::make_unique<transaction_scratch>();
        return *transaction_;
    }
    // The BDAT state, for reading: no chunk has come while there is no scratch.
    const chunk_state& chunk() const noexcept {
        static const chunk_state none{};
        return transaction_ ? transaction_->chunk : none;
    }
    bool tls_active_ = false;
    bool xclient_trusted_ = false;
    bool xforward_trusted_ = false;
    bool refused_ = false;
    bool rcpt_unrecorded_ = false; // this transaction's handle_RCPT accepted without recording
    std::size_t messages_ = 0;     // accepted in this connection
    std::size_t unknown_budget_;
    // Calls left per verb: 32 bits, as more than four billion calls of one verb is no limit in
    // practice, and every session carries the array.
    std::array<std::uint32_t, verb_count> budgets_{};
    static std::uint32_t call_budget(std::size_t limit) noexcept {
        return std::uint32_t(std::min<std::size_t>(limit, UINT32_MAX));
    }
    std::vector<std::pair<std::string, std::uint32_t>> unknown_budgets_;
};

template <class Content>
protocol<Content>::~protocol() = default;

#if !defined(SMTP_HEADER_ONLY)
// The core of both built-in decode policies (their content is a string_view), compiled once in
// <smtp/src.hpp>.
extern template class protocol<std::string_view>;
// Its member templates on the decode policy are not part of the class's instantiation.
extern template next_action protocol<std::string_view>::finish_data<decode::bytes>();
extern template next_action protocol<std::string_view>::finish_data<decode::utf8>();
extern template next_action protocol<std::string_view>::finish_chunk<decode::bytes>(bool);
extern template next_action protocol<std::string_view>::finish_chunk<decode::utf8>(bool);
#endif

} // namespace smtp::detail

#endif
