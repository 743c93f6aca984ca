#ifndef SMTP_CLI_PRIVILEGES_HPP
#define SMTP_CLI_PRIVILEGES_HPP

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

/// \file
/// Dropping root privileges once the listening sockets are bound (aiosmtpd's setuid step,
/// which `-n` turns off).
namespace smtp::cli::detail {

/// The user and group IDs of `user`, or nothing when there is no such user.
inline std::optional<std::pair<::uid_t, ::gid_t>> user_ids(const char* user) {
    const ::passwd* entry = ::getpwnam(user);
    if (entry == nullptr) return std::nullopt;
    return std::pair{entry->pw_uid, entry->pw_gid};
}

/// When running as root, becomes `user`: supplementary groups first, then the group, then the
/// user (each step needs the privileges the next one drops). Returns what failed, or "". A
/// process not running as root is left as it is.
inline std::string drop_privileges(const char* user) {
    if (::geteuid() != 0) return {};
    errno = 0;
    const ::passwd* entry = ::getpwnam(user);
    if (entry == nullptr)
        return errno ? std::string("getpwnam: ") + std::strerror(errno) : "no such user";
    const ::uid_t uid = entry->pw_uid; // copied: the next getpw* call may overwrite *entry
    const ::gid_t gid = entry->pw_gid;
    if (::setgroups(1, &gid) != 0) return std::string("setgroups: ") + std::strerror(errno);
    if (::setgid(gid) != 0) return std::string("setgid: ") + std::strerror(errno);
    if (::setuid(uid) != 0) return std::string("setuid: ") + std::strerror(errno);
    if (uid != 0 && (::setuid(0) == 0 || ::geteuid() == 0)) return "root could be regained";
    return {};
}

} // namespace smtp::cli::detail

#endif
