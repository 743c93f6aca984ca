#ifndef SMTP_HANDLERS_MILTER_HPP
#define SMTP_HANDLERS_MILTER_HPP

#include <smtp/connection.hpp>
#include <smtp/detail/call_hook.hpp>
#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/milter/filter_chain.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

/// \file
/// `smtp::handlers::milter<Next>`: Sendmail/Postfix mail filters (rspamd, OpenDKIM, any
/// libmilter filter) in front of a handler. docs/milter.md.
namespace smtp::handlers {

/// Runs a chain of milter filters in front of the handler `Next` (a mixin: it derives from
/// Next, so every other hook of Next stays Next's).
///
/// \code
/// smtp::milter::config filters;
/// filters.filters.push_back(smtp::milter::filter_address::parse("inet:127.0.0.1:8891"));
/// using filtered = smtp::handlers::milter<smtp::handlers::mailbox>;
/// smtp::server<filtered> server{filtered{smtp::handlers::mailbox{"/var/mail/in"}, filters}};
/// \endcode
///
/// Each SMTP connection gets one connection to each filter, opened at its first HELO or EHLO
/// (with the connect stage). The stages go to the filters, in order, before Next's hook sees
/// the command: HELO/EHLO, MAIL, RCPT, and, once the message is received, DATA, the header
/// fields, end of header, the body (in chunks of 65,535 octets) and end of message. A refusal
/// (SMFIR_REJECT: `550 5.7.1 Command rejected`; SMFIR_TEMPFAIL: `451 4.7.1 Service
/// unavailable - try again later`; or the filter's own SMFIR_REPLYCODE) answers the command and
/// Next's hook is not called; SMFIR_DISCARD answers the message with `250 OK` and drops it. The
/// end-of- message changes (headers, sender, recipients, body) are made to the envelope before
/// Next's handle_DATA sees it. A filter that cannot be reached, times out or breaks the protocol
/// gets the configured default action.
///
/// Hooks of Next that this mixin wraps: handle_HELO, handle_EHLO (the 5-argument form; a Next
/// with the 4-argument form is refused at compile time), handle_MAIL, handle_RCPT, handle_DATA,
/// connection_closed. When Next has none of a hook, the server's default behaviour is kept.
/// A streamed message (handle_DATA_chunk) is not supported: the filters need the whole message.
template <class Next>
class milter : public Next {
    static_assert(!smtp::detail::declares_handle_DATA_chunk<Next>,
                  "smtp::handlers::milter: a streaming Next (handle_DATA_chunk) is not "
                  "supported: the filters need the whole message");

public:
    /// Next, and the filters.
    milter(Next next, smtp::milter::config filters)
        : Next(std::move(next)), shared_(std::make_shared<shared>(std::move(filters))) {}

    /// The filters.
    const smtp::milter::config& filters() const noexcept { return shared_->cfg; }

    /// HELO: the connect stage (first greeting), then the helo stage.
    template <class C>
    boost::asio::awaitable<reply> handle_HELO(connection& conn, session& s, envelope<C>& env,
                                              std::string_view name) {
        check<C>();
        auto chain = co_await chain_of(conn);
        auto refusal = co_await chain->helo(s, name);
        if (refusal) co_return *refusal;
        if constexpr (has_handle_HELO<Next, C>) {
            if constexpr (smtp::detail::is_awaitable_v<decltype(Next::handle_HELO(conn, s, env,
                                                                                  name))>)
                co_return co_await Next::handle_HELO(conn, s, env, name);
            else
                co_return Next::handle_HELO(conn, s, env, name);
        } else {
            s.host_name.assign(name);
            co_return reply{250, std::string(conn.hostname())};
        }
    }

    /// EHLO (and LHLO): as HELO; the reply lines are Next's, or the server's.
    template <class C>
    boost::asio::awaitable<std::vector<std::string>>
    handle_EHLO(connection& conn, session& s, envelope<C>& env, std::string_view name,
                std::vector<std::string> lines) {
        check<C>();
        auto chain = co_await chain_of(conn);
        auto refusal = co_await chain->helo(s, name);
        if (refusal) co_return reply_lines(*refusal);
        if constexpr (has_handle_EHLO_lines<Next, C>) {
            if constexpr (smtp::detail::is_awaitable_v<decltype(Next::handle_EHLO(
                              conn, s, env, name, std::move(lines)))>)
                co_return co_await Next::handle_EHLO(conn, s, env, name, std::move(lines));
            else
                co_return Next::handle_EHLO(conn, s, env, name, std::move(lines));
        } else {
            s.host_name.assign(name);
            co_return lines;
        }
    }

    /// MAIL: the mail stage, then Next's hook (or the default: the sender is recorded).
    template <class C>
    boost::asio::awaitable<reply> handle_MAIL(connection& conn, session& s, envelope<C>& env,
                                              std::string_view address,
                                              std::span<const std::string> options) {
        auto chain = co_await chain_of(conn);
        auto refusal = co_await chain->mail(s, address, options);
        if (refusal) {
            co_await chain->abort();
            co_return *refusal;
        }
        reply r = reply::ok();
        if constexpr (has_handle_MAIL<Next, C>)
            SMTP_DETAIL_CALL_HOOK(r, Next::handle_MAIL(conn, s, env, address, options));
        else
            env.set_sender(address, options);
        if (!r.positive()) co_await chain->abort();
        co_return r;
    }

    /// RCPT: the rcpt stage, then Next's hook (or the default: the recipient is recorded).
    template <class C>
    boost::asio::awaitable<reply> handle_RCPT(connection& conn, session& s, envelope<C>& env,
                                              std::string_view address,
                                              std::span<const std::string> options) {
        auto chain = co_await chain_of(conn);
        auto refusal = co_await chain->rcpt(address, options);
        if (refusal) co_return *refusal;
        reply r = reply::ok();
        if constexpr (has_handle_RCPT<Next, C>)
            SMTP_DETAIL_CALL_HOOK(r, Next::handle_RCPT(conn, s, env, address, options));
        else
            env.add_recipient(address, options);
        co_return r;
    }

    /// The message: the content stages, the filters' changes, then Next's handle_DATA (or
    /// `250 OK`).
    template <class C>
    boost::asio::awaitable<reply> handle_DATA(connection& conn, session& s, envelope<C>& env) {
        auto chain = co_await chain_of(conn);
        auto outcome = co_await chain->end_of_message(env);
        if (outcome.refusal) co_return *outcome.refusal;
        if (outcome.discard) co_return reply::ok();
        if (outcome.modified) {
            if constexpr (std::is_same_v<C, std::string_view>)
                env.content = std::string_view(env.original_content);
        }
        reply r = reply::ok();
        if constexpr (has_handle_DATA<Next, C>)
            SMTP_DETAIL_CALL_HOOK(r, Next::handle_DATA(conn, s, env));
        co_return r;
    }

    /// The connection ended: the filter connections are closed (SMFIC_QUIT).
    void connection_closed(const connection& conn, const connection_stats& stats) {
        std::shared_ptr<smtp::milter::filter_chain> chain;
        {
            std::lock_guard lock(shared_->mutex);
            auto it = shared_->chains.find(&conn);
            if (it != shared_->chains.end()) {
                chain = std::move(it->second);
                shared_->chains.erase(it);
            }
        }
        if (chain) chain->close();
        if constexpr (has_connection_closed<Next>) Next::connection_closed(conn, stats);
    }

private:
    struct shared {
        explicit shared(smtp::milter::config c) : cfg(std::move(c)) {}
        smtp::milter::config cfg;
        std::mutex mutex;
        std::unordered_map<const connection*, std::shared_ptr<smtp::milter::filter_chain>> chains;
    };

    template <class C>
    static constexpr void check() {
        static_assert(!has_handle_EHLO_push<Next, C>,
                      "smtp::handlers::milter: Next's 4-argument handle_EHLO cannot be wrapped "
                      "(its 250- lines are written before the filters answer): use the "
                      "5-argument form");
    }

    // The connection's filters, connected (and the connect stage sent) on first use.
    boost::asio::awaitable<std::shared_ptr<smtp::milter::filter_chain>> chain_of(connection& conn) {
        {
            std::lock_guard lock(shared_->mutex);
            auto it = shared_->chains.find(&conn);
            if (it != shared_->chains.end()) co_return it->second;
        }
        auto chain = std::make_shared<smtp::milter::filter_chain>(shared_->cfg);
        auto executor = co_await boost::asio::this_coro::executor;
        co_await chain->start(executor, conn.session(), conn.hostname());
        {
            std::lock_guard lock(shared_->mutex);
            shared_->chains[&conn] = chain;
        }
        co_return chain;
    }

    // A refusal as the lines of a 5-argument handle_EHLO's answer.
    static std::vector<std::string> reply_lines(const reply& r) {
        std::vector<std::string> lines;
        std::string_view text = r.text;
        for (;;) {
            auto end = text.find('\n');
            lines.push_back(std::to_string(r.code) + " " + std::string(text.substr(0, end)));
            if (end == std::string_view::npos) break;
            text.remove_prefix(end + 1);
        }
        return lines;
    }

    std::shared_ptr<shared> shared_;
};

} // namespace smtp::handlers

#endif
