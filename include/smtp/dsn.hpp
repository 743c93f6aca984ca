#ifndef SMTP_DSN_HPP
#define SMTP_DSN_HPP

#include <string>
#include <vector>

namespace smtp {

/// MAIL's RET parameter (RFC 3461 §4.3): what a failure DSN should return of the message.
enum class dsn_return {
    unspecified, ///< no RET: the server chooses
    full,        ///< RET=FULL: the whole message
    headers      ///< RET=HDRS: the headers only
};

/// RCPT's NOTIFY parameter (RFC 3461 §4.1): when a DSN is wanted for this recipient.
/// All false: no NOTIFY was given (the server's default, usually FAILURE and DELAY).
struct dsn_notify {
    bool never = false;   ///< NOTIFY=NEVER (then the others are false)
    bool success = false; ///< SUCCESS was listed
    bool failure = false; ///< FAILURE was listed
    bool delay = false;   ///< DELAY was listed

    /// True when the client sent a NOTIFY parameter.
    bool specified() const noexcept { return never || success || failure || delay; }
    /// Memberwise.
    friend bool operator==(const dsn_notify&, const dsn_notify&) = default;
};

/// The DSN parameters of one accepted recipient.
struct recipient_dsn {
    /// RCPT's NOTIFY.
    dsn_notify notify = {};
    /// ORCPT's address type as sent (`rfc822`, `utf-8`, ...); empty without ORCPT.
    std::string orcpt_type = {};
    /// ORCPT's original recipient, xtext-decoded, case preserved.
    std::string orcpt = {};

    /// Memberwise.
    friend bool operator==(const recipient_dsn&, const recipient_dsn&) = default;
};

/// RFC 3461 data of a mail transaction (accepted only with options::dsn).
struct dsn_envelope {
    /// MAIL's RET.
    dsn_return ret = dsn_return::unspecified;
    /// MAIL's ENVID, xtext-decoded, case preserved; empty without ENVID.
    std::string envid = {};
    /// With options::dsn, one entry per accepted recipient, parallel to `envelope::rcpt_tos`
    /// (kept so whether the default RCPT behaviour or a handle_RCPT hook records the
    /// recipient); empty without.
    std::vector<recipient_dsn> recipients = {};

    /// Empties it (a new transaction).
    void clear() noexcept {
        ret = dsn_return::unspecified;
        envid.clear();
        recipients.clear();
    }
};

} // namespace smtp

#endif
