#ifndef SMTP_SYSTEMD_HPP
#define SMTP_SYSTEMD_HPP

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/// \file
/// Running under systemd without libsystemd: the documented protocols of socket activation
/// (sd_listen_fds(3): `LISTEN_PID`, `LISTEN_FDS`, `LISTEN_FDNAMES`, descriptors from 3 on) and
/// of readiness notification (sd_notify(3): a datagram to `$NOTIFY_SOCKET`).
namespace smtp::systemd {

/// The first descriptor systemd passes (SD_LISTEN_FDS_START).
inline constexpr int listen_fds_start = 3;

/// One socket systemd handed over.
struct inherited_socket {
    /// The descriptor (3, 4, ...).
    int fd = -1;
    /// Its `FileDescriptorName=` from the .socket unit (`LISTEN_FDNAMES`); empty if none.
    std::string name = {};
};

/// The sockets passed to this process by socket activation: none unless `LISTEN_PID` names this
/// process and `LISTEN_FDS` counts them. Each gets close-on-exec (so that no child inherits
/// it). With `unset_environment`, the variables are removed, so that children do not take the
/// sockets for theirs.
inline std::vector<inherited_socket> listen_fds(bool unset_environment = true) {
    std::vector<inherited_socket> sockets;
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    const char* names = std::getenv("LISTEN_FDNAMES");
    char* end = nullptr;
    if (pid && fds) {
        errno = 0;
        long for_pid = std::strtol(pid, &end, 10);
        bool pid_ok = errno == 0 && end != pid && *end == '\0' && for_pid == long(::getpid());
        errno = 0;
        long count = std::strtol(fds, &end, 10);
        bool count_ok = errno == 0 && end != fds && *end == '\0' && count > 0 && count < 1024;
        if (pid_ok && count_ok) {
            std::string_view rest = names ? names : "";
            for (int fd = listen_fds_start; fd < listen_fds_start + int(count); ++fd) {
                int flags = ::fcntl(fd, F_GETFD);
                if (flags < 0) continue; // not open: nothing to serve there
                ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
                std::size_t colon = rest.find(':');
                sockets.push_back({fd, std::string(rest.substr(0, colon))});
                rest =
                    colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
            }
        }
    }
    if (unset_environment) {
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDS");
        ::unsetenv("LISTEN_FDNAMES");
    }
    return sockets;
}

/// Sends `state` (e.g. `"READY=1"`, `"STOPPING=1"`, `"STATUS=..."`; lines separated by `\n`) to
/// the service manager, when `$NOTIFY_SOCKET` names one (a path, or `@name` in the abstract
/// namespace). True when it was sent; false when there is no manager to tell or sending failed.
inline bool notify(std::string_view state) {
    const char* where = std::getenv("NOTIFY_SOCKET");
    if (!where || (where[0] != '/' && where[0] != '@') || where[1] == '\0') return false;
    ::sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::size_t length = std::strlen(where);
    if (length >= sizeof address.sun_path) return false;
    std::memcpy(address.sun_path, where, length);
    if (address.sun_path[0] == '@') address.sun_path[0] = '\0'; // the abstract namespace
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    auto size = ::socklen_t(offsetof(::sockaddr_un, sun_path) + length);
    ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                            reinterpret_cast<const ::sockaddr*>(&address), size);
    ::close(fd);
    return sent == ssize_t(state.size());
}

} // namespace smtp::systemd

#endif
