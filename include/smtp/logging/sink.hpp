#ifndef SMTP_LOGGING_SINK_HPP
#define SMTP_LOGGING_SINK_HPP

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>

/// \file
/// Where event lines go: stderr, or a file that can be reopened for log rotation.
namespace smtp::logging {

/// A log destination shared by every session thread: each line is written whole, under a lock,
/// and flushed (a line in the file is a line that happened). With a path, the file is opened for
/// appending; reopen() (smtpd calls it on SIGUSR1) opens the path again, so that logrotate can
/// move the file away and signal.
class sink {
public:
    /// Writes to stderr.
    sink() = default;
    /// Appends to the file at `path`; throws std::runtime_error when it cannot be opened.
    explicit sink(std::string path) : path_(std::move(path)) {
        file_ = open(path_);
        if (!file_)
            throw std::runtime_error("cannot open log file " + path_ + ": " + std::strerror(errno));
    }
    sink(const sink&) = delete;
    sink& operator=(const sink&) = delete;
    ~sink() {
        if (file_) std::fclose(file_);
    }

    /// Writes one line (its newline included).
    void write(std::string_view line) {
        std::lock_guard lock(mutex_);
        std::FILE* to = file_ ? file_ : stderr;
        std::fwrite(line.data(), 1, line.size(), to);
        std::fflush(to);
    }

    /// Opens the file again (after a rotation). Keeps writing to the old one when that fails,
    /// and returns false. True for stderr.
    bool reopen() {
        if (path_.empty()) return true;
        std::FILE* fresh = open(path_);
        if (!fresh) return false;
        std::lock_guard lock(mutex_);
        std::fclose(file_);
        file_ = fresh;
        return true;
    }

    /// The file's path; empty for stderr.
    const std::string& path() const noexcept { return path_; }

private:
    static std::FILE* open(const std::string& path) { return std::fopen(path.c_str(), "ae"); }

    std::string path_;
    std::FILE* file_ = nullptr;
    std::mutex mutex_;
};

} // namespace smtp::logging

#endif
