#ifndef SMTP_HANDLERS_RECIPIENT_MAILBOX_HPP
#define SMTP_HANDLERS_RECIPIENT_MAILBOX_HPP

#include <smtp/detail/ascii.hpp>
#include <smtp/envelope.hpp>
#include <smtp/handlers/detail/maildir.hpp>
#include <smtp/handlers/detail/maildir_delivery.hpp>
#include <smtp/handlers/mailbox.hpp>
#include <smtp/handlers/message.hpp>
#include <smtp/parsed_message.hpp>
#include <smtp/reply.hpp>
#include <smtp/session.hpp>
#include <smtp/usage_error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

namespace smtp {
class connection;
}

namespace smtp::handlers {

namespace detail {

/// One part of an address as a folder name: not empty, not starting with '.' (so never `.` or
/// `..`), no `/`, `\`, control character or DEL; lower-cased (ASCII letters).
inline std::optional<std::string> folder_name(std::string_view part) {
    if (part.empty() || part.front() == '.') return std::nullopt;
    std::string name;
    name.reserve(part.size());
    for (char c : part) {
        auto u = static_cast<unsigned char>(c);
        if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f) return std::nullopt;
        name.push_back(smtp::detail::ascii_lower(c));
    }
    return name;
}

/// The default layout of a per-recipient mailbox: `root/<domain>/<local-part>`, both parts
/// lower-cased, split at the last `@`. Nothing for an address that could name a folder outside
/// `root` or none at all (no `@`, an empty part, `/`, a leading `.`).
inline std::optional<std::filesystem::path> recipient_maildir(const std::filesystem::path& root,
                                                              std::string_view address) {
    auto at = address.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    auto local = folder_name(address.substr(0, at));
    auto domain = folder_name(address.substr(at + 1));
    if (!local || !domain) return std::nullopt;
    return root / *domain / *local;
}

} // namespace detail

/// A Maildir per recipient: each accepted recipient gets a copy of the message in its own
/// Maildir, written and fsynced (as `mailbox` does) before the client hears `250`.
///
/// Where a recipient's copy goes is `maildir_for(address)`: by default `DIR/<domain>/<local>/`,
/// both parts lower-cased, each Maildir made on first delivery. An address that would name a
/// folder outside DIR (`../x@d`, `a/b@d`, `.x@d`) or none (no domain) is refused at RCPT with
/// `550 5.1.1 Error: no mailbox for this address` — and again at delivery, should a derived
/// class's own `handle_RCPT` have let it through. Define `maildir_for` in a derived class
/// (`basic_recipient_mailbox<itself>`) for another layout, or to look users up:
///
/// \code
/// struct users : smtp::handlers::basic_recipient_mailbox<users> {
///     using basic_recipient_mailbox::basic_recipient_mailbox;
///     std::optional<std::filesystem::path> maildir_for(std::string_view address) const {
///         if (address == "alice@example.com") return "/srv/mail/alice";
///         return std::nullopt; // refused at RCPT
///     }
/// };
/// \endcode
///
/// In LMTP each recipient gets its own reply (`handle_DATA_recipient`): one full disk fails
/// that recipient alone. In SMTP the one reply is `250` when every copy was written, else the
/// first failure's 451 (the copies already written stay: the client will send again).
///
/// Each copy is the message as `prepare_message(session, envelope, recipient)` makes it:
/// aiosmtpd's `X-Peer`, `X-MailFrom` and `X-RcptTo`, the last naming that recipient only (the
/// others may be Bcc recipients), and `Delivered-To: <recipient>` before every other field.
template <class Derived = void, class Message = smtp::parsed_message>
class basic_recipient_mailbox {
    using self_type = detail::most_derived<Derived, basic_recipient_mailbox>;

public:
    /// Its name on the command line, with `--per-recipient`: `-c Mailbox DIR --per-recipient`.
    static constexpr const char* cli_name = "Mailbox";
    /// It is the per-recipient form of `Mailbox` (`--per-recipient` chooses it).
    static constexpr bool cli_per_recipient = true;

    /// Delivers below `root`, creating it when missing. Throws
    /// std::filesystem::filesystem_error when it cannot be created.
    explicit basic_recipient_mailbox(std::filesystem::path root, mailbox_options opts = {})
        : root_(std::move(root)), crlf_(opts.crlf),
          pool_(std::make_shared<boost::asio::thread_pool>(opts.threads ? opts.threads : 1)) {
        std::filesystem::create_directories(root_);
    }

    /// `-c Mailbox DIR --per-recipient`, with the errors of `-c Mailbox DIR`.
    static basic_recipient_mailbox from_cli(std::span<const std::string> args) {
        if (args.empty()) throw usage_error("The directory for the maildir is required");
        if (args.size() > 1) throw usage_error("Too many arguments for Mailbox handler");
        try {
            return basic_recipient_mailbox(args[0]);
        } catch (const std::filesystem::filesystem_error& e) {
            throw usage_error("Cannot create the maildir " + args[0] + ": " + e.code().message());
        }
    }

    /// The Maildir of `address`, or nothing when it has none (see above).
    std::optional<std::filesystem::path> maildir_for(std::string_view address) const {
        return detail::recipient_maildir(root_, address);
    }

    /// Refuses a recipient without a Maildir.
    template <class Content>
    reply handle_RCPT(connection&, session&, envelope<Content>& env, std::string_view address,
                      std::span<const std::string> options) {
        if (!self().maildir_for(address)) return no_mailbox();
        env.add_recipient(address, options);
        return reply::ok();
    }

    /// SMTP: a copy for every recipient, then one reply.
    template <class Content>
    boost::asio::awaitable<reply> handle_DATA(connection&, session& s, envelope<Content>& env) {
        for (const std::string& recipient : env.rcpt_tos) {
            reply r = co_await deliver_copy(s, env, recipient);
            if (!r.positive()) co_return r;
        }
        co_return reply::ok();
    }

    /// LMTP: this recipient's copy, and its own reply.
    template <class Content>
    boost::asio::awaitable<reply> handle_DATA_recipient(connection&, session& s,
                                                        envelope<Content>& env,
                                                        std::string_view recipient) {
        co_return co_await deliver_copy(s, env, recipient);
    }

    /// The copy `recipient` gets (see above).
    template <class Content>
    Message prepare_message(const session& s, const envelope<Content>& env,
                            std::string_view recipient) {
        Message m = detail::prepare_message<Message>(s, env, recipient);
        if constexpr (requires { m.prepend_header(recipient, recipient); })
            m.prepend_header("Delivered-To", recipient);
        return m;
    }

    /// The reply when a delivery failed: as `mailbox::delivery_failed`.
    reply delivery_failed(const std::system_error& error) {
        return detail::delivery_failure_reply(error);
    }

    /// Makes the root folder the given user's (see `mailbox::prepare_storage_for`); the
    /// Maildirs below it are made later, by that user.
    void prepare_storage_for(::uid_t uid, ::gid_t gid) const {
        if (::chown(root_.c_str(), uid, gid) != 0)
            throw std::system_error(errno, std::generic_category(), "chown " + root_.string());
    }

    /// The folder the Maildirs are in.
    const std::filesystem::path& root() const noexcept { return root_; }

private:
    self_type& self() noexcept { return static_cast<self_type&>(*this); }

    static reply no_mailbox() { return {550, "5.1.1 Error: no mailbox for this address"}; }

    template <class Content>
    boost::asio::awaitable<reply> deliver_copy(const session& s, const envelope<Content>& env,
                                               std::string_view recipient) {
        auto folder = self().maildir_for(recipient);
        if (!folder) co_return no_mailbox(); // a derived handle_RCPT let it through
        Message m = self().prepare_message(s, env, recipient);
        // Line breaks become LF unless asked to keep them; BINARYMIME is stored byte for byte.
        // (Named, not temporaries: GCC 12 may destroy a temporary argument of a coroutine
        // called in a co_await expression too early.)
        detail::maildir_delivery how{std::move(*folder),
                                     crlf_ || env.body == body_type::binary_mime, true};
        std::string bytes = message_traits<Message>::to_bytes(m);
        auto failed = [this](const std::system_error& e) { return self().delivery_failed(e); };
        co_return co_await detail::deliver_on(*pool_, std::move(how), std::move(bytes), failed);
    }

    std::filesystem::path root_;
    bool crlf_;
    std::shared_ptr<boost::asio::thread_pool> pool_;
};

/// A Maildir per recipient, as it is (`-c Mailbox DIR --per-recipient`).
using recipient_mailbox = basic_recipient_mailbox<>;

} // namespace smtp::handlers

#endif
