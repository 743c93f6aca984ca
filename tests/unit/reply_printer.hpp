#ifndef SMTP_TESTS_UNIT_REPLY_PRINTER_HPP
#define SMTP_TESTS_UNIT_REPLY_PRINTER_HPP

#include <smtp/reply.hpp>

#include <ostream>

namespace smtp {
// Lets BOOST_TEST print a reply when a comparison fails.
inline std::ostream& boost_test_print_type(std::ostream& os, const reply& r) {
    return os << r.code << ' ' << r.text;
}
} // namespace smtp

#endif
