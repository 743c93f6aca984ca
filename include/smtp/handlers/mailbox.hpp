#ifndef SMTP_HANDLERS_MAILBOX_HPP
#define SMTP_HANDLERS_MAILBOX_HPP

#include <smtp/handlers/async_message.hpp>
#include <smtp/handlers/detail/maildir.hpp>
#include <smtp/handlers/detail/maildir_delivery.hpp>
#include <smtp/handlers/message.hpp>
#include <smtp/parsed_message.hpp>
#include <smtp/reply.hpp>
#include <smtp/usage_error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace smtp::handlers {

/// How a mailbox writes.
struct mailbox_options {
    /// Threads that write files. Shared by copies of the handler; deliveries wait in line for
    /// one.
    std::size_t threads = 2;
    /// Keep the message's CRLF line breaks on disk. By default every line break is written as
    /// LF, the Unix convention of Maildir readers, and what aiosmtpd's Mailbox writes.
    bool crlf = false;
};

/// aiosmtpd's `Mailbox` handler: every message goes into a Maildir, crash-safely.
///
/// Each message, prepared as by `message` (with `X-Peer`, `X-MailFrom` and `X-RcptTo`), is
/// written to `tmp/` under a unique name (`<time>.M<usec>P<pid>Q<count>.<host>`), fsynced,
/// renamed into `new/`, and `new/` is fsynced: only then does the client get `250 OK`. When any
/// step fails the client gets a 451 (`4.3.1` for a full disk or quota, `4.3.0` otherwise) and
/// nothing is left in `new/` or `tmp/`. The file work runs on a thread pool the handler owns,
/// never on the connection's thread.
///
/// `mailbox` (`basic_mailbox<>`) is usable as it is; a handler that adds hooks derives from
/// it, and one that overrides `prepare_message`, `handle_message` or `delivery_failed` derives
/// from `basic_mailbox<itself>`:
///
/// \code
/// struct inbox : smtp::handlers::mailbox {        // adds a hook
///     using basic_mailbox::basic_mailbox;
///     smtp::reply handle_RCPT(...);
/// };
/// struct tagged : smtp::handlers::basic_mailbox<tagged> { // overrides prepare_message
///     using basic_mailbox::basic_mailbox;
///     template <class C>
///     smtp::parsed_message prepare_message(const smtp::session& s, const smtp::envelope<C>& e) {
///         auto m = basic_mailbox::prepare_message(s, e);
///         m.add_header("X-Tag", "inbox");
///         return m;
///     }
/// };
/// \endcode
///
/// `Message` must be writable with `message_traits<Message>::to_bytes` (message.hpp).
template <class Derived = void, class Message = smtp::parsed_message>
class basic_mailbox
    : public async_message<detail::most_derived<Derived, basic_mailbox<Derived, Message>>,
                           Message> {
public:
    /// Its name on the command line (`-c Mailbox DIR`).
    static constexpr const char* cli_name = "Mailbox";

    /// Uses the Maildir at `directory`, creating it (its tmp/, new/, cur/, and the folders
    /// above it) when missing. Throws std::filesystem::filesystem_error when it cannot be
    /// created.
    explicit basic_mailbox(std::filesystem::path directory, mailbox_options opts = {})
        : directory_(std::move(directory)), crlf_(opts.crlf),
          pool_(std::make_shared<boost::asio::thread_pool>(opts.threads ? opts.threads : 1)) {
        detail::make_maildir(directory_);
    }

    /// `-c Mailbox DIR`, with aiosmtpd's errors (and a usage error when DIR cannot be created).
    static basic_mailbox from_cli(std::span<const std::string> args) {
        if (args.empty()) throw usage_error("The directory for the maildir is required");
        if (args.size() > 1) throw usage_error("Too many arguments for Mailbox handler");
        try {
            return basic_mailbox(args[0]);
        } catch (const std::filesystem::filesystem_error& e) {
            // aiosmtpd fails with a traceback here; a usage error says what is wrong.
            throw usage_error("Cannot create the maildir " + args[0] + ": " + e.code().message());
        }
    }

    /// The hook: as `async_message`'s, but a BINARYMIME message (RFC 3030) is stored byte for
    /// byte: turning its CRs into LFs would alter binary content after the `250`. (A derived
    /// class with its own `handle_message` gets every message, and decides.)
    template <class Content>
    boost::asio::awaitable<reply> handle_DATA(connection& conn, session& s,
                                              envelope<Content>& env) {
        using self_type = detail::most_derived<Derived, basic_mailbox>;
        constexpr bool own_handle_message = requires {
            requires std::is_same_v<decltype(&self_type::handle_message),
                                    decltype(&basic_mailbox::handle_message)>;
        };
        if constexpr (own_handle_message) {
            if (env.body == body_type::binary_mime) {
                Message m = static_cast<self_type&>(*this).prepare_message(s, env);
                co_return co_await store(m, true);
            }
        }
        co_return co_await base_type::handle_DATA(conn, s, env);
    }

    /// Delivers the message off the connection's thread; 250 once it is safely in new/, else
    /// what `delivery_failed` says.
    boost::asio::awaitable<reply> handle_message(Message& m) { return store(m, crlf_); }

    /// The reply when a delivery failed: `451 4.3.1` for a full disk or quota, `451 4.3.0`
    /// otherwise. Define it in the derived class to log the error or answer differently.
    reply delivery_failed(const std::system_error& error) {
        return detail::delivery_failure_reply(error);
    }

    /// Writes `bytes` as one message, synchronously, on the calling thread; returns its name in
    /// new/ (the key Python's `mailbox.Maildir` uses). Throws std::system_error.
    std::string deliver(std::string_view bytes) const {
        return detail::maildir_deliver(directory_,
                                       crlf_ ? std::string(bytes) : detail::to_lf(bytes));
    }

    /// aiosmtpd's `reset()`: removes every message from new/ and cur/.
    void reset() {
        for (const char* sub : {"new", "cur"})
            for (const auto& entry : std::filesystem::directory_iterator(directory_ / sub))
                if (!entry.path().filename().string().starts_with("."))
                    std::filesystem::remove(entry.path());
    }

    /// The Maildir.
    const std::filesystem::path& directory() const noexcept { return directory_; }

    /// Makes the Maildir (its folder and tmp/, new/, cur/) the given user's: `smtpd`, started as
    /// root, calls it before it becomes `nobody`, so that deliveries can write there. Throws
    /// std::system_error.
    void prepare_storage_for(::uid_t uid, ::gid_t gid) const {
        for (const char* sub : {"", "tmp", "new", "cur"}) {
            auto path = directory_ / sub;
            if (::chown(path.c_str(), uid, gid) != 0)
                throw std::system_error(errno, std::generic_category(), "chown " + path.string());
        }
    }

private:
    using base_type =
        async_message<detail::most_derived<Derived, basic_mailbox<Derived, Message>>, Message>;

    /// Writes the message off the connection's thread, line breaks kept or made LF.
    boost::asio::awaitable<reply> store(Message& m, bool keep_line_breaks) {
        auto& self = static_cast<detail::most_derived<Derived, basic_mailbox>&>(*this);
        return detail::deliver_on(
            *pool_, {directory_, keep_line_breaks}, message_traits<Message>::to_bytes(m),
            [&self](const std::system_error& e) { return self.delivery_failed(e); });
    }

    std::filesystem::path directory_;
    bool crlf_;
    std::shared_ptr<boost::asio::thread_pool> pool_;
};

/// The Maildir handler as it is (`-c Mailbox DIR` on the command line).
using mailbox = basic_mailbox<>;

} // namespace smtp::handlers

#endif
