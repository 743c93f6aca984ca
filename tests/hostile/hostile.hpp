#ifndef SMTP_TESTS_HOSTILE_HPP
#define SMTP_TESTS_HOSTILE_HPP

// What the hostile-input tests share: examples/smtpd as the server under attack (a child
// process, so that its memory can be read from /proc), its resident memory, a raw non-blocking
// socket for clients that misbehave at the byte level, and the well-behaved client that must
// be served while the attack goes on.
//
// Memory checks are ceilings on the growth of the server's peak RSS (VmHWM) over its RSS after
// a warm-up transaction. They are generous (sanitizer builds keep freed memory in quarantine
// and shadow it); benchmarks/hostile.py measures the real figures (docs/reliability.md).

#include "integration/smtpd_process.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: every hostile test is skipped
#endif

namespace hostile {

using namespace std::chrono_literals;
using smtp_test::smtpd_process;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

using smtp_test::smtpd_built;

/// A /proc/<pid>/status field in KiB ("VmRSS", "VmHWM"); 0 when unreadable.
inline std::size_t memory_kib(pid_t pid, std::string_view field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with(field) && line.size() > field.size() && line[field.size()] == ':')
            return std::stoul(line.substr(field.size() + 1));
    return 0;
}

/// One message from a client that follows the rules, while whatever else goes on: it must get
/// 250 for its DATA.
inline void expect_served(smtpd_process& smtpd, const std::string& tag = "well-behaved") {
    const std::string content = "Subject: " + tag + "\r\n\r\nfrom a client that behaves\r\n";
    auto result = smtpd.sendmail(content);
    BOOST_TEST(result.data.code == 250, tag << ": " << result.data.code);
}

/// The server's memory before an attack: RSS once a first transaction has warmed it up.
struct memory_baseline {
    pid_t pid;
    std::size_t rss_kib = 0;
    explicit memory_baseline(smtpd_process& smtpd) : pid(smtpd.child.pid()) {
        expect_served(smtpd, "warm-up");
        rss_kib = memory_kib(pid, "VmRSS");
    }
    /// How far the peak RSS has risen above the baseline, in KiB.
    std::size_t peak_growth_kib() const {
        std::size_t peak = memory_kib(pid, "VmHWM");
        return peak > rss_kib ? peak - rss_kib : 0;
    }
};

/// A raw loopback TCP connection with non-blocking I/O and explicit deadlines, for clients that
/// send what test_client would not (unbounded floods, single bytes, a reset).
class raw_socket {
public:
    explicit raw_socket(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) throw std::runtime_error("socket failed");
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            ::close(fd_);
            throw std::runtime_error("connect failed");
        }
        ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    }
    raw_socket(raw_socket&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)), in_(std::move(other.in_)) {}
    raw_socket(const raw_socket&) = delete;
    raw_socket& operator=(const raw_socket&) = delete;
    ~raw_socket() {
        if (fd_ >= 0) ::close(fd_);
    }

    int fd() const { return fd_; }

    /// Writes as much of `bytes` as goes within `timeout`; returns how much did.
    std::size_t send(std::string_view bytes, milliseconds timeout = 10s) {
        auto deadline = steady_clock::now() + timeout;
        std::size_t sent = 0;
        while (sent < bytes.size()) {
            ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += std::size_t(n);
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
            if (!wait(POLLOUT, deadline)) break;
        }
        return sent;
    }

    /// Reads until `in()` holds `text` (true), the peer closes or `timeout` passes (false).
    bool read_until(std::string_view text, milliseconds timeout = 10s) {
        auto deadline = steady_clock::now() + timeout;
        while (in_.find(text) == std::string::npos)
            if (!read_some(deadline)) return false;
        return true;
    }

    /// Reads until the peer closes the connection (true) or `timeout` passes (false).
    bool read_to_end(milliseconds timeout = 10s) {
        auto deadline = steady_clock::now() + timeout;
        while (read_some(deadline)) {
        }
        return closed_;
    }

    /// Everything received so far.
    const std::string& in() const { return in_; }
    bool closed() const { return closed_; }

    /// Closes with a TCP reset instead of a FIN: the client vanishes.
    void reset() {
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(fd_);
        fd_ = -1;
    }

private:
    bool wait(short events, steady_clock::time_point deadline) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd_, events, 0};
        return ::poll(&p, 1, int(left.count())) > 0;
    }

    // False when nothing more can come before the deadline (closed, error or time).
    bool read_some(steady_clock::time_point deadline) {
        for (;;) {
            char chunk[65536];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n > 0) {
                in_.append(chunk, std::size_t(n));
                return true;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                closed_ = true;
                return false;
            }
            if (!wait(POLLIN, deadline)) return false;
        }
    }

    int fd_ = -1;
    std::string in_;
    bool closed_ = false;
};

} // namespace hostile

#endif
