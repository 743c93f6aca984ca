#ifndef SMTP_TESTS_RUN_COMMAND_HPP
#define SMTP_TESTS_RUN_COMMAND_HPP

// Runs a shell command (a real client: python3, swaks) and collects its output and exit code.
// Every command is wrapped in `timeout`, so a client that hangs fails the test instead.

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace smtp_test {

struct command_result {
    int exit_code = -1;
    std::string output;
};

inline command_result run_command(const std::string& command, int timeout_seconds = 60) {
    command_result result;
    std::string wrapped = "timeout " + std::to_string(timeout_seconds) + " " + command + " 2>&1";
    FILE* pipe = ::popen(wrapped.c_str(), "r");
    if (!pipe) return result;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        result.output.append(buffer, n);
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

} // namespace smtp_test

#endif
