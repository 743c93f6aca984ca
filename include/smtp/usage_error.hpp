#ifndef SMTP_USAGE_ERROR_HPP
#define SMTP_USAGE_ERROR_HPP

#include <stdexcept>

namespace smtp {

/// Thrown by a handler's `from_cli` when its command-line arguments are wrong; the command line
/// prints the message with the usage and exits with status 2 (aiosmtpd's `parser.error`).
class usage_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace smtp

#endif
