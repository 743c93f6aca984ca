#ifndef SMTP_TESTS_CHILD_PROCESS_HPP
#define SMTP_TESTS_CHILD_PROCESS_HPP

// A child process for tests that run programs (examples/smtpd, haproxy, a Python server): stdout
// and stderr are captured through pipes, every wait has a deadline, and a child still running
// when the object goes away is killed. Output can be taken whole (out(), err()) or line by line
// (read_line(), for a helper that prints its port and then what it sees).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace smtp_test {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

/// A child process with stdout and stderr captured through pipes.
class child_process {
public:
    explicit child_process(std::vector<std::string> args) {
        int out[2], err[2];
        if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            // Only async-signal-safe calls between fork and exec. Signals the test runner
            // blocks would stay blocked across exec.
            sigset_t none;
            ::sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            ::dup2(out[1], 1);
            ::dup2(err[1], 2);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        ::close(err[1]);
        out_fd_ = out[0];
        err_fd_ = err[0];
        ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
        ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process() {
        if (!status_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(out_fd_);
        ::close(err_fd_);
    }

    pid_t pid() const { return pid_; }
    void signal(int number) const { ::kill(pid_, number); }

    /// The exit status (128 + N when killed by signal N), or nothing if still running after
    /// `timeout`.
    std::optional<int> wait(milliseconds timeout) {
        auto deadline = steady_clock::now() + timeout;
        while (!status_) {
            int raw = 0;
            if (::waitpid(pid_, &raw, WNOHANG) == pid_)
                status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
            else if (steady_clock::now() >= deadline)
                return std::nullopt;
            else
                pump(10ms);
        }
        // The pipes hold what it wrote last; they end when every writer is gone.
        while (!(out_eof_ && err_eof_) && steady_clock::now() < deadline + 2s)
            pump(10ms);
        return status_;
    }

    /// Reads output until `done()` holds; false if it does not within `timeout`.
    template <class Predicate>
    bool wait_for_output(Predicate done, milliseconds timeout = 5s) {
        auto deadline = steady_clock::now() + timeout;
        while (!done()) {
            if (steady_clock::now() >= deadline) return false;
            pump(10ms);
        }
        return true;
    }

    const std::string& out() const { return out_; }
    const std::string& err() const { return err_; }

    /// The next line of stdout not yet returned (without its LF), or nothing when none came
    /// within `timeout` or the process ended.
    std::optional<std::string> read_line(milliseconds timeout = 10s) {
        std::size_t lf = std::string::npos;
        if (!wait_for_output(
                [&] { return (lf = out_.find('\n', line_start_)) != std::string::npos; }, timeout))
            return std::nullopt;
        std::string line = out_.substr(line_start_, lf - line_start_);
        line_start_ = lf + 1;
        return line;
    }

    /// Output read_line() has not returned, and stderr: for failure messages.
    std::string pending() const { return out_.substr(line_start_) + err_; }

private:
    void pump(milliseconds timeout) {
        pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
        if (::poll(fds, 2, int(timeout.count())) <= 0) return;
        read_available(out_fd_, out_, out_eof_);
        read_available(err_fd_, err_, err_eof_);
    }

    static void read_available(int fd, std::string& into, bool& eof) {
        char chunk[4096];
        for (;;) {
            ssize_t n = ::read(fd, chunk, sizeof chunk);
            if (n > 0) into.append(chunk, std::size_t(n));
            if (n == 0) eof = true;
            if (n <= 0) return;
        }
    }

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_, err_;
    std::size_t line_start_ = 0; // where read_line() goes on in out_
    bool out_eof_ = false, err_eof_ = false;
    std::optional<int> status_;
};

} // namespace smtp_test

#endif
