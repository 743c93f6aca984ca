#ifndef SMTP_DETAIL_SERVER_BASE_HPP
#define SMTP_DETAIL_SERVER_BASE_HPP

#include <smtp/auth.hpp>
#include <smtp/connect.hpp>
#include <smtp/detail/cidr.hpp>
#include <smtp/detail/config.hpp>
#include <smtp/detail/served_connection.hpp>
#include <smtp/detail/session_registry.hpp>
#include <smtp/options.hpp>
#include <smtp/proxy_protocol.hpp>
#include <smtp/reply.hpp>
#include <smtp/stats.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace smtp::detail {

/// What an smtp::server does whatever its Handler: the listeners and the accept loops, the
/// session counts and limits, the graceful shutdown, and the steps of a session that call no
/// hook (the checks before the greeting, reading a PROXY header, the TLS handshake of STARTTLS,
/// the pause after a failed AUTH). It is not a template, so that each server<Handler> a program
/// names instantiates only what depends on its Handler; under SMTP_SEPARATE_COMPILATION its
/// definitions (impl/server_base.ipp) are compiled once, in <smtp/src.hpp>.
///
/// An accepted connection reaches its server<Handler> through `session_starter`: one indirect
/// call per connection. The hooks are called directly, as before.
class server_base {
public:
    server_base(const server_base&) = delete;
    server_base& operator=(const server_base&) = delete;

protected:
    /// Starts serving an accepted socket (server<Handler> spawns its session).
    using session_starter = void (*)(server_base& self, connection::socket_type socket,
                                     bool implicit_tls, std::shared_ptr<session_registry> registry);

    /// Throws std::invalid_argument when `opts.proxy_trusted` holds something that is not an
    /// address or network.
    SMTP_DECL server_base(smtp::options opts, session_starter start);
    /// Stops listening (close()).
    SMTP_DECL ~server_base();

    /// Binds and listens on `endpoint`, then accepts on `executor` until close().
    SMTP_DECL boost::asio::ip::tcp::endpoint
    listen_tcp(const boost::asio::any_io_executor& executor,
               const boost::asio::ip::tcp::endpoint& endpoint, bool implicit_tls, bool reuse_port);
    /// Listens on the UNIX domain socket at `path` (a stale socket file is replaced).
    SMTP_DECL void listen_local(const boost::asio::any_io_executor& executor,
                                const std::string& path, bool implicit_tls);
    /// Accepts on `native`, a socket that already listens (server::listen_native()).
    SMTP_DECL boost::asio::ip::tcp::endpoint
    listen_native(const boost::asio::any_io_executor& executor, int native, bool implicit_tls);
    /// Stops accepting and removes the UNIX socket files.
    SMTP_DECL void close() noexcept;
    /// Begins a graceful shutdown (server::shutdown()).
    SMTP_DECL void shutdown();
    /// Serves new handshakes with `next` (server::set_tls()).
    SMTP_DECL void set_tls(std::shared_ptr<tls_context> next);
    /// The TLS context new handshakes use: `options().tls`, or the last set_tls().
    SMTP_DECL std::shared_ptr<tls_context> tls() const;
    /// Waits until no session is left or `deadline` passes; true when none is left.
    SMTP_DECL bool wait_for_sessions(std::chrono::steady_clock::time_point deadline);
    /// The registry of the sessions served on `executor` (made on first use).
    SMTP_DECL std::shared_ptr<session_registry>
    registry_for(const boost::asio::any_io_executor& executor);
    /// Runs a session's coroutine on `executor`; an exception that escapes it is reported on
    /// stderr (the session catches what hooks throw, so that would be a bug).
    SMTP_DECL static void spawn_session(const boost::asio::any_io_executor& executor,
                                        boost::asio::awaitable<void> session);

    /// Counts a session in the server's totals for as long as it lives.
    struct connection_count {
        server_base& owner;
        std::size_t total; ///< sessions now, this one included
        std::string client;

        SMTP_DECL explicit connection_count(server_base& s);
        connection_count(const connection_count&) = delete;
        connection_count& operator=(const connection_count&) = delete;
        /// Counts the session for `host` too; returns that client's sessions now.
        SMTP_DECL std::size_t count_client(const std::string& host);
        SMTP_DECL ~connection_count();
    };

    // The steps of a session that call no hook (admit() and the server's own steps run them in
    // order, with the hooks in between). Callers name what they return before testing it:
    // g++ 12 miscompiles `if (!co_await base_coroutine())` in a derived class template.

    /// The server-wide connection limit; false when the session was refused over it (and is
    /// closed).
    SMTP_DECL boost::asio::awaitable<bool> admit_connection(served_connection& conn,
                                                            const connection_count& counted);
    /// Reads the PROXY header that must come first, from a trusted sender, within its timeout;
    /// nothing when it is missing, late or invalid (the session then closes without a reply).
    SMTP_DECL boost::asio::awaitable<std::optional<proxy_data>>
    read_proxy_header(served_connection& conn);
    /// Makes the original client that `header` names the session's peer.
    SMTP_DECL static void adopt_proxy_header(served_connection& conn, const proxy_data& header);
    /// read_proxy_header() and adopt_proxy_header(), for a handler without handle_PROXY; false
    /// when there is no valid header.
    SMTP_DECL boost::asio::awaitable<bool> accept_proxy_header(served_connection& conn);
    /// How admit_client() and prepare_greeting() ended: the session goes on, or why it was
    /// refused (and closed).
    enum class admission { admitted, over_client_limit, early_talker, tls_failed, shutting_down };
    /// What comes after the PROXY header: the per-client limit.
    SMTP_DECL boost::asio::awaitable<admission> admit_client(served_connection& conn,
                                                             connection_count& counted);
    /// What comes last before the greeting (after handle_CONNECT): the wait of `delay` with the
    /// early-talker check, the implicit-TLS handshake and a shutdown under way.
    SMTP_DECL boost::asio::awaitable<admission>
    prepare_greeting(served_connection& conn, bool implicit_tls, std::chrono::milliseconds delay);
    /// Answers `refusal` (none: closes without a word) and closes: a session refused before
    /// its greeting (by handle_CONNECT).
    SMTP_DECL boost::asio::awaitable<void> refuse_before_greeting(served_connection& conn,
                                                                  const reply& refusal);
    /// How begin_tls_session() ended: the connection was lost before the handshake, the
    /// handshake failed, or TLS is on.
    enum class tls_start { lost, failed, secured };
    /// STARTTLS after its 220 is queued: the flush, the handshake, and a fresh session (RFC 3207
    /// §4.2) that keeps the session ID and the peer, TLS and PROXY facts.
    SMTP_DECL boost::asio::awaitable<tls_start> begin_tls_session(served_connection& conn);
    /// AUTH's initial response (`sent`, base64; `=` is the empty one) into `decoded`; false, with
    /// `501 5.5.2` queued, when it is not base64.
    SMTP_DECL static bool decode_initial_response(served_connection& conn, std::string_view sent,
                                                  std::optional<std::string>& decoded);
    /// Applies what an AUTH exchange ended with: on success the session's new identity and the
    /// `235` (or the mechanism's reply); on failure the mechanism's reply, or `535 5.7.8` unless
    /// the mechanism replied itself. True on success.
    SMTP_DECL static bool conclude_auth(served_connection& conn, auth_result& result);
    /// How a step of a session that did I/O ended: the session goes on, closes after flushing
    /// what is queued, or is lost (the peer is gone: nothing more can be written).
    enum class outcome { go_on, close, lost };
    /// How settle_auth() ended: the session goes on; it closes on the handler's 421 (a rate
    /// limit on failed logins); or it closes past options::auth_failure_limit.
    enum class auth_settled { go_on, closes, over_limit };
    /// After an AUTH exchange: the pause and the limit after a 535 (the final reply is then
    /// `421 4.7.0`), and the close after a 421.
    SMTP_DECL boost::asio::awaitable<auth_settled> settle_auth(served_connection& conn);
    /// What settle_auth() decided, for the session; `observe` hears of a passed limit.
    template <class Observe>
    static outcome settled(served_connection& conn, auth_settled how, Observe observe) {
        if (how == auth_settled::over_limit) observe.over_limit(conn);
        return how == auth_settled::go_on ? outcome::go_on : outcome::close;
    }
    /// `done`, as an awaitable: a step that needed no I/O, where one that does is expected.
    SMTP_DECL static boost::asio::awaitable<outcome> finished(outcome done);
    /// `500 Error: (<type>) <what>`, the reply for a hook that threw when the handler has no
    /// handle_exception (aiosmtpd's), as an awaitable (handle_exception may be a coroutine).
    SMTP_DECL static boost::asio::awaitable<reply> failure_reply(std::exception_ptr error);
    /// `Error: (<type>) <what>`: the text of that reply.
    SMTP_DECL static std::string describe_failure(const std::exception_ptr& error);
    /// What comes before the greeting, in order: the server-wide connection limit, the PROXY
    /// header, the per-client limit, handle_CONNECT's decision, the greeting delay with the
    /// early-talker check, and the implicit-TLS handshake. False when the connection was refused
    /// (and is closed). `hooks` is the handler's part of it; a handler without any gets
    /// no_admission_hooks', compiled once (<smtp/src.hpp>).
    template <class Hooks>
    boost::asio::awaitable<bool> admit(served_connection& conn, connection_count& counted,
                                       bool implicit_tls, Hooks hooks);
    /// What an AUTH mechanism's `exchange` ends with, applied (conclude_auth()) and settled
    /// (settle_auth()). `observe` hears of the result and of a passed failure limit; a handler
    /// that observes neither gets no_auth_observer's, compiled once (<smtp/src.hpp>).
    template <class Observe>
    boost::asio::awaitable<outcome>
    conclude_exchange(served_connection& conn, std::string_view mechanism,
                      boost::asio::awaitable<auth_result> exchange, Observe observe);
    /// Queues `421 <hostname> Service shutting down` when a shutdown finds the session outside
    /// a mail transaction; true when it did.
    SMTP_DECL bool idle_at_shutdown(served_connection& conn, bool in_transaction);

    smtp::options opts_;
    std::string hostname_;
    std::atomic<bool> stopping_{false};
    std::atomic<std::size_t> connections_{0};

private:
    friend class controller_base; // runs a server on threads of its own (controller.hpp)

    /// Keeps `acceptor` among `owned` (where close() and shutdown() reach it) and accepts on it.
    template <class Acceptor>
    void accept_on(std::vector<std::unique_ptr<Acceptor>>& owned,
                   std::unique_ptr<Acceptor> acceptor, const boost::asio::any_io_executor& executor,
                   bool implicit_tls);
    template <class Acceptor>
    boost::asio::awaitable<void> accept_loop(Acceptor& acceptor, bool implicit_tls,
                                             std::shared_ptr<session_registry> registry);
    /// The greeting delay: true when the client kept quiet through it; false when it spoke
    /// (it is then refused, and closed).
    SMTP_DECL boost::asio::awaitable<bool> pause_before_greeting(served_connection& conn,
                                                                 std::chrono::milliseconds delay);
    /// Writes `line` and closes: a session refused before its greeting.
    SMTP_DECL boost::asio::awaitable<void> refuse(served_connection& conn, std::string line);

    session_starter start_session_;
    std::vector<cidr> proxy_trusted_;
    std::mutex clients_mutex_;
    std::unordered_map<std::string, std::size_t> clients_; // sessions per client address
    std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
    std::vector<std::unique_ptr<boost::asio::local::stream_protocol::acceptor>> local_acceptors_;
    std::vector<std::string> local_paths_;
    // Graceful shutdown: the registries that reach idle sessions, and what wait_for_sessions()
    // waits on.
    std::mutex registries_mutex_;
    std::vector<std::shared_ptr<session_registry>> registries_;
    std::mutex drained_mutex_;
    std::condition_variable drained_;
    // What set_tls() installed (null: options().tls), swapped under the mutex while sessions
    // on other threads take copies for their handshakes.
    mutable std::mutex tls_mutex_;
    std::shared_ptr<tls_context> current_tls_;
};

/// The handler's part of admitting a connection (server_base::admit) for a handler without
/// handle_PROXY, handle_CONNECT, limit_reached and tls_handshake.
struct no_admission_hooks {
    /// With handle_PROXY, `awaitable<bool> accept_proxy(served_connection&)` reads and checks
    /// the header; without, the header is taken as it is.
    static constexpr bool checks_proxy = false;
    /// With handle_CONNECT, `awaitable<connect_decision> decide(served_connection&)` decides;
    /// without, the greeting comes at once.
    static constexpr bool decides_at_connect = false;
    void limit_reached(const connection&, limit) const noexcept {}
    void tls_handshake(const connection&, bool) const noexcept {}
};

template <class Hooks>
boost::asio::awaitable<bool> server_base::admit(served_connection& conn, connection_count& counted,
                                                bool implicit_tls, Hooks hooks) {
    bool admitted = co_await admit_connection(conn, counted);
    if (!admitted) {
        hooks.limit_reached(conn, limit::connections);
        co_return false;
    }
    if (opts_.proxy_protocol_timeout) {
        bool proxied = false;
        if constexpr (Hooks::checks_proxy)
            proxied = co_await hooks.accept_proxy(conn);
        else
            proxied = co_await accept_proxy_header(conn);
        if (!proxied) {
            conn.close(); // no reply: the peer is a proxy, or pretends to be one (as aiosmtpd)
            conn.trace(trace_event::closed, {});
            co_return false;
        }
    }
    admission admitted_client = co_await admit_client(conn, counted);
    if (admitted_client == admission::over_client_limit) {
        hooks.limit_reached(conn, limit::connections_per_client);
        co_return false;
    }
    std::chrono::milliseconds delay = opts_.greeting_delay;
    if constexpr (Hooks::decides_at_connect) {
        connect_decision decision = co_await hooks.decide(conn);
        if (decision.closes()) {
            co_await refuse_before_greeting(conn, decision.reply());
            co_return false;
        }
        delay = std::max(delay, decision.delay());
    }
    admission greeted = co_await prepare_greeting(conn, implicit_tls, delay);
    switch (greeted) {
    case admission::admitted: break;
    case admission::tls_failed: hooks.tls_handshake(conn, false); co_return false;
    default: co_return false;
    }
    if (implicit_tls) hooks.tls_handshake(conn, true);
    co_return true;
}

#if !defined(SMTP_HEADER_ONLY)
extern template boost::asio::awaitable<bool>
server_base::admit(served_connection&, connection_count&, bool, no_admission_hooks);
#endif

/// The observer of an AUTH exchange (server_base::conclude_exchange) for a handler without
/// auth_completed and limit_reached.
struct no_auth_observer {
    void completed(const connection&, std::string_view, bool) const noexcept {}
    void over_limit(const connection&) const noexcept {}
};

template <class Observe>
boost::asio::awaitable<server_base::outcome>
server_base::conclude_exchange(served_connection& conn, std::string_view mechanism,
                               boost::asio::awaitable<auth_result> exchange, Observe observe) {
    auth_result result = co_await std::move(exchange);
    bool success = conclude_auth(conn, result);
    observe.completed(conn, mechanism, success);
    if (success) co_return outcome::go_on;
    auth_settled how = co_await settle_auth(conn);
    co_return settled(conn, how, observe);
}

#if !defined(SMTP_HEADER_ONLY)
extern template boost::asio::awaitable<server_base::outcome>
server_base::conclude_exchange(served_connection&, std::string_view,
                               boost::asio::awaitable<auth_result>, no_auth_observer);
#endif

} // namespace smtp::detail

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/server_base.ipp>
#endif

#endif
