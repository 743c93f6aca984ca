#ifndef SMTP_TESTS_UNIT_WIRE_LINES_HPP
#define SMTP_TESTS_UNIT_WIRE_LINES_HPP

// Command and reply lines that the offline-session tests (protocol, DSN, parameters, ESMTP
// extensions) all send or expect. Shared, as the test files are compiled together (unity build).

#include <string>

namespace wire_lines {

inline const std::string ehlo = "EHLO client.test\r\n";
inline const std::string mail = "MAIL FROM:<a@example.com>\r\n";
inline const std::string rcpt = "RCPT TO:<b@example.com>\r\n";
inline const std::string ok = "250 OK\r\n";

} // namespace wire_lines

#endif
