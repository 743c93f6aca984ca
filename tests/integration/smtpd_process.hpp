#ifndef SMTP_TESTS_SMTPD_PROCESS_HPP
#define SMTP_TESTS_SMTPD_PROCESS_HPP

// examples/smtpd as a child process on a free loopback port: what the command-line, Mailbox,
// Proxy and hostile-input tests share. SMTPD_PATH is the program (empty when the examples are
// not built; such tests skip themselves).

#include "child_process.hpp"
#include "test_client.hpp"

#include <smtp/client/sendmail.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace smtp_test {

/// A loopback port nothing listens on now (a server binds it a moment later).
inline std::uint16_t free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
}

/// `part` occurs in `text` (a program's output, a reply).
inline bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

#ifdef SMTPD_PATH
/// examples/smtpd was built (SMTPD_PATH is empty otherwise, and such tests skip themselves).
inline bool smtpd_built() {
    return !std::string_view(SMTPD_PATH).empty();
}
#endif

/// `smtpd [-n] -l <address>:<free port> <options...>`, killed at the end if still running.
struct smtpd_process {
    explicit smtpd_process(const std::string& program, std::vector<std::string> options,
                           bool nosetuid = true, std::string address = "127.0.0.1")
        : port(free_port()), child([&] {
              std::vector<std::string> args{program};
              if (nosetuid) args.push_back("-n");
              args.push_back("-l");
              args.push_back(address + ":" + std::to_string(port));
              args.insert(args.end(), options.begin(), options.end());
              return args;
          }()) {}

    /// Connects once the server listens (within 10 s).
    test_client connect(std::chrono::milliseconds read_timeout = 10s) {
        auto deadline = steady_clock::now() + 10s;
        for (;;) {
            try {
                return test_client(port, read_timeout);
            } catch (const boost::system::system_error&) {
                if (steady_clock::now() >= deadline || child.wait(0ms))
                    BOOST_FAIL("smtpd is not listening; stderr: " << child.err());
                std::this_thread::sleep_for(20ms);
            }
        }
    }

    /// One message through smtp::sendmail, retried while the server does not listen yet
    /// (within 10 s); other failures propagate.
    smtp::send_result sendmail(const std::string& content,
                               const std::vector<std::string>& rcpts = {"bart@example.com"},
                               const std::string& from = "anne@example.com") {
        auto deadline = steady_clock::now() + 10s;
        for (;;) {
            try {
                return smtp::sendmail("127.0.0.1", port, from, rcpts, content);
            } catch (const boost::system::system_error& e) {
                if (e.code() != boost::asio::error::connection_refused ||
                    steady_clock::now() >= deadline || child.wait(0ms))
                    throw;
                std::this_thread::sleep_for(20ms);
            }
        }
    }

    /// Sends `number` (SIGTERM by default), then the exit status (nothing if it has not exited
    /// within 5 s).
    std::optional<int> terminate(int number = SIGTERM) {
        child.signal(number);
        return child.wait(5s);
    }

    std::uint16_t port;
    child_process child;
};

} // namespace smtp_test

#endif
