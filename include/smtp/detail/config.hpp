#ifndef SMTP_DETAIL_CONFIG_HPP
#define SMTP_DETAIL_CONFIG_HPP

// Header-only or separately compiled (docs/packaging.md).
//
// By default the library is header-only: every function is defined in the headers, and a
// function that is not a template is `inline` (SMTP_DECL). With SMTP_SEPARATE_COMPILATION defined
// in every translation unit, the definitions of those functions (the files impl/*.ipp) are left
// out of the headers and compiled once, by the one file that includes <smtp/src.hpp> (the CMake
// target smtp::smtp_compiled does both). What depends on the Handler stays a template in the
// headers either way.

#if defined(SMTP_SEPARATE_COMPILATION)
#define SMTP_DECL
#else
#define SMTP_HEADER_ONLY 1
#define SMTP_DECL inline
#endif

#endif
