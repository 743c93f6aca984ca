#ifndef SMTP_MILTER_FILTER_CHAIN_HPP
#define SMTP_MILTER_FILTER_CHAIN_HPP

#include <smtp/envelope.hpp>
#include <smtp/milter/client.hpp>
#include <smtp/milter/codec.hpp>
#include <smtp/milter/message_edit.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/version.hpp>

#include <boost/asio/awaitable.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

/// \file
/// The filters of one SMTP session, in order (Postfix's `smtpd_milters`): each stage is sent to
/// every filter still interested, and the first refusal ends the stage.
namespace smtp::milter {

/// The reply Postfix gives for SMFIR_REJECT.
inline smtp::reply rejected_reply() {
    return {550, "5.7.1 Command rejected"};
}
/// The reply Postfix gives for SMFIR_TEMPFAIL.
inline smtp::reply tempfailed_reply() {
    return {451, "4.7.1 Service unavailable - try again later"};
}

/// The filters of one SMTP session: one connection to each, opened when the session starts.
class filter_chain {
public:
    /// What the end of a message decided.
    struct message_outcome {
        /// A filter refused the message with this reply.
        std::optional<smtp::reply> refusal;
        /// A filter asked for it to be dropped (the client still gets 250).
        bool discard = false;
        /// The message or the envelope was changed.
        bool modified = false;
    };

    /// The filters of `cfg` (which must outlive the chain), not yet connected.
    explicit filter_chain(const config& cfg) : cfg_(cfg) {}

    /// Connects to every filter and sends the connect stage. `server_name` is the server's host
    /// name (macro `j`).
    boost::asio::awaitable<void> start(client::socket_type::executor_type executor,
                                       const session& s, std::string_view server_name) {
        server_name_.assign(server_name);
        for (const auto& where : cfg_.filters) {
            filter f;
            f.conn = std::make_unique<client>(executor);
            if (!co_await f.conn->open(where, cfg_.limits.connect)) f.failed = true;
            filters_.push_back(std::move(f));
        }
        std::string client_address = s.peer.host;
        std::string client_name = s.peer.family == peer_address::family_type::local
                                      ? "localhost"
                                      : "[" + client_address + "]";
        family fam = s.peer.family == peer_address::family_type::ipv4    ? family::ipv4
                     : s.peer.family == peer_address::family_type::ipv6  ? family::ipv6
                     : s.peer.family == peer_address::family_type::local ? family::unix_socket
                                                                         : family::unknown;
        std::vector<macro> macros = {{"j", server_name_},
                                     {"{daemon_name}", server_name_},
                                     {"v", "smtp " SMTP_VERSION_STRING},
                                     {"_", client_name},
                                     {"{client_addr}", client_address},
                                     {"{client_port}", std::to_string(s.peer.port)},
                                     {"{client_name}", client_name}};
        std::string packet = encode_connect(client_name, fam, s.peer.port, client_address);
        session_refusal_ = co_await run_stage(command::connect, step::no_connect,
                                              step::no_reply_connect, macros, packet, false);
    }

    /// The refusal every command of the session gets (the connect stage refused, or a filter
    /// failed with default action tempfail or reject), if any.
    const std::optional<smtp::reply>& session_refusal() const noexcept { return session_refusal_; }

    /// HELO/EHLO: the refusal, if a filter refused.
    boost::asio::awaitable<std::optional<smtp::reply>> helo(const session& s,
                                                            std::string_view name) {
        std::vector<macro> macros = tls_macros(s);
        std::string packet = encode_strings(command::helo, {name});
        co_return co_await run_stage(command::helo, step::no_helo, step::no_reply_helo, macros,
                                     packet, false);
    }

    /// MAIL: a new message begins (an unfinished one is aborted first).
    boost::asio::awaitable<std::optional<smtp::reply>>
    mail(const session& s, std::string_view address, std::span<const std::string> options) {
        co_await abort();
        in_message_ = true;
        discard_ = false;
        for (auto& f : filters_)
            f.done_message = false;
        queue_id_ = make_queue_id();
        std::vector<macro> macros = {{"i", queue_id_}, {"{mail_addr}", std::string(address)}};
        if (s.authenticated && !s.login_data.empty())
            macros.push_back({"{auth_authen}", s.login_data});
        std::string sender = "<" + std::string(address) + ">";
        if (address == "<>") sender = "<>";
        std::vector<std::string_view> args{sender};
        for (const auto& o : options)
            args.push_back(o);
        std::string packet = encode_strings(command::mail, args);
        co_return co_await run_stage(command::mail, step::no_mail, step::no_reply_mail, macros,
                                     packet, true);
    }

    /// RCPT: the refusal of this recipient, if a filter refused it.
    boost::asio::awaitable<std::optional<smtp::reply>> rcpt(std::string_view address,
                                                            std::span<const std::string> options) {
        std::vector<macro> macros = {{"i", queue_id_}, {"{rcpt_addr}", std::string(address)}};
        std::string recipient = "<" + std::string(address) + ">";
        std::vector<std::string_view> args{recipient};
        for (const auto& o : options)
            args.push_back(o);
        std::string packet = encode_strings(command::rcpt, args);
        co_return co_await run_stage(command::rcpt, step::no_rcpt, step::no_reply_rcpt, macros,
                                     packet, true);
    }

    /// The message is complete: DATA, headers, end of headers, body and end of message go to
    /// each filter in turn, and each filter's modifications are applied to `env` (its
    /// `original_content`, sender and recipients) before the next filter sees the message.
    boost::asio::awaitable<message_outcome> end_of_message(envelope_base& env) {
        message_outcome out;
        if (!in_message_) co_return out;
        if (session_refusal_) {
            in_message_ = false;
            out.refusal = session_refusal_;
            co_return out;
        }
        std::optional<split_message> message;
        for (auto& f : filters_) {
            if (discard_) break;
            if (f.done_session || f.done_message) continue;
            if (f.failed) {
                if (auto r = failure_reply()) {
                    out.refusal = r;
                    co_await abort();
                    co_return out;
                }
                continue;
            }
            if (!message) message = split_message::parse(env.original_content);
            std::vector<response> modifications;
            auto verdict = co_await run_message(f, *message, modifications);
            if (verdict) {
                // Every filter that saw the message's MAIL hears it is over.
                out.refusal = verdict;
                co_await abort();
                co_return out;
            }
            if (f.failed || discard_) continue;
            if (!modifications.empty() && apply(f, modifications, *message, env))
                out.modified = true;
        }
        in_message_ = false;
        if (out.modified && message) env.original_content = message->serialize();
        out.discard = discard_;
        co_return out;
    }

    /// Tells the filters the message in progress is abandoned (RSET, a refused command).
    boost::asio::awaitable<void> abort() {
        if (!in_message_) co_return;
        in_message_ = false;
        std::string packet = encode_empty(command::abort);
        for (auto& f : filters_)
            if (!f.failed && !f.done_session)
                co_await f.conn->exchange(packet, false, cfg_.limits.command);
    }

    /// Closes every filter connection (SMFIC_QUIT first).
    void close() noexcept {
        for (auto& f : filters_)
            f.conn->close();
    }

    /// The queue id (macro `i`) of the current message.
    const std::string& queue_id() const noexcept { return queue_id_; }

private:
    struct filter {
        std::unique_ptr<client> conn;
        bool failed = false;       // unreachable or broken: the default action applies
        bool done_session = false; // accepted the session: no more stages
        bool done_message = false; // accepted (or skipped) the message
    };

    static std::string make_queue_id() {
        thread_local std::mt19937_64 random{std::random_device{}()};
        static constexpr char digits[] = "0123456789ABCDEF";
        std::string id;
        auto v = random();
        for (int i = 0; i < 12; ++i, v >>= 4)
            id.push_back(digits[v & 15]);
        return id;
    }

    static std::vector<macro> tls_macros(const session& s) {
        std::vector<macro> macros;
        if (s.ssl) {
            macros.push_back({"{tls_version}", s.ssl->version});
            macros.push_back({"{cipher}", s.ssl->cipher});
        }
        return macros;
    }

    // What a failed filter's stage answers: nothing for `accept`.
    std::optional<smtp::reply> failure_reply() const {
        switch (cfg_.default_action) {
        case default_action::accept: return std::nullopt;
        case default_action::reject: return rejected_reply();
        case default_action::tempfail: break;
        }
        return tempfailed_reply();
    }

    // A filter failed now: the default action answers this command and, unless it is accept,
    // every later one.
    std::optional<smtp::reply> failed(filter& f) {
        f.failed = true;
        f.conn->close();
        auto r = failure_reply();
        if (r) session_refusal_ = r;
        return r;
    }

    // Applies a verdict; the refusal it makes, if any.
    std::optional<smtp::reply> verdict(filter& f, const response& r, bool message_stage) {
        using kind = response::kind;
        switch (r.what) {
        case kind::continue_:
        case kind::skip:
        case kind::progress: return std::nullopt;
        case kind::accept:
            (message_stage ? f.done_message : f.done_session) = true;
            return std::nullopt;
        case kind::discard:
            if (message_stage)
                discard_ = true;
            else
                f.done_session = true;
            return std::nullopt;
        case kind::reject: return rejected_reply();
        case kind::tempfail: return tempfailed_reply();
        case kind::reply_code: return r.smtp_reply;
        default: return failed(f);
        }
    }

    // One command to every filter still interested; the first refusal ends it.
    boost::asio::awaitable<std::optional<smtp::reply>>
    run_stage(char code, std::uint32_t skip_step, std::uint32_t no_reply_step,
              const std::vector<macro>& macros, const std::string& packet, bool message_stage) {
        if (session_refusal_) co_return session_refusal_;
        for (auto& f : filters_) {
            if (f.done_session || (message_stage && f.done_message)) continue;
            if (f.failed) {
                if (auto r = failure_reply()) co_return r;
                continue;
            }
            if (f.conn->has_step(skip_step)) continue;
            std::string bytes = macros.empty() ? std::string() : encode_macros(code, macros);
            bytes.append(packet);
            bool want_reply = !f.conn->has_step(no_reply_step);
            auto r = co_await f.conn->exchange(bytes, want_reply, cfg_.limits.command);
            if (!r) {
                if (auto refusal = failed(f)) co_return refusal;
                continue;
            }
            if (auto refusal = verdict(f, *r, message_stage)) co_return refusal;
            if (discard_) break;
        }
        co_return std::nullopt;
    }

    // The content stages for one filter; its end-of-message modifications into `mods`.
    boost::asio::awaitable<std::optional<smtp::reply>>
    run_message(filter& f, const split_message& message, std::vector<response>& mods) {
        client& c = *f.conn;
        auto limit = cfg_.limits.end_of_message;
        bool leading_space = c.has_step(step::header_leading_space);
        std::vector<macro> id = {{"i", queue_id_}};
        // One exchange; true to go on with this filter.
        std::optional<smtp::reply> refusal;
        auto send = [&](const std::string& bytes, bool want_reply,
                        std::vector<response>* m) -> boost::asio::awaitable<bool> {
            auto r = co_await c.exchange(bytes, want_reply, limit, m);
            if (!r) {
                refusal = failed(f);
                co_return false;
            }
            refusal = verdict(f, *r, true);
            co_return !refusal && !f.done_message && !discard_ && r->what != response::kind::skip;
        };
        if (!c.has_step(step::no_data)) {
            std::string bytes = encode_macros(command::data, id);
            bytes.append(encode_empty(command::data));
            bool want = !c.has_step(step::no_reply_data);
            if (!co_await send(bytes, want, nullptr)) co_return refusal;
        }
        if (!c.has_step(step::no_headers)) {
            bool want = !c.has_step(step::no_reply_header);
            for (const auto& h : message.headers) {
                std::string value = split_message::value_for_filter(h.value, leading_space);
                std::string bytes = encode_strings(command::header, {h.name, value});
                if (!co_await send(bytes, want, nullptr)) co_return refusal;
            }
        }
        if (!c.has_step(step::no_end_of_header)) {
            std::string bytes = encode_macros(command::end_of_header, id);
            bytes.append(encode_empty(command::end_of_header));
            bool want = !c.has_step(step::no_reply_eoh);
            if (!co_await send(bytes, want, nullptr)) co_return refusal;
        }
        if (!c.has_step(step::no_body)) {
            bool want = !c.has_step(step::no_reply_body);
            std::string_view body = message.body;
            bool go_on = true;
            for (std::size_t at = 0; at < body.size() && go_on; at += body_chunk_size) {
                std::string bytes = encode_body(body.substr(at, body_chunk_size));
                auto r = co_await c.exchange(bytes, want, limit);
                if (!r) co_return failed(f);
                if (auto no = verdict(f, *r, true)) co_return no;
                if (f.done_message || discard_) co_return std::nullopt;
                go_on = r->what != response::kind::skip;
            }
        }
        std::string bytes = encode_macros(command::end_of_body, id);
        bytes.append(encode_empty(command::end_of_body));
        auto r = co_await c.exchange(bytes, true, limit, &mods);
        if (!r) co_return failed(f);
        // A message the filter accepts or discards at end of message still gets its changes.
        if (auto no = verdict(f, *r, true)) {
            mods.clear();
            co_return no;
        }
        co_return std::nullopt;
    }

    // A filter's end-of-message modifications, each only when the filter negotiated it.
    static bool apply(const filter& f, const std::vector<response>& mods, split_message& message,
                      envelope_base& env) {
        using kind = response::kind;
        const auto allowed = f.conn->negotiated().actions;
        const bool leading_space = f.conn->has_step(step::header_leading_space);
        bool changed = false;
        std::optional<std::string> new_body;
        for (const auto& m : mods) {
            switch (m.what) {
            case kind::add_header:
                if (!(allowed & action::add_headers)) continue;
                message.add_header(m.name, m.value, leading_space);
                break;
            case kind::insert_header:
                if (!(allowed & action::add_headers)) continue;
                message.insert_header(m.index, m.name, m.value, leading_space);
                break;
            case kind::change_header:
                if (!(allowed & action::change_headers)) continue;
                message.change_header(m.index, m.name, m.value, leading_space);
                break;
            case kind::replace_body:
                if (!(allowed & action::change_body)) continue;
                if (!new_body) new_body.emplace();
                new_body->append(m.text);
                break;
            case kind::change_from:
                if (!(allowed & action::change_from)) continue;
                env.mail_from.assign(strip_brackets(m.text));
                if (env.mail_from.empty()) env.mail_from = "<>";
                break;
            case kind::add_rcpt:
                if (!(allowed & (action::add_rcpt | action::add_rcpt_par))) continue;
                env.rcpt_tos.emplace_back(strip_brackets(m.text));
                if (!env.dsn.recipients.empty() &&
                    env.dsn.recipients.size() + 1 == env.rcpt_tos.size())
                    env.dsn.recipients.emplace_back();
                break;
            case kind::del_rcpt: {
                if (!(allowed & action::del_rcpt)) continue;
                std::string_view gone = strip_brackets(m.text);
                for (std::size_t i = env.rcpt_tos.size(); i-- > 0;) {
                    if (!smtp::detail::iequals(env.rcpt_tos[i], gone)) continue;
                    if (env.dsn.recipients.size() == env.rcpt_tos.size())
                        env.dsn.recipients.erase(env.dsn.recipients.begin() + std::ptrdiff_t(i));
                    env.rcpt_tos.erase(env.rcpt_tos.begin() + std::ptrdiff_t(i));
                }
                break;
            }
            default: continue; // quarantine: not supported, the message is delivered
            }
            changed = true;
        }
        if (new_body) message.body = crlf_body(*new_body);
        return changed;
    }

    const config& cfg_;
    std::vector<filter> filters_;
    std::optional<smtp::reply> session_refusal_;
    std::string server_name_;
    std::string queue_id_;
    bool in_message_ = false;
    bool discard_ = false;
};

} // namespace smtp::milter

#endif
