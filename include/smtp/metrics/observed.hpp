#ifndef SMTP_METRICS_OBSERVED_HPP
#define SMTP_METRICS_OBSERVED_HPP

#include <smtp/connection.hpp>
#include <smtp/hooks.hpp>
#include <smtp/metrics/registry.hpp>
#include <smtp/stats.hpp>

#include <memory>
#include <string_view>
#include <utility>

/// \file
/// Counting a server's traffic into a metrics::registry, as a mixin over any handler.
namespace smtp::metrics {

/// `Handler` with the observability hooks that feed `registry`: connections, commands by verb
/// (from the `trace` hook: it sees each command line, AUTH secrets masked), final replies by
/// code class, messages, AUTH, TLS and limits. Every hook the handler declares itself still runs
/// (after the counting). A server without this mixin pays nothing for metrics.
///
/// \code
/// auto counters = std::make_shared<smtp::metrics::registry>();
/// smtp::server<smtp::metrics::observed<smtp::handlers::sink>> server{{{}, counters}};
/// // ... serve; counters->exposition() is the scrape (metrics/http_server.hpp serves it)
/// \endcode
template <class Handler>
class observed : public Handler {
public:
    /// The handler, counting into `counters` (null: counting nothing, as smtpd does when it
    /// serves metrics-less).
    observed(Handler handler, std::shared_ptr<registry> counters)
        : Handler(std::move(handler)), counters_(std::move(counters)) {}

    /// The registry it counts into (null when it counts nothing).
    registry* counters() const noexcept { return counters_.get(); }

    /// Counts the connection, then calls the handler's hook.
    void connection_opened(const connection& c) {
        if (counters_) counters_->connection_opened();
        if constexpr (has_connection_opened<Handler>) Handler::connection_opened(c);
    }
    /// Counts the connection's end, then calls the handler's hook.
    void connection_closed(const connection& c, const connection_stats& s) {
        if (counters_) counters_->connection_closed();
        if constexpr (has_connection_closed<Handler>) Handler::connection_closed(c, s);
    }
    /// Counts an accepted message, then calls the handler's hook.
    void message_accepted(const connection& c, const message_stats& s) {
        if (counters_) counters_->message(result::accepted, s);
        if constexpr (has_message_accepted<Handler>) Handler::message_accepted(c, s);
    }
    /// Counts a rejected message, then calls the handler's hook.
    void message_rejected(const connection& c, const message_stats& s) {
        if (counters_) counters_->message(result::rejected, s);
        if constexpr (has_message_rejected<Handler>) Handler::message_rejected(c, s);
    }
    /// Counts an aborted message, then calls the handler's hook.
    void message_aborted(const connection& c, const message_stats& s) {
        if (counters_) counters_->message(result::aborted, s);
        if constexpr (has_message_aborted<Handler>) Handler::message_aborted(c, s);
    }
    /// Counts an AUTH exchange, then calls the handler's hook.
    void auth_completed(const connection& c, std::string_view mechanism, bool success) {
        if (counters_) counters_->auth(mechanism, success);
        if constexpr (has_auth_completed<Handler>) Handler::auth_completed(c, mechanism, success);
    }
    /// Counts a TLS handshake, then calls the handler's hook.
    void tls_handshake(const connection& c, bool success) {
        const auto& ssl = c.session().ssl;
        if (counters_)
            counters_->tls(success && ssl ? std::string_view(ssl->version) : std::string_view(),
                           success);
        if constexpr (has_tls_handshake<Handler>) Handler::tls_handshake(c, success);
    }
    /// Counts a limit's refusal, then calls the handler's hook.
    void limit_reached(const connection& c, smtp::limit which) {
        if (counters_) counters_->limit_hit(which);
        if constexpr (has_limit_reached<Handler>) Handler::limit_reached(c, which);
    }
    /// Counts command lines by verb and final reply lines by class, then calls the handler's
    /// hook. A SASL response (shown masked) is no command.
    void trace(const connection& c, trace_event event, std::string_view bytes) {
        if (!counters_) {
        } else if (event == trace_event::command && bytes != "********") {
            counters_->command(bytes);
        } else if (event == trace_event::reply) {
            // One event may hold several replies (a pipelined batch), each maybe multi-line:
            // a final line is `NNN ` or a bare `NNN`.
            for (std::string_view rest = bytes; rest.size() >= 3;) {
                std::size_t end = rest.find('\n');
                std::string_view line = rest.substr(0, end);
                if (line.ends_with('\r')) line.remove_suffix(1);
                if (line.size() >= 3 && (line.size() == 3 || line[3] == ' '))
                    counters_->reply((line[0] - '0') * 100 + (line[1] - '0') * 10 +
                                     (line[2] - '0'));
                if (end == std::string_view::npos) break;
                rest.remove_prefix(end + 1);
            }
        }
        if constexpr (has_trace<Handler>) Handler::trace(c, event, bytes);
    }

private:
    std::shared_ptr<registry> counters_;
};

} // namespace smtp::metrics

#endif
