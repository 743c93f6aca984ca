// docs/handlers.md, "Customising the built-in handlers": the real signatures, compiled (not
// run) by the build so that the guide cannot drift from the headers.
#include <smtp/handlers/mailbox.hpp>
#include <smtp/handlers/recipient_mailbox.hpp>
#include <smtp/server.hpp>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

// [customise-prepare]
// A trace field at the top of each stored message. basic_mailbox<itself>, so that the
// mailbox calls this prepare_message; the built-in one is called inside it.
struct stamped_inbox : smtp::handlers::basic_mailbox<stamped_inbox> {
    using basic_mailbox::basic_mailbox; // the constructor: (path, mailbox_options = {})

    template <class Content>
    smtp::parsed_message prepare_message(const smtp::session& session,
                                         const smtp::envelope<Content>& envelope) {
        smtp::parsed_message m = basic_mailbox::prepare_message(session, envelope); // X-Peer, ...
        m.prepend_header("Received", "from " + session.host_name + " ([" + session.peer.host +
                                         "]) by mx.example.com");
        return m;
    }
};
// [customise-prepare]

// [customise-wrap]
// The inherited handle_DATA is a coroutine (boost::asio::awaitable<smtp::reply>): a handler
// that wraps it awaits it, and may look at the envelope before and the reply after.
struct size_checked_inbox : smtp::handlers::mailbox {
    using basic_mailbox::basic_mailbox;

    template <class Content>
    boost::asio::awaitable<smtp::reply> handle_DATA(smtp::connection& conn, smtp::session& session,
                                                    smtp::envelope<Content>& envelope) {
        if (envelope.original_content.size() > 1024 * 1024)
            co_return smtp::reply{552, "5.3.4 Message too big for this mailbox"};
        smtp::reply stored = co_await basic_mailbox::handle_DATA(conn, session, envelope);
        if (!stored.positive()) std::clog << "not stored: " << stored.text << '\n';
        co_return stored;
    }
};
// [customise-wrap]

// [customise-per-recipient]
// A Maildir per user, from a table: addresses not in it are refused at RCPT (550 5.1.1).
struct user_mailboxes : smtp::handlers::basic_recipient_mailbox<user_mailboxes> {
    using basic_recipient_mailbox::basic_recipient_mailbox; // (root, mailbox_options = {})

    std::optional<std::filesystem::path> maildir_for(std::string_view address) const {
        if (address == "alice@example.com") return root() / "alice";
        if (address == "bob@example.org") return root() / "bob";
        return std::nullopt;
    }
};
// [customise-per-recipient]

static_assert(smtp::has_handle_DATA<stamped_inbox, std::string_view>);
static_assert(smtp::has_handle_DATA<size_checked_inbox, std::string_view>);
static_assert(smtp::has_handle_RCPT<user_mailboxes, std::string_view>);
static_assert(smtp::has_handle_DATA_recipient<user_mailboxes, std::string_view>);
