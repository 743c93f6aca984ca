#ifndef SMTP_HANDLERS_DETAIL_MAILDIR_HPP
#define SMTP_HANDLERS_DETAIL_MAILDIR_HPP

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

// Maildir delivery (https://cr.yp.to/proto/maildir.html), synchronous: the mailbox handler runs
// it on a thread pool.
namespace smtp::handlers::detail {

/// Creates `dir` and its tmp/, new/ and cur/ (mode 0700, as Python's mailbox does) where
/// missing, and the folders above `dir` too (with the umask's mode, as `mkdir -p`). Throws
/// std::filesystem::filesystem_error.
inline void make_maildir(const std::filesystem::path& dir) {
    if (dir.has_parent_path()) std::filesystem::create_directories(dir.parent_path());
    for (const char* sub : {"", "tmp", "new", "cur"}) {
        std::filesystem::path p = *sub ? dir / sub : dir;
        if (::mkdir(p.c_str(), 0700) != 0 && errno != EEXIST)
            throw std::filesystem::filesystem_error(
                "cannot create the maildir", p, std::error_code(errno, std::generic_category()));
    }
}

/// This machine's name as a Maildir name part: '/' and ':' escaped as `\057` and `\072`.
inline const std::string& maildir_hostname() {
    static const std::string name = [] {
        char buffer[256] = {};
        if (::gethostname(buffer, sizeof buffer - 1) != 0) return std::string("localhost");
        std::string escaped;
        for (char c : std::string_view(buffer)) {
            if (c == '/')
                escaped.append("\\057");
            else if (c == ':')
                escaped.append("\\072");
            else
                escaped.push_back(c);
        }
        return escaped;
    }();
    return name;
}

/// A new unique name, `<seconds>.M<microseconds>P<pid>Q<count>.<host>`: the form Python's
/// mailbox and Dovecot use. The count is per process, so handlers in one process never clash.
inline std::string maildir_unique_name() {
    static std::atomic<unsigned long> count{0};
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now - seconds);
    return std::to_string(seconds.count()) + ".M" + std::to_string(micros.count()) + "P" +
           std::to_string(::getpid()) + "Q" + std::to_string(++count) + "." + maildir_hostname();
}

[[noreturn]] inline void throw_errno(int error, const char* what) {
    throw std::system_error(error, std::generic_category(), what);
}

// Closes a descriptor on scope exit unless released.
struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

inline void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno(errno, "maildir: write");
        bytes.remove_prefix(std::size_t(n));
    }
}

inline void fsync_directory(const std::filesystem::path& dir) {
    fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0) throw_errno(errno, "maildir: open directory");
    if (::fsync(d.fd) != 0) throw_errno(errno, "maildir: fsync directory");
}

/// Delivers `bytes` as one message by the Maildir contract: written to tmp/ under a unique
/// name, fsynced, renamed into new/, and new/ fsynced. Returns the name. Throws
/// std::system_error, and then leaves nothing behind in tmp/ or new/.
inline std::string maildir_deliver(const std::filesystem::path& dir, std::string_view bytes) {
    std::string name;
    std::filesystem::path tmp;
    fd_guard file;
    for (int attempt = 0; file.fd < 0; ++attempt) {
        name = maildir_unique_name();
        tmp = dir / "tmp" / name;
        file.fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (file.fd < 0 && (errno != EEXIST || attempt == 10)) throw_errno(errno, "maildir: open");
    }
    try {
        write_all(file.fd, bytes);
        if (::fsync(file.fd) != 0) throw_errno(errno, "maildir: fsync");
        // close() can report a failed write-back (NFS, quotas): it counts.
        if (::close(file.release()) != 0) throw_errno(errno, "maildir: close");
        std::filesystem::path fresh = dir / "new" / name;
        if (::rename(tmp.c_str(), fresh.c_str()) != 0) throw_errno(errno, "maildir: rename");
        try {
            fsync_directory(dir / "new");
        } catch (...) {
            // Not known to be durable: take it back, so that the client's retry is no duplicate.
            ::unlink(fresh.c_str());
            throw;
        }
    } catch (...) {
        ::unlink(tmp.c_str()); // fails harmlessly once renamed
        throw;
    }
    return name;
}

/// Line breaks (CRLF, CR or LF) as LF: the local convention Python's mailbox writes and mail
/// readers expect in a Maildir.
inline std::string to_lf(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (bytes[i] == '\r') {
            out.push_back('\n');
            if (i + 1 < bytes.size() && bytes[i + 1] == '\n') ++i;
        } else {
            out.push_back(bytes[i]);
        }
    }
    return out;
}

} // namespace smtp::handlers::detail

#endif
