#ifndef SMTP_VERSION_HPP
#define SMTP_VERSION_HPP

// The library's version, kept in step with project(VERSION) in CMakeLists.txt.
#define SMTP_VERSION_MAJOR 0
#define SMTP_VERSION_MINOR 1
#define SMTP_VERSION_PATCH 0
#define SMTP_VERSION_STRING "0.1.0"

namespace smtp {
inline constexpr const char* version_string = SMTP_VERSION_STRING;
} // namespace smtp

#endif
