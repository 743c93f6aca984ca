#ifndef SMTP_TESTING_SESSION_HPP
#define SMTP_TESTING_SESSION_HPP

#include <smtp/detail/dot_stuff.hpp>
#include <smtp/detail/reply_parser.hpp>
#include <smtp/options.hpp>
#include <smtp/reply.hpp>
#include <smtp/server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// Helpers for testing your own handlers; not part of `<smtp/smtp.hpp>`.
namespace smtp::testing {

/// A reply as a client reads it off the wire.
struct parsed_reply {
    /// The three-digit code.
    int code = 0;
    /// The text of each line, without the code and the `-` or space after it.
    std::vector<std::string> lines = {};
    /// The reply exactly as it was received, every line ending in CRLF.
    std::string wire = {};

    /// The lines joined with "\n", as `smtp::reply::text` holds them.
    std::string text() const {
        std::string out;
        for (std::size_t i = 0; i < lines.size(); ++i)
            out.append(i == 0 ? "" : "\n").append(lines[i]);
        return out;
    }
    /// True when one of the lines is `line` (an EHLO keyword such as "PIPELINING", say).
    bool has_line(std::string_view line) const {
        for (const auto& l : lines)
            if (l == line) return true;
        return false;
    }
};

/// One SMTP session with a real `smtp::server`, driven from the test's own thread, with no
/// listener, no port and no other thread: the way to test a Handler (Beast's `test::stream`
/// idea, for SMTP).
///
/// The server serves one end of a connected pair of UNIX-domain sockets (`server::serve`); the
/// session is the client on the other end. Every call runs the session's io_context, and so
/// the server and the handler's hooks, on the calling thread until what it waits for has
/// happened, for at most timeout() (5 s unless set_timeout() says otherwise). A reply that does
/// not come in time, a connection the server closed, or a reply code other than the one
/// expected, throws `std::runtime_error` with what was received: a test fails with a message,
/// and never hangs.
///
/// \code
/// smtp::testing::session<my_handler> s{{}, {.hostname = "mx.test"}};
/// s.ehlo();                                          // reads the greeting, then EHLO
/// s.expect(s.mail("anne@example.com"), 250);
/// BOOST_TEST(s.rcpt("nobody@example.com").code == 550);
/// \endcode
///
/// The server sees a local peer (`session.peer.family` is `local`, no host). STARTTLS needs a
/// TLS client, which the session is not; test TLS over loopback instead.
///
/// \tparam Handler      the handler under test; see hooks.hpp.
/// \tparam AuthPolicy   as for smtp::server.
/// \tparam DecodePolicy as for smtp::server.
template <class Handler, class AuthPolicy = auth::builtin, class DecodePolicy = decode::bytes>
class session {
public:
    /// The server that serves the session.
    using server_type = smtp::server<Handler, AuthPolicy, DecodePolicy>;
    /// How long each call may wait.
    using duration = std::chrono::steady_clock::duration;

    /// Starts the session: the server begins serving it (its greeting is then on the way).
    /// An empty `opts.hostname` means the machine's name, as for any server; give one to know
    /// the greeting and EHLO replies byte for byte.
    explicit session(Handler handler = Handler{}, smtp::options opts = {})
        : server_(std::move(handler), std::move(opts)) {
        boost::asio::local::stream_protocol::socket server_end(io_);
        boost::asio::local::connect_pair(client_, server_end);
        connection::socket_type socket(std::move(server_end));
        boost::asio::co_spawn(io_, server_.serve(std::move(socket)),
                              [this](std::exception_ptr error) {
                                  served_ = true;
                                  serve_error_ = error;
                              });
        start_read();
    }

    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Hangs up, gives the server up to timeout() to end the session, then destroys what is
    /// left of it.
    ~session() {
        try {
            close();
        } catch (...) { // nothing may escape a destructor; the test has its verdict already
        }
    }

    /// The handler under test (the server's copy).
    Handler& handler() noexcept { return server_.handler(); }
    /// The server.
    server_type& server() noexcept { return server_; }

    /// How long each call may wait for the server.
    duration timeout() const noexcept { return timeout_; }
    /// Sets how long each call may wait for the server.
    void set_timeout(duration timeout) noexcept { timeout_ = timeout; }

    /// Sends `bytes` as they are (nothing added), and lets the server act on them before it
    /// returns, so that consecutive calls arrive as separate reads: a test can split a command
    /// line, or DATA's `\r\n.\r\n`, where it likes.
    void send(std::string_view bytes) {
        if (!wait([this] { return !writing_; }))
            fail("an earlier send() still waits for the server to read");
        output_.assign(bytes);
        writing_ = true;
        boost::asio::async_write(client_, boost::asio::buffer(output_),
                                 [this](boost::system::error_code ec, std::size_t) {
                                     writing_ = false;
                                     write_error_ = ec;
                                 });
        if (!wait([this] { return !writing_; }))
            fail("the server read nothing of " + printable(output_));
        if (write_error_) throw boost::system::system_error(write_error_, "smtp::testing::send");
        poll();
    }

    /// Reads the next reply (every line of a multi-line one).
    parsed_reply read_reply() {
        std::optional<parsed_reply> reply;
        if (!wait([&] { return (reply = take_reply()) || eof_; }))
            fail("no reply within " + describe(timeout_) + "; received " + printable(input_));
        if (!reply)
            fail("the server closed the connection; received " + printable(input_) +
                 " before that");
        if (!greeting_) greeting_ = *reply;
        return std::move(*reply);
    }

    /// Reads the next reply; throws unless its code is `code`.
    parsed_reply expect(int code) { return expect(read_reply(), code); }

    /// Returns `reply`; throws unless its code is `code`: `s.expect(s.mail("a@b.c"), 250)`.
    parsed_reply expect(parsed_reply reply, int code) {
        if (reply.code != code)
            fail("expected a " + std::to_string(code) + " reply, got " + printable(reply.wire));
        return reply;
    }

    /// Sends `line` and CRLF, and reads the reply.
    parsed_reply command(std::string_view line) {
        std::string bytes(line);
        send(bytes.append("\r\n"));
        return read_reply();
    }

    /// The server's greeting: the first reply of the session, read now if no call has read it.
    const parsed_reply& greeting() {
        if (!greeting_) read_reply();
        return *greeting_;
    }

    /// Reads the greeting if no call has, then sends `EHLO <name>` and reads the reply.
    parsed_reply ehlo(std::string_view name = "client.test") {
        greeting();
        return command("EHLO " + std::string(name));
    }

    /// Sends `MAIL FROM:<address>` (and ` parameters` when given) and reads the reply. An empty
    /// address is the null sender, `<>`.
    parsed_reply mail(std::string_view address, std::string_view parameters = {}) {
        return command(with_parameters("MAIL FROM:<", address, parameters));
    }

    /// Sends `RCPT TO:<address>` (and ` parameters` when given) and reads the reply.
    parsed_reply rcpt(std::string_view address, std::string_view parameters = {}) {
        return command(with_parameters("RCPT TO:<", address, parameters));
    }

    /// Sends DATA and, after a 354, `content` as a client sends it (line breaks as CRLF, a
    /// leading dot doubled, a final CRLF added when missing, then `.` CRLF); returns the reply
    /// that ends it (the first of them, for LMTP: read_reply() reads the others), or DATA's own
    /// reply when it was not 354.
    parsed_reply data(std::string_view content) {
        parsed_reply go_ahead = command("DATA");
        if (go_ahead.code != 354) return go_ahead;
        send(detail::dot_stuff(content).wire);
        return read_reply();
    }

    /// Sends QUIT and reads the reply.
    parsed_reply quit() { return command("QUIT"); }

    /// True when the server has closed the connection, or closes it within timeout(); false
    /// when it does not (what it sends meanwhile is kept for read_reply()).
    bool closed() {
        return wait([this] { return eof_; });
    }

    /// Hangs up, as a client that vanishes does, and waits for the server to end the session
    /// (its `connection_closed` hook has run when this returns).
    void close() {
        boost::system::error_code ignored;
        client_.close(ignored);
        if (!wait([this] { return served_; })) fail("the server did not end the session");
    }

private:
    // Runs the io_context on this thread until done() or timeout(); false on timeout.
    template <class Done>
    bool wait(Done done) {
        const auto deadline = std::chrono::steady_clock::now() + timeout_;
        while (!done()) {
            if (serve_error_) std::rethrow_exception(std::exchange(serve_error_, nullptr));
            if (io_.stopped()) io_.restart();
            if (io_.run_one_until(deadline) == 0 && !done()) {
                if (std::chrono::steady_clock::now() >= deadline) return false;
                if (io_.stopped()) fail("nothing is left to run, and nothing came");
            }
        }
        return true;
    }

    void poll() {
        if (io_.stopped()) io_.restart();
        io_.poll();
    }

    // Keeps a read pending at all times, so the server is never held up writing its replies.
    void start_read() {
        client_.async_read_some(boost::asio::buffer(chunk_),
                                [this](boost::system::error_code ec, std::size_t n) {
                                    input_.append(chunk_.data(), n);
                                    if (ec)
                                        eof_ = true;
                                    else
                                        start_read();
                                });
    }

    // A whole reply off the front of what was received, if one is there.
    std::optional<parsed_reply> take_reply() {
        detail::reply_parser parser;
        for (std::size_t at = 0;;) {
            std::size_t lf = input_.find('\n', at);
            if (lf == std::string::npos) return std::nullopt;
            std::string_view line(input_.data() + at, lf - at);
            if (line.ends_with('\r')) line.remove_suffix(1);
            at = lf + 1;
            auto status = parser.feed(line);
            if (status == detail::reply_parser::status::invalid)
                fail("not a reply line: " + printable(input_.substr(0, at)));
            if (status == detail::reply_parser::status::done) {
                smtp::reply whole = parser.take();
                parsed_reply reply{whole.code, {}, input_.substr(0, at)};
                for (std::size_t start = 0;;) {
                    std::size_t end = whole.text.find('\n', start);
                    reply.lines.push_back(whole.text.substr(start, end - start));
                    if (end == std::string::npos) break;
                    start = end + 1;
                }
                input_.erase(0, at);
                return reply;
            }
        }
    }

    static std::string with_parameters(std::string_view verb, std::string_view address,
                                       std::string_view parameters) {
        std::string line(verb);
        line.append(address).append(">");
        if (!parameters.empty()) line.append(" ").append(parameters);
        return line;
    }

    // Bytes as a C string literal would show them: "250 OK\r\n".
    static std::string printable(std::string_view bytes) {
        std::string out = "\"";
        for (char c : bytes) {
            if (c == '\r')
                out += "\\r";
            else if (c == '\n')
                out += "\\n";
            else if (c == '"' || c == '\\')
                out.append(1, '\\').append(1, c);
            else
                out += c;
        }
        return out + "\"";
    }

    static std::string describe(duration d) {
        return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
               " ms";
    }

    [[noreturn]] static void fail(const std::string& what) {
        throw std::runtime_error("smtp::testing::session: " + what);
    }

    // The server outlives the io_context: destroying the io_context destroys the session's
    // coroutine, which still refers to the server.
    server_type server_;
    boost::asio::io_context io_{1};
    boost::asio::local::stream_protocol::socket client_{io_};
    std::array<char, 4096> chunk_{};
    std::string input_;  // received, not yet read as replies
    std::string output_; // the send() under way
    bool eof_ = false;
    bool writing_ = false;
    boost::system::error_code write_error_;
    bool served_ = false;
    std::exception_ptr serve_error_;
    std::optional<parsed_reply> greeting_;
    duration timeout_ = std::chrono::seconds(5);
};

} // namespace smtp::testing

#endif
