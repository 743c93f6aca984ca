// The one translation unit that compiles Asio for the test programs
// (BOOST_ASIO_SEPARATE_COMPILATION is set for all of them).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
