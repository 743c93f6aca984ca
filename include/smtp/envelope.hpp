#ifndef SMTP_ENVELOPE_HPP
#define SMTP_ENVELOPE_HPP

#include <smtp/dsn.hpp>
#include <smtp/forwarded_client.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace smtp {

/// The MAIL BODY parameter: RFC 1652's 7BIT and 8BITMIME, RFC 3030's BINARYMIME.
enum class body_type { unspecified, seven_bit, eight_bit_mime, binary_mime };

/// The parts of an envelope that do not depend on the DecodePolicy.
struct envelope_base {
    /// The reverse-path of MAIL FROM, `"<>"` for the null sender; empty before MAIL.
    std::string mail_from = {};
    /// MAIL parameters as upper-cased tokens, e.g. `{"SIZE=1024", "BODY=8BITMIME"}`.
    std::vector<std::string> mail_options = {};
    /// True when MAIL carried the SMTPUTF8 parameter.
    bool smtp_utf8 = false;
    /// MAIL's BODY parameter.
    body_type body = body_type::unspecified;
    /// True when MAIL carried REQUIRETLS (RFC 8689; accepted only over TLS with
    /// options::requiretls): the message must only be relayed over TLS.
    bool require_tls = false;
    /// MAIL's AUTH parameter (RFC 4954 §5), xtext-decoded: the identity that submitted the
    /// message, as the client vouches, or `"<>"` for none; empty when MAIL carried none. It is
    /// accepted only when AUTH is offered; trust it only from a client that authenticated.
    std::string auth = {};
    /// Accepted recipients, in RCPT order.
    std::vector<std::string> rcpt_tos = {};
    /// RCPT parameters of all recipients, in order.
    std::vector<std::string> rcpt_options = {};
    /// RFC 3461 DSN parameters (options::dsn): MAIL's RET and ENVID, and per accepted recipient
    /// (parallel to rcpt_tos) NOTIFY and ORCPT, decoded with their case kept.
    dsn_envelope dsn = {};
    /// The message as received, with dot-stuffing removed. Set before handle_DATA runs.
    std::string original_content = {};
    /// The message's ID in logs and in the `250 ... queued as <ID>` reply, set when its DATA (or
    /// first BDAT) begins, when the handler asks for IDs (`static constexpr bool assign_ids =
    /// true`); empty otherwise. It names the last message until the next one begins.
    std::string message_id = {};
    /// What XFORWARD said about the message's original client (options::xforward_trusted),
    /// before this transaction's MAIL; cleared when the transaction ends. Null when the client
    /// sent none (a pointer so that every envelope does not carry ten empty strings).
    std::shared_ptr<const forwarded_client> xforward = nullptr;

    /// What the default MAIL behaviour does: records the sender and its parameters.
    void set_sender(std::string_view address, std::span<const std::string> options) {
        mail_from.assign(address);
        mail_options.insert(mail_options.end(), options.begin(), options.end());
    }
    /// What the default RCPT behaviour does: appends a recipient and its parameters.
    void add_recipient(std::string_view address, std::span<const std::string> options) {
        rcpt_tos.emplace_back(address);
        rcpt_options.insert(rcpt_options.end(), options.begin(), options.end());
    }

protected:
    /// Clears without giving memory back, so a long session reuses its buffers.
    void clear_base() noexcept {
        mail_from.clear();
        mail_options.clear();
        smtp_utf8 = false;
        body = body_type::unspecified;
        require_tls = false;
        auth.clear();
        rcpt_tos.clear();
        rcpt_options.clear();
        dsn.clear();
        original_content.clear();
        xforward = nullptr;
        // message_id is kept: the observability hooks still name the message after the
        // transaction ended, and the next message gets a new one when it begins.
    }
};

/// The mail transaction: sender, recipients and content. `Content` is the DecodePolicy's
/// `content_type`; the built-in policies use a `std::string_view` into `original_content`
/// (copying or moving the envelope keeps it pointing at the copy's own bytes).
template <class Content = std::string_view>
struct envelope : envelope_base {
    /// The message as the DecodePolicy presents it; set before handle_DATA runs.
    Content content = {};

    envelope() = default;
    /// Copies; `content` then views the copy's own bytes.
    envelope(const envelope& other) : envelope_base(other), content(other.content) {
        rebind_from(other);
    }
    /// Moves; `content` then views the new envelope's bytes.
    envelope(envelope&& other) noexcept(std::is_nothrow_move_constructible_v<Content>)
        : envelope_base(static_cast<const envelope_base&>(other)),
          content(std::move(other.content)) {
        rebind_from(other);
    }
    /// Copies; `content` then views this envelope's bytes.
    envelope& operator=(const envelope& other) {
        if (this != &other) {
            envelope_base::operator=(other);
            content = other.content;
            rebind_from(other);
        }
        return *this;
    }
    /// As the copy assignment.
    envelope& operator=(envelope&& other) noexcept(std::is_nothrow_move_assignable_v<Content>) {
        return *this = static_cast<const envelope&>(other);
    }

    /// Starts a new transaction: everything is emptied (buffers keep their capacity).
    void reset() {
        clear_base();
        content = Content{};
    }

private:
    // A content view into the other envelope's bytes must point into ours instead.
    void rebind_from(const envelope& other) {
        if constexpr (std::is_same_v<Content, std::string_view>) {
            const char* begin = other.original_content.data();
            const char* end = begin + other.original_content.size();
            if (other.content.data() >= begin && other.content.data() <= end &&
                other.content.data() != nullptr)
                content =
                    std::string_view(original_content)
                        .substr(std::size_t(other.content.data() - begin), other.content.size());
        }
    }
};

} // namespace smtp

#endif
