#ifndef SMTP_TESTS_PYTHON_HPP
#define SMTP_TESTS_PYTHON_HPP

// Finding the Python the tests run, and decoding what the helper scripts print.

#include "run_command.hpp"

#include <string>
#include <vector>

namespace smtp_test {

/// The path of a Python that has aiosmtpd (the Debian package python3-aiosmtpd installs it for
/// /usr/bin/python3); empty when there is none.
inline std::string python_with_aiosmtpd() {
    std::string on_path = run_command("sh -c 'command -v python3'").output;
    on_path = on_path.substr(0, on_path.find('\n'));
    for (const std::string& python : {on_path, std::string("/usr/bin/python3")})
        if (!python.empty() && run_command(python + " -c 'import aiosmtpd'").exit_code == 0)
            return python;
    return {};
}

inline std::vector<std::string> split(const std::string& s, char separator) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t end; (end = s.find(separator, start)) != std::string::npos; start = end + 1)
        out.push_back(s.substr(start, end - start));
    out.push_back(s.substr(start));
    return out;
}

inline std::string from_hex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out.push_back(char(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

inline std::string to_hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

} // namespace smtp_test

#endif
