#ifndef SMTP_HOOKS_HPP
#define SMTP_HOOKS_HPP

#include <smtp/auth.hpp>
#include <smtp/envelope.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/stats.hpp>

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

/// \file
/// The handler hooks, one named concept each.
///
/// A Handler is any class. For each hook below that it declares, the server calls it instead of
/// (or, where noted, around) the default behaviour; a hook it does not declare costs nothing.
/// A hook returns what its concept says — a `smtp::reply` for the commands, `bool` for
/// handle_PROXY and handle_STARTTLS, an `auth_result` for a mechanism, the reply lines for a
/// 5-argument handle_EHLO, nothing for the observers — either directly or from a coroutine
/// (`boost::asio::awaitable<T>`). `C` is the DecodePolicy's content type (`std::string_view` by
/// default).
///
/// docs/hooks.md has them all in one table: signature, when each is called, what happens
/// without it, and the replies.
///
/// A handler that declares a hook with a wrong signature, or inherits the same hook from two
/// bases, does not compile: the error names the hook and the signature expected.
namespace smtp {

class connection;

namespace detail {

template <class T>
struct is_awaitable : std::false_type {};
template <class T, class E>
struct is_awaitable<boost::asio::awaitable<T, E>> : std::true_type {};
template <class T>
inline constexpr bool is_awaitable_v = is_awaitable<std::remove_cvref_t<T>>::value;

/// Whether `R` is what a hook may return when it answers with `T`: `T` or `awaitable<T>`.
template <class R, class T>
concept returns = std::convertible_to<R, T> || std::same_as<R, boost::asio::awaitable<T>>;

// Detects that a class declares a member of a given name, whatever its signature (and even when
// two bases declare it, which makes a direct lookup ambiguous): deriving from the class and from
// a fallback that also has the name makes `&probe::name` ambiguous exactly when the class has it.
#define SMTP_DETAIL_NAME_PROBE(name)                                                               \
    struct name##_fallback {                                                                       \
        void name();                                                                               \
    };                                                                                             \
    template <class T>                                                                             \
    struct name##_probe : T, name##_fallback {};                                                   \
    template <class T>                                                                             \
    concept declares_##name =                                                                      \
        std::is_class_v<T> && ((!std::is_final_v<T> && !requires { &name##_probe<T>::name; }) ||   \
                               (std::is_final_v<T> && requires { &T::name; }));

SMTP_DETAIL_NAME_PROBE(handle_HELO)
SMTP_DETAIL_NAME_PROBE(handle_EHLO)
SMTP_DETAIL_NAME_PROBE(handle_NOOP)
SMTP_DETAIL_NAME_PROBE(handle_QUIT)
SMTP_DETAIL_NAME_PROBE(handle_RSET)
SMTP_DETAIL_NAME_PROBE(handle_VRFY)
SMTP_DETAIL_NAME_PROBE(handle_MAIL)
SMTP_DETAIL_NAME_PROBE(handle_RCPT)
SMTP_DETAIL_NAME_PROBE(handle_DATA)
SMTP_DETAIL_NAME_PROBE(handle_exception)
SMTP_DETAIL_NAME_PROBE(trace)
SMTP_DETAIL_NAME_PROBE(handle_AUTH)
SMTP_DETAIL_NAME_PROBE(authenticate)
SMTP_DETAIL_NAME_PROBE(auth_PLAIN)
SMTP_DETAIL_NAME_PROBE(auth_LOGIN)
SMTP_DETAIL_NAME_PROBE(handle_STARTTLS)
SMTP_DETAIL_NAME_PROBE(handle_DATA_recipient)
SMTP_DETAIL_NAME_PROBE(handle_PROXY)
SMTP_DETAIL_NAME_PROBE(handle_DATA_chunk)
SMTP_DETAIL_NAME_PROBE(handle_DATA_abort)
SMTP_DETAIL_NAME_PROBE(connection_opened)
SMTP_DETAIL_NAME_PROBE(connection_closed)
SMTP_DETAIL_NAME_PROBE(message_accepted)
SMTP_DETAIL_NAME_PROBE(message_rejected)
SMTP_DETAIL_NAME_PROBE(message_aborted)
SMTP_DETAIL_NAME_PROBE(auth_completed)
SMTP_DETAIL_NAME_PROBE(tls_handshake)
SMTP_DETAIL_NAME_PROBE(limit_reached)
#undef SMTP_DETAIL_NAME_PROBE

} // namespace detail

// Each concept is satisfied when H has the hook with a usable signature.

template <class H, class C>
concept has_handle_HELO = requires(H& h, connection& c, session& s, envelope<C>& e,
                                   std::string_view name) {
    { h.handle_HELO(c, s, e, name) } -> detail::returns<reply>;
};

/// The aiosmtpd 4-argument form: the server writes its `250-` lines first, the hook may
/// `push()` more and returns the last line.
template <class H, class C>
concept has_handle_EHLO_push = requires(H& h, connection& c, session& s, envelope<C>& e,
                                        std::string_view name) {
    { h.handle_EHLO(c, s, e, name) } -> detail::returns<reply>;
};

/// The aiosmtpd 5-argument form: the hook gets the planned reply lines and returns the lines to
/// send; the server makes them one well-formed multi-line reply.
template <class H, class C>
concept has_handle_EHLO_lines = requires(H& h, connection& c, session& s, envelope<C>& e,
                                         std::string_view name, std::vector<std::string> lines) {
    { h.handle_EHLO(c, s, e, name, std::move(lines)) } -> detail::returns<std::vector<std::string>>;
};

template <class H, class C>
concept has_handle_EHLO = has_handle_EHLO_push<H, C> || has_handle_EHLO_lines<H, C>;

template <class H, class C>
concept has_handle_NOOP = requires(H& h, connection& c, session& s, envelope<C>& e,
                                   std::string_view arg) {
    { h.handle_NOOP(c, s, e, arg) } -> detail::returns<reply>;
};

template <class H, class C>
concept has_handle_QUIT = requires(H& h, connection& c, session& s, envelope<C>& e) {
    { h.handle_QUIT(c, s, e) } -> detail::returns<reply>;
};

template <class H, class C>
concept has_handle_RSET = requires(H& h, connection& c, session& s, envelope<C>& e) {
    { h.handle_RSET(c, s, e) } -> detail::returns<reply>;
};

template <class H, class C>
concept has_handle_VRFY = requires(H& h, connection& c, session& s, envelope<C>& e,
                                   std::string_view address) {
    { h.handle_VRFY(c, s, e, address) } -> detail::returns<reply>;
};

template <class H, class C>
concept has_handle_MAIL = requires(H& h, connection& c, session& s, envelope<C>& e,
                                   std::string_view address, std::span<const std::string> opts) {
    { h.handle_MAIL(c, s, e, address, opts) } -> detail::returns<reply>;
};

template <class H, class C>
concept has_handle_RCPT = requires(H& h, connection& c, session& s, envelope<C>& e,
                                   std::string_view address, std::span<const std::string> opts) {
    { h.handle_RCPT(c, s, e, address, opts) } -> detail::returns<reply>;
};

template <class H, class C>
concept has_handle_DATA = requires(H& h, connection& c, session& s, envelope<C>& e) {
    { h.handle_DATA(c, s, e) } -> detail::returns<reply>;
};

template <class H>
concept has_handle_exception = requires(H& h, const std::exception& error) {
    { h.handle_exception(error) } -> detail::returns<reply>;
};

/// `handle_AUTH(conn, session, envelope, std::span<const std::string> args)`: replaces the whole
/// mechanism machinery (aiosmtpd's handle_AUTH). `args` are AUTH's words, `args[0]` the
/// mechanism as the client spelled it. It runs after AUTH's checks (greeting, TLS, already
/// authenticated, a known mechanism) and must set `session.authenticated` itself.
template <class H, class C>
concept has_handle_AUTH = requires(H& h, connection& c, session& s, envelope<C>& e,
                                   std::span<const std::string> args) {
    { h.handle_AUTH(c, s, e, args) } -> detail::returns<reply>;
};

/// `authenticate(conn, session, envelope, std::string_view mechanism, const login_password&)`:
/// checks the credentials PLAIN and LOGIN collect (aiosmtpd's `authenticator`), plain or
/// coroutine. Without it every login fails.
template <class H, class C>
concept has_authenticate = requires(H& h, connection& c, session& s, envelope<C>& e,
                                    std::string_view mechanism, const login_password& credentials) {
    { h.authenticate(c, s, e, mechanism, credentials) } -> detail::returns<auth_result>;
};

/// `auth_PLAIN` / `auth_LOGIN(conn, session, envelope, std::optional<std::string> initial)`:
/// the handler's own implementation of a built-in mechanism (aiosmtpd's `auth_PLAIN`), with the
/// initial response already decoded.
template <class H, class C>
concept has_auth_PLAIN = requires(H& h, connection& c, session& s, envelope<C>& e,
                                  std::optional<std::string> initial) {
    { h.auth_PLAIN(c, s, e, std::move(initial)) } -> detail::returns<auth_result>;
};
template <class H, class C>
concept has_auth_LOGIN = requires(H& h, connection& c, session& s, envelope<C>& e,
                                  std::optional<std::string> initial) {
    { h.auth_LOGIN(c, s, e, std::move(initial)) } -> detail::returns<auth_result>;
};

/// `handle_STARTTLS(conn, session, envelope) -> bool`: called once a STARTTLS handshake has
/// succeeded (`session.ssl` is set); false makes every later command but QUIT get
/// `554 Command refused due to lack of security`. Plain or coroutine (aiosmtpd: plain only).
template <class H, class C>
concept has_handle_STARTTLS = requires(H& h, connection& c, session& s, envelope<C>& e) {
    { h.handle_STARTTLS(c, s, e) } -> detail::returns<bool>;
};

/// `handle_DATA_recipient(conn, session, envelope, std::string_view recipient)`: in LMTP, the
/// reply for one accepted recipient, called once per recipient in RCPT order after DATA. Without
/// it, handle_DATA's reply (or 250 OK) goes to every recipient.
template <class H, class C>
concept has_handle_DATA_recipient = requires(H& h, connection& c, session& s, envelope<C>& e,
                                             std::string_view recipient) {
    { h.handle_DATA_recipient(c, s, e, recipient) } -> detail::returns<reply>;
};

/// `handle_DATA_chunk(conn, session, envelope, std::string_view bytes)`: streaming DATA. A
/// handler that declares it gets the message body piece by piece as it arrives (dot-stuffing
/// removed after DATA; the chunks' octets after BDAT), so memory does not grow with the message:
/// the body is not gathered in `envelope.original_content`, `envelope.content` stays empty and
/// the DecodePolicy does not look at it. When the body is complete, handle_DATA (when declared)
/// gives the reply, else `250 OK`. Return the empty reply to go on; any other reply refuses the
/// message: the rest of it is read and dropped, and that reply answers it.
template <class H, class C>
concept has_handle_DATA_chunk = requires(H& h, connection& c, session& s, envelope<C>& e,
                                         std::string_view bytes) {
    { h.handle_DATA_chunk(c, s, e, bytes) } -> detail::returns<reply>;
};

/// `void handle_DATA_abort(conn, session, envelope)`: a streamed message that began (DATA was
/// answered 354, or a first BDAT chunk was accepted) will not complete: the client vanished or
/// timed out, the message was too big or had a line too long, a chunk was refused, or RSET, a
/// new HELO/EHLO or STARTTLS ended a BDAT transaction. Undo what the chunks began, e.g. delete
/// a temporary file. It may be a coroutine returning `boost::asio::awaitable<void>`.
template <class H, class C>
concept has_handle_DATA_abort = requires(H& h, connection& c, session& s, envelope<C>& e) {
    { h.handle_DATA_abort(c, s, e) } -> detail::returns<void>;
};

/// `handle_PROXY(conn, session, envelope, const smtp::proxy_data&) -> bool`: accepts or refuses
/// a connection after its PROXY header (false closes it without a reply). Without it, every
/// valid header from a trusted sender is accepted (aiosmtpd refuses all).
template <class H, class C>
concept has_handle_PROXY = requires(H& h, connection& c, session& s, envelope<C>& e,
                                    const proxy_data& data) {
    { h.handle_PROXY(c, s, e, data) } -> detail::returns<bool>;
};

/// What a `trace` hook is told about.
enum class trace_event {
    connected, // a session starts (bytes: empty)
    command,   // a command line was received (bytes: the line, CRLF included; an AUTH
               // initial response and every SASL response as `********`)
    data,      // message bytes were received after DATA (bytes: as received, still dot-stuffed)
    reply,     // bytes are about to be written (one or more whole reply lines)
    closed     // the session ends (bytes: empty)
};

/// Optional `void trace(const smtp::connection&, smtp::trace_event, std::string_view bytes)`:
/// sees the raw conversation, for logging (aiosmtpd's `mail.log` debug lines), less the AUTH
/// secrets, which the server masks before any trace sees them. Absent, it costs nothing.
template <class H>
concept has_trace = requires(H& h, const connection& c, trace_event e, std::string_view bytes) {
    h.trace(c, e, bytes);
};

// Observability (docs/observability.md): plain functions, called synchronously on the session's
// thread, so they must be quick (count, add, push to a queue). With several server threads they
// run concurrently: keep their state in atomics or behind a lock.

/// `void connection_opened(const smtp::connection&)`: a connection was accepted (before any
/// limit refuses it; `conn.session().peer` is set).
template <class H>
concept has_connection_opened = requires(H& h, const connection& c) {
    h.connection_opened(c);
};

/// `void connection_closed(const smtp::connection&, const smtp::connection_stats&)`: the
/// connection is closed; every connection_opened has one.
template <class H>
concept has_connection_closed = requires(H& h, const connection& c, const connection_stats& s) {
    h.connection_closed(c, s);
};

/// `void message_accepted(const smtp::connection&, const smtp::message_stats&)`: DATA was
/// answered with a 2xx.
template <class H>
concept has_message_accepted = requires(H& h, const connection& c, const message_stats& s) {
    h.message_accepted(c, s);
};

/// `void message_rejected(const smtp::connection&, const smtp::message_stats&)`: DATA was
/// answered with anything else (the handler's refusal, too big, a line too long, undecodable).
template <class H>
concept has_message_rejected = requires(H& h, const connection& c, const message_stats& s) {
    h.message_rejected(c, s);
};

/// `void message_aborted(const smtp::connection&, const smtp::message_stats&)`: a message that
/// began (DATA was answered 354, or a first BDAT came) did not complete: the client vanished or
/// went silent. `reply_code` is 0.
template <class H>
concept has_message_aborted = requires(H& h, const connection& c, const message_stats& s) {
    h.message_aborted(c, s);
};

/// `void auth_completed(const smtp::connection&, std::string_view mechanism, bool success)`: an
/// AUTH exchange ended with its final reply queued (`mechanism` upper-cased as offered, or the
/// client's spelling under handle_AUTH). On success `conn.session().login_data` names the user.
/// A cancelled or undecodable exchange counts as a failure.
template <class H>
concept has_auth_completed = requires(H& h, const connection& c, std::string_view mechanism,
                                      bool success) {
    h.auth_completed(c, mechanism, success);
};

/// `void tls_handshake(const smtp::connection&, bool success)`: a TLS handshake ended (after
/// STARTTLS, or at the start of an implicit-TLS connection); on success `conn.session().ssl`
/// holds the version and cipher.
template <class H>
concept has_tls_handshake = requires(H& h, const connection& c, bool success) {
    h.tls_handshake(c, success);
};

/// `void limit_reached(const smtp::connection&, smtp::limit)`: a limit of the options refused
/// something (stats.hpp: which one, and the reply it got).
template <class H>
concept has_limit_reached = requires(H& h, const connection& c, limit which) {
    h.limit_reached(c, which);
};

/// A handler that wants `session.id` and `envelope.message_id` filled in declares
/// `static constexpr bool assign_ids = true;` (smtp::logging::logged does). Without it the IDs
/// stay empty and cost nothing.
template <class H>
concept assigns_ids = requires {
    requires bool(H::assign_ids);
};

namespace detail {

// Naming what is wrong with a hook that cannot be called: the return type, or which parameter.
// Only instantiated for a handler whose hook failed its check, so correct handlers pay nothing.

/// Stands in for any argument when a hook's call is probed one parameter at a time.
struct any_argument {
    template <class T>
    operator T&() const;
};

// `name##_call::with<H, A...>`: whether `h.name(a...)` compiles, whatever it returns.
#define SMTP_DETAIL_CALL_PROBE(name)                                                               \
    struct name##_call {                                                                           \
        template <class H, class... A>                                                             \
        static constexpr bool with = requires(H & h, A&&... a) {                                   \
            h.name(static_cast<A&&>(a)...);                                                        \
        };                                                                                         \
    };

SMTP_DETAIL_CALL_PROBE(handle_HELO)
SMTP_DETAIL_CALL_PROBE(handle_NOOP)
SMTP_DETAIL_CALL_PROBE(handle_QUIT)
SMTP_DETAIL_CALL_PROBE(handle_RSET)
SMTP_DETAIL_CALL_PROBE(handle_VRFY)
SMTP_DETAIL_CALL_PROBE(handle_MAIL)
SMTP_DETAIL_CALL_PROBE(handle_RCPT)
SMTP_DETAIL_CALL_PROBE(handle_DATA)
SMTP_DETAIL_CALL_PROBE(handle_DATA_recipient)
SMTP_DETAIL_CALL_PROBE(handle_DATA_chunk)
SMTP_DETAIL_CALL_PROBE(handle_DATA_abort)
SMTP_DETAIL_CALL_PROBE(handle_AUTH)
SMTP_DETAIL_CALL_PROBE(authenticate)
SMTP_DETAIL_CALL_PROBE(handle_STARTTLS)
SMTP_DETAIL_CALL_PROBE(handle_PROXY)
#undef SMTP_DETAIL_CALL_PROBE

template <class Call, class H, class Params, std::size_t I, class Positions>
struct callable_with_any_at;
template <class Call, class H, class... P, std::size_t I, std::size_t... K>
struct callable_with_any_at<Call, H, std::tuple<P...>, I, std::index_sequence<K...>> {
    static constexpr bool value =
        Call::template with<H, std::conditional_t<K == I, any_argument, P>...>;
};

/// What is wrong with a hook that should be callable with `P...`: 0, the return type (the call
/// compiles); N, parameter N (1-based: the call compiles when any argument stands there); -1,
/// neither alone (the number of parameters, or several of them).
template <class Call, class H, class... P>
consteval int wrong_part_of_hook() {
    if constexpr (Call::template with<H, P...>) {
        return 0;
    } else {
        int wrong = -1;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            ((wrong == -1 && callable_with_any_at<Call, H, std::tuple<P...>, K,
                                                  std::index_sequence<K...>>::value
                  ? wrong = int(K) + 1
                  : 0),
             ...);
        }
        (std::index_sequence_for<P...>{});
        return wrong;
    }
}

// For a hook that failed its check: a first error naming the part that differs, before the one
// that gives the whole signature expected.
#define SMTP_DETAIL_EXPLAIN_HOOK(name, ...)                                                        \
    if constexpr (declares_##name<H> && !has_##name<H, C>) {                                       \
        constexpr int wrong = wrong_part_of_hook<name##_call, H, __VA_ARGS__>();                   \
        static_assert(wrong != 0, #name " takes the parameters expected but returns the wrong "    \
                                        "type (see the signature below)");                         \
        static_assert(wrong != 1, #name ": parameter 1 has the wrong type; expected "              \
                                        "smtp::connection&");                                      \
        static_assert(wrong != 2, #name ": parameter 2 has the wrong type; expected "              \
                                        "smtp::session&");                                         \
        static_assert(wrong != 3, #name ": parameter 3 has the wrong type; expected "              \
                                        "smtp::envelope<C>&");                                     \
        static_assert(wrong != 4, #name ": parameter 4 has the wrong type (see the signature "     \
                                        "below)");                                                 \
        static_assert(wrong != 5, #name ": parameter 5 has the wrong type (see the signature "     \
                                        "below)");                                                 \
        static_assert(wrong != -1, #name ": the number of parameters, or several of their types, " \
                                         "differ from the signature below");                       \
        /* The failed call itself: the compiler's note points at the hook's declaration. */        \
        if constexpr (wrong != 0)                                                                  \
            []<class... P>(std::tuple<P...>*) {                                                    \
                (void)sizeof(std::declval<H&>().name(std::declval<P>()...));                       \
            }(static_cast<std::tuple<__VA_ARGS__>*>(nullptr));                                     \
    }

/// Fails to compile, naming the hook and the expected signature, when H declares a hook that
/// the server cannot call.
template <class H, class C>
consteval bool check_hooks() {
    using E = envelope<C>&;
    SMTP_DETAIL_EXPLAIN_HOOK(handle_HELO, connection&, session&, E, std::string_view)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_NOOP, connection&, session&, E, std::string_view)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_QUIT, connection&, session&, E)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_RSET, connection&, session&, E)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_VRFY, connection&, session&, E, std::string_view)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_MAIL, connection&, session&, E, std::string_view,
                             std::span<const std::string>)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_RCPT, connection&, session&, E, std::string_view,
                             std::span<const std::string>)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_DATA, connection&, session&, E)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_DATA_recipient, connection&, session&, E, std::string_view)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_DATA_chunk, connection&, session&, E, std::string_view)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_DATA_abort, connection&, session&, E)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_AUTH, connection&, session&, E, std::span<const std::string>)
    SMTP_DETAIL_EXPLAIN_HOOK(authenticate, connection&, session&, E, std::string_view,
                             const login_password&)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_STARTTLS, connection&, session&, E)
    SMTP_DETAIL_EXPLAIN_HOOK(handle_PROXY, connection&, session&, E, const proxy_data&)
    static_assert(!declares_handle_HELO<H> || has_handle_HELO<H, C>,
                  "handle_HELO is declared but cannot be called as "
                  "smtp::reply handle_HELO(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "std::string_view hostname) (or returning boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_EHLO<H> || has_handle_EHLO<H, C>,
                  "handle_EHLO is declared but cannot be called as either "
                  "smtp::reply handle_EHLO(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "std::string_view hostname) or std::vector<std::string> handle_EHLO("
                  "smtp::connection&, smtp::session&, smtp::envelope<C>&, std::string_view "
                  "hostname, std::vector<std::string> responses) (or their awaitable forms). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!(has_handle_EHLO_push<H, C> && has_handle_EHLO_lines<H, C>),
                  "handle_EHLO: declare one form only (4 or 5 arguments), not both.");
    static_assert(!declares_handle_NOOP<H> || has_handle_NOOP<H, C>,
                  "handle_NOOP is declared but cannot be called as "
                  "smtp::reply handle_NOOP(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "std::string_view arg) (or returning boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_QUIT<H> || has_handle_QUIT<H, C>,
                  "handle_QUIT is declared but cannot be called as "
                  "smtp::reply handle_QUIT(smtp::connection&, smtp::session&, smtp::envelope<C>&) "
                  "(or returning boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_RSET<H> || has_handle_RSET<H, C>,
                  "handle_RSET is declared but cannot be called as "
                  "smtp::reply handle_RSET(smtp::connection&, smtp::session&, smtp::envelope<C>&) "
                  "(or returning boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_VRFY<H> || has_handle_VRFY<H, C>,
                  "handle_VRFY is declared but cannot be called as "
                  "smtp::reply handle_VRFY(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "std::string_view address) (or returning boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_MAIL<H> || has_handle_MAIL<H, C>,
                  "handle_MAIL is declared but cannot be called as "
                  "smtp::reply handle_MAIL(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "std::string_view address, std::span<const std::string> options) (or returning "
                  "boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_RCPT<H> || has_handle_RCPT<H, C>,
                  "handle_RCPT is declared but cannot be called as "
                  "smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "std::string_view address, std::span<const std::string> options) (or returning "
                  "boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_DATA<H> || has_handle_DATA<H, C>,
                  "handle_DATA is declared but cannot be called as "
                  "smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<C>&) "
                  "(or returning boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_exception<H> || has_handle_exception<H>,
                  "handle_exception is declared but cannot be called as "
                  "smtp::reply handle_exception(const std::exception&) (or returning "
                  "boost::asio::awaitable<smtp::reply>). "
                  "If two bases define it, define it in the handler or add a using-declaration.");
    static_assert(!declares_handle_AUTH<H> || has_handle_AUTH<H, C>,
                  "handle_AUTH is declared but cannot be called as "
                  "smtp::reply handle_AUTH(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "std::span<const std::string> args) (or returning "
                  "boost::asio::awaitable<smtp::reply>).");
    static_assert(!declares_authenticate<H> || has_authenticate<H, C>,
                  "authenticate is declared but cannot be called as "
                  "smtp::auth_result authenticate(smtp::connection&, smtp::session&, "
                  "smtp::envelope<C>&, std::string_view mechanism, const smtp::login_password&) "
                  "(or returning boost::asio::awaitable<smtp::auth_result>).");
    static_assert(!declares_auth_PLAIN<H> || has_auth_PLAIN<H, C>,
                  "auth_PLAIN is declared but cannot be called as "
                  "smtp::auth_result auth_PLAIN(smtp::connection&, smtp::session&, "
                  "smtp::envelope<C>&, std::optional<std::string> initial_response) (or returning "
                  "boost::asio::awaitable<smtp::auth_result>).");
    static_assert(!declares_auth_LOGIN<H> || has_auth_LOGIN<H, C>,
                  "auth_LOGIN is declared but cannot be called as "
                  "smtp::auth_result auth_LOGIN(smtp::connection&, smtp::session&, "
                  "smtp::envelope<C>&, std::optional<std::string> initial_response) (or returning "
                  "boost::asio::awaitable<smtp::auth_result>).");
    static_assert(!declares_handle_STARTTLS<H> || has_handle_STARTTLS<H, C>,
                  "handle_STARTTLS is declared but cannot be called as "
                  "bool handle_STARTTLS(smtp::connection&, smtp::session&, smtp::envelope<C>&) "
                  "(or returning boost::asio::awaitable<bool>).");
    static_assert(!declares_handle_DATA_recipient<H> || has_handle_DATA_recipient<H, C>,
                  "handle_DATA_recipient is declared but cannot be called as "
                  "smtp::reply handle_DATA_recipient(smtp::connection&, smtp::session&, "
                  "smtp::envelope<C>&, std::string_view recipient) (or returning "
                  "boost::asio::awaitable<smtp::reply>).");
    static_assert(!declares_handle_DATA_chunk<H> || has_handle_DATA_chunk<H, C>,
                  "handle_DATA_chunk is declared but cannot be called as "
                  "smtp::reply handle_DATA_chunk(smtp::connection&, smtp::session&, "
                  "smtp::envelope<C>&, std::string_view bytes) (or returning "
                  "boost::asio::awaitable<smtp::reply>).");
    static_assert(!declares_handle_DATA_abort<H> || has_handle_DATA_abort<H, C>,
                  "handle_DATA_abort is declared but cannot be called as "
                  "void handle_DATA_abort(smtp::connection&, smtp::session&, smtp::envelope<C>&) "
                  "(or returning boost::asio::awaitable<void>).");
    static_assert(!declares_handle_DATA_abort<H> || declares_handle_DATA_chunk<H>,
                  "handle_DATA_abort is only called for streamed messages: declare "
                  "handle_DATA_chunk too.");
    static_assert(!declares_handle_PROXY<H> || has_handle_PROXY<H, C>,
                  "handle_PROXY is declared but cannot be called as "
                  "bool handle_PROXY(smtp::connection&, smtp::session&, smtp::envelope<C>&, "
                  "const smtp::proxy_data&) (or returning boost::asio::awaitable<bool>).");
    static_assert(
        !declares_trace<H> || has_trace<H>,
        "trace is declared but cannot be called as "
        "void trace(const smtp::connection&, smtp::trace_event, std::string_view bytes).");
    static_assert(!declares_connection_opened<H> || has_connection_opened<H>,
                  "connection_opened is declared but cannot be called as "
                  "void connection_opened(const smtp::connection&).");
    static_assert(
        !declares_connection_closed<H> || has_connection_closed<H>,
        "connection_closed is declared but cannot be called as "
        "void connection_closed(const smtp::connection&, const smtp::connection_stats&).");
    static_assert(!declares_message_accepted<H> || has_message_accepted<H>,
                  "message_accepted is declared but cannot be called as "
                  "void message_accepted(const smtp::connection&, const smtp::message_stats&).");
    static_assert(!declares_message_rejected<H> || has_message_rejected<H>,
                  "message_rejected is declared but cannot be called as "
                  "void message_rejected(const smtp::connection&, const smtp::message_stats&).");
    static_assert(!declares_message_aborted<H> || has_message_aborted<H>,
                  "message_aborted is declared but cannot be called as "
                  "void message_aborted(const smtp::connection&, const smtp::message_stats&).");
    static_assert(!declares_auth_completed<H> || has_auth_completed<H>,
                  "auth_completed is declared but cannot be called as "
                  "void auth_completed(const smtp::connection&, std::string_view mechanism, "
                  "bool success).");
    static_assert(!declares_tls_handshake<H> || has_tls_handshake<H>,
                  "tls_handshake is declared but cannot be called as "
                  "void tls_handshake(const smtp::connection&, bool success).");
    static_assert(!declares_limit_reached<H> || has_limit_reached<H>,
                  "limit_reached is declared but cannot be called as "
                  "void limit_reached(const smtp::connection&, smtp::limit).");
    return true;
}
#undef SMTP_DETAIL_EXPLAIN_HOOK

} // namespace detail
} // namespace smtp

#endif
