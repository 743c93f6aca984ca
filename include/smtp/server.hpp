#ifndef SMTP_SERVER_HPP
#define SMTP_SERVER_HPP

#include <smtp/auth.hpp>
#include <smtp/auth/builtin.hpp>
#include <smtp/connect.hpp>
#include <smtp/connection.hpp>
#include <smtp/decode.hpp>
#include <smtp/detail/mechanism_set.hpp>
#include <smtp/detail/next_action.hpp>
#include <smtp/detail/observe.hpp>
#include <smtp/detail/protocol.hpp>
#include <smtp/detail/served_connection.hpp>
#include <smtp/detail/server_base.hpp>
#include <smtp/detail/session_registry.hpp>
#include <smtp/envelope.hpp>
#include <smtp/hooks.hpp>
#include <smtp/options.hpp>
#include <smtp/parameters.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/tls.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeinfo>

namespace smtp {

template <class Server>
class controller;

/// An SMTP server: one Handler shared by all connections, its hooks found at compile time.
///
/// \tparam Handler      any class; see hooks.hpp for the hooks it may declare.
/// \tparam AuthPolicy   the SASL mechanisms offered (auth.hpp).
/// \tparam DecodePolicy what `envelope.content` is (decode.hpp).
///
/// The server serves on executors the caller runs (aiosmtpd's unthreaded controller):
/// \code
/// boost::asio::io_context io;
/// smtp::server<smtp::handlers::sink> server{{}, {.hostname = "mx.test"}};
/// auto loopback = boost::asio::ip::make_address("127.0.0.1");
/// auto endpoint = server.listen(io.get_executor(), {loopback, 8025});
/// io.run();
/// \endcode
/// `smtp::controller` runs one on a thread of its own.
///
/// What does not depend on the Handler (listening, limits, shutdown, the TLS handshake) is in a
/// base that is not a template (detail::server_base): compiled once per program under
/// SMTP_SEPARATE_COMPILATION, and once per translation unit, not once per Handler, otherwise.
template <class Handler, class AuthPolicy = auth::builtin, class DecodePolicy = decode::bytes>
class server : private detail::server_base {
    static_assert(decode_policy<DecodePolicy>,
                  "DecodePolicy needs content_type, eight_bit_mime and "
                  "static smtp::reply decode(std::string_view, content_type&, bool)");

public:
    /// The Handler.
    using handler_type = Handler;
    /// What `envelope.content` is.
    using content_type = typename DecodePolicy::content_type;
    /// The envelope hooks receive.
    using envelope_type = envelope<content_type>;

    static_assert(detail::check_hooks<Handler, content_type>());
    static_assert(detail::check_connect_hook<Handler>());

    /// The AUTH mechanisms offered: the AuthPolicy's, then the handler's `auth_mechanisms`.
    using mechanisms = detail::server_mechanisms<AuthPolicy, Handler>;
    static_assert(sizeof(mechanisms) > 0); // checks the mechanisms where the server is named

    /// Throws std::invalid_argument when `opts.proxy_trusted` holds something that is not an
    /// address or network.
    explicit server(Handler handler = Handler{}, smtp::options opts = {})
        : server_base(std::move(opts), &server::start_session), handler_(std::move(handler)),
          features_{.eight_bit_mime = DecodePolicy::eight_bit_mime,
                    .auth_mechanisms = mechanisms::names,
                    .ehlo_auth_line = mechanisms::line.view(),
                    .tls_available = opts_.tls != nullptr,
                    .mail_parameters = detail::mail_parameters_of<Handler>::type::rules,
                    .rcpt_parameters = detail::rcpt_parameters_of<Handler>::type::rules,
                    .handler_type = typeid(Handler).name()} {}
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    /// Stops listening (close()) before the handler goes.
    ~server() { close(); }

    /// The handler, shared by every connection.
    Handler& handler() noexcept { return handler_; }
    /// The options given at construction.
    const smtp::options& options() const noexcept { return opts_; }
    /// The host name in use (options().hostname, or the machine's name when that is empty).
    const std::string& hostname() const noexcept { return hostname_; }

    /// Binds `endpoint` and accepts connections on `executor` until close(). Returns the bound
    /// endpoint (with the real port when the port asked for was 0). Throws on bind errors.
    /// With `implicit_tls`, TLS starts with the first byte (SMTPS, port 465 style); it needs
    /// `options().tls`.
    boost::asio::ip::tcp::endpoint listen(const boost::asio::any_io_executor& executor,
                                          const boost::asio::ip::tcp::endpoint& endpoint,
                                          bool implicit_tls = false) {
        return listen_tcp(executor, endpoint, implicit_tls, false);
    }

    /// As listen(), with SO_REUSEPORT: several listeners, each on its own executor and thread,
    /// share one port, and the kernel spreads new connections between them without a lock in
    /// user space (docs/threads.md). Bind the first to port 0 if you like, then the others to
    /// the port it returned. A port that a listener without SO_REUSEPORT holds, or that
    /// answers connections, is refused with `address_in_use`.
    boost::asio::ip::tcp::endpoint listen_shared(const boost::asio::any_io_executor& executor,
                                                 const boost::asio::ip::tcp::endpoint& endpoint,
                                                 bool implicit_tls = false) {
        return listen_tcp(executor, endpoint, implicit_tls, true);
    }

    /// Listens on a UNIX domain socket at `path` (aiosmtpd's UnixSocketController). A stale
    /// socket file there is replaced; the file is removed again by close().
    void listen_local(const boost::asio::any_io_executor& executor, const std::string& path,
                      bool implicit_tls = false) {
        server_base::listen_local(executor, path, implicit_tls);
    }

    /// Accepts on `native`, a socket that already listens (TCP or UNIX domain; inherited, as
    /// from systemd socket activation: smtp/systemd.hpp), on `executor` until close(); the
    /// server owns the descriptor from now on. Returns the bound TCP endpoint (a default one
    /// for a UNIX socket). Throws std::invalid_argument when `native` is no listening stream
    /// socket.
    boost::asio::ip::tcp::endpoint listen_native(const boost::asio::any_io_executor& executor,
                                                 int native, bool implicit_tls = false) {
        return server_base::listen_native(executor, native, implicit_tls);
    }

    /// Stops accepting; established sessions go on. Call it from the executor's thread, or while
    /// no thread runs the executor.
    void close() noexcept { server_base::close(); }

    /// Begins a graceful shutdown; returns at once, and may be called from any thread. The
    /// listeners close; idle sessions (waiting for a command outside a mail transaction) are
    /// answered `421 <hostname> Service shutting down` and closed; a session in a transaction
    /// finishes it (its DATA reply goes out) and then gets the 421. wait_for_sessions() waits
    /// for them; what is left at your deadline, destroy with the io_context (controller::stop).
    /// Each listener's executor must be run by one thread (or be a strand), as controller and
    /// smtpd do.
    void shutdown() { server_base::shutdown(); }
    /// Lets a server that was shut down serve again (controller::start after stop); call it
    /// once its sessions are gone.
    void reset_shutdown() noexcept { stopping_.store(false); }
    /// True once shutdown() was called.
    bool shutting_down() const noexcept { return stopping_.load(std::memory_order_relaxed); }
    /// Waits until no session is left or `deadline` passes; true when none is left. From any
    /// thread but the ones serving the sessions.
    bool wait_for_sessions(std::chrono::steady_clock::time_point deadline) {
        return server_base::wait_for_sessions(deadline);
    }

    /// Serves one connected socket until the session ends. For callers that accept themselves.
    boost::asio::awaitable<void> serve(connection::socket_type socket, bool implicit_tls = false);

    /// Sessions being served now.
    std::size_t connection_count_now() const noexcept { return connections_.load(); }

    /// Serves new TLS handshakes (STARTTLS and implicit TLS) with `next` from now on: renewed
    /// certificates without a restart. Sessions already under TLS keep the context they began
    /// with. Safe from any thread. The server must have been made with `options().tls` (TLS
    /// cannot be switched on or off while serving); throws std::invalid_argument otherwise,
    /// or when `next` is null.
    void set_tls(std::shared_ptr<tls_context> next) { server_base::set_tls(std::move(next)); }
    /// The TLS context new handshakes use: `options().tls`, or the last set_tls().
    std::shared_ptr<tls_context> tls() const { return server_base::tls(); }

private:
    template <class Server>
    friend class controller; // runs the server through its base (controller.hpp)

    using served_connection = detail::served_connection;
    using protocol_type = detail::protocol<content_type>;

    // One session, and what comes before its greeting: impl/server_session.hpp.
    static void start_session(server_base& base, connection::socket_type socket, bool implicit_tls,
                              std::shared_ptr<detail::session_registry> registry);
    boost::asio::awaitable<void>
    serve_registered(connection::socket_type socket, bool implicit_tls,
                     std::shared_ptr<detail::session_registry> registry);
    /// The handler's part of admitting a connection (server_base::admit()).
    struct admission_hooks {
        server& self;
        envelope_type& env;
        static constexpr bool checks_proxy = has_handle_PROXY<Handler, content_type>;
        boost::asio::awaitable<bool> accept_proxy(served_connection& conn) {
            return self.accept_proxy_header(conn, env);
        }
        static constexpr bool decides_at_connect = has_handle_CONNECT<Handler>;
        boost::asio::awaitable<connect_decision> decide(served_connection& conn) {
            return self.decide_at_connect(conn);
        }
        void limit_reached(const connection& c, limit which) {
            detail::observe_limit(self.handler_, c, which);
        }
        void tls_handshake(const connection& c, bool success) {
            detail::observe_tls(self.handler_, c, success);
        }
    };
    /// A handler with none of those hooks is admitted by code compiled once.
    static constexpr bool admits_without_hooks =
        !has_handle_PROXY<Handler, content_type> && !has_handle_CONNECT<Handler> &&
        !has_limit_reached<Handler> && !has_tls_handshake<Handler>;
    /// The PROXY header, with handle_PROXY (server_base's without).
    boost::asio::awaitable<bool> accept_proxy_header(served_connection& conn, envelope_type& env);
    /// handle_CONNECT's decision (a greeting at once without the hook); a hook that throws
    /// refuses the connection.
    boost::asio::awaitable<connect_decision> decide_at_connect(served_connection& conn);

    // One command, and the hooks of the commands that need no more I/O:
    // impl/server_commands.hpp. (The loop that reads commands is serve_registered's.)
    boost::asio::awaitable<outcome> command(served_connection& conn, protocol_type& proto,
                                            envelope_type& env, std::string_view line);
    boost::asio::awaitable<outcome> perform(served_connection& conn, protocol_type& proto,
                                            envelope_type& env, detail::next_action next);
    void input_ended(served_connection& conn, protocol_type& proto, envelope_type& env);
    boost::asio::awaitable<outcome> call_hook(served_connection& conn, protocol_type& proto,
                                              envelope_type& env, detail::verb v);
    /// The reply for a hook that threw: handle_exception's, or `500 Error: (<type>) <what>`.
    boost::asio::awaitable<reply> failure_reply(std::exception_ptr error);
    boost::asio::awaitable<reply> exception_hook_reply(std::exception_ptr error);

    // AUTH: impl/server_auth.hpp.
    boost::asio::awaitable<outcome> authenticate(served_connection& conn, protocol_type& proto,
                                                 envelope_type& env);
    boost::asio::awaitable<outcome> authenticate_by_hook(served_connection& conn,
                                                         protocol_type& proto, envelope_type& env);
    boost::asio::awaitable<auth_result> mechanism_exchange(served_connection& conn,
                                                           envelope_type& env,
                                                           std::string_view mechanism,
                                                           std::optional<std::string> initial);
    /// auth_completed and limit_reached, for the base's conclude_exchange() and settled().
    struct auth_observer {
        Handler& handler;
        void completed(const connection& c, std::string_view mechanism, bool success) {
            detail::observe_auth(handler, c, mechanism, success);
        }
        void over_limit(const connection& c) {
            detail::observe_limit(handler, c, limit::auth_failures);
        }
    };

    // STARTTLS: impl/server_starttls.hpp.
    boost::asio::awaitable<outcome> starttls(served_connection& conn, protocol_type& proto,
                                             envelope_type& env);

    // Message bodies, by DATA or BDAT: impl/server_message_body.hpp.
    boost::asio::awaitable<outcome> receive_data(served_connection& conn, protocol_type& proto,
                                                 envelope_type& env);
    boost::asio::awaitable<outcome> receive_chunk(served_connection& conn, protocol_type& proto,
                                                  envelope_type& env);
    /// What follows a message the client stopped sending (after abort_stream()).
    outcome message_interrupted(served_connection& conn, protocol_type& proto, envelope_type& env,
                                bool began);
    boost::asio::awaitable<void> deliver(served_connection& conn, protocol_type& proto,
                                         envelope_type& env, message_stats& seen);
    boost::asio::awaitable<reply> stream_chunk(served_connection& conn, envelope_type& env,
                                               std::string_view bytes);
    /// Tells handle_DATA_abort; awaited only where the handler has that hook.
    boost::asio::awaitable<void> abort_stream(served_connection& conn, envelope_type& env);
    static constexpr bool aborts_streams = has_handle_DATA_abort<Handler, content_type>;
    void observe_message(served_connection& conn, message_stats& stats);

    Handler handler_;
    /// What the sessions' protocol cores offer (each refers to this one).
    const detail::capabilities features_;
};

} // namespace smtp

#include <smtp/impl/server_auth.hpp>
#include <smtp/impl/server_commands.hpp>
#include <smtp/impl/server_message_body.hpp>
#include <smtp/impl/server_session.hpp>
#include <smtp/impl/server_starttls.hpp>

#endif
