#ifndef SMTP_DETAIL_SOCKET_NOW_HPP
#define SMTP_DETAIL_SOCKET_NOW_HPP

#include <cerrno>
#include <cstddef>
#include <sys/socket.h>
#include <sys/types.h>

namespace smtp::detail {

/// What a send or a receive on a socket did, called without waiting.
enum class io_now {
    done,        ///< all was sent; something was received
    would_block, ///< the kernel has no room (send) or nothing (receive) now: wait, then again
    ended,       ///< receive: the client closed its end
    failed,      ///< the connection is broken (or the descriptor closed)
};

// Why these bypass Asio: an Asio operation that completes at once, inside its initiating call,
// still posts its completion to the io_context, and the scheduler polls epoll once more before
// running it. A reply nearly always fits the socket's send buffer, and the read after a
// readiness wait nearly always finds the bytes, so each round trip paid two such detours. These
// calls never block, whatever mode the descriptor is in (MSG_DONTWAIT), and raise no SIGPIPE.

/// Sends as much of `size` bytes at `data` as the kernel takes now; `sent` counts what it took.
inline io_now send_now(int fd, const char* data, std::size_t size, std::size_t& sent) noexcept {
    while (sent < size) {
        ::ssize_t n = ::send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n >= 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? io_now::would_block : io_now::failed;
    }
    return io_now::done;
}

/// Receives what the socket holds now, up to `size` bytes into `buffer`; `received` is how many.
inline io_now receive_now(int fd, char* buffer, std::size_t size, std::size_t& received) noexcept {
    for (;;) {
        ::ssize_t n = ::recv(fd, buffer, size, MSG_DONTWAIT);
        if (n > 0) {
            received = static_cast<std::size_t>(n);
            return io_now::done;
        }
        if (n == 0) return io_now::ended;
        if (errno == EINTR) continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? io_now::would_block : io_now::failed;
    }
}

} // namespace smtp::detail

#endif
