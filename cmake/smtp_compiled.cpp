// The one translation unit of the CMake target smtp::smtp_compiled (docs/packaging.md): the
// library's functions that do not depend on a Handler, and Boost.Asio when the target compiles
// it too (SMTP_COMPILED_ASIO, on by default).
#include <smtp/src.hpp>

#if defined(BOOST_ASIO_SEPARATE_COMPILATION)
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#endif
