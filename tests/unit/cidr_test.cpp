#include <smtp/detail/cidr.hpp>

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>

// The networks of --proxy-trusted / options::proxy_trusted.

BOOST_AUTO_TEST_SUITE(cidr)

BOOST_AUTO_TEST_CASE(contains_addresses_of_either_family) {
    struct row {
        const char* network;
        const char* address;
        bool inside;
    };
    const row rows[] = {
        {"127.0.0.0/8", "127.0.0.1", true},
        {"127.0.0.0/8", "128.0.0.1", false},
        {"127.0.0.0/8", "::ffff:127.0.0.1", true}, // a v4-mapped sender of a dual-stack socket
        {"::1", "::1", true},
        {"::1", "127.0.0.1", false},
        {"2001:db8::/32", "2001:db8:1::5", true},
        {"2001:db8::/32", "2001:db9::5", false},
        // IPv6 networks hold IPv4 addresses in their v4-mapped form.
        {"::ffff:127.0.0.0/104", "127.0.0.1", true},
        {"::ffff:127.0.0.0/104", "10.0.0.1", false},
        {"::ffff:10.0.0.0/104", "10.1.2.3", true},
        {"::/0", "192.0.2.1", true},
        {"::/0", "2001:db8::1", true},
        {"0.0.0.0/0", "2001:db8::1", false},
        {"10.0.0.0/8", "not an address", false},
    };
    for (const auto& r : rows)
        BOOST_TEST(smtp::detail::cidr(r.network).contains(std::string(r.address)) == r.inside,
                   r.network << " " << r.address);
}

BOOST_AUTO_TEST_CASE(rejects_what_is_no_network) {
    for (const char* text : {"", "x", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/a"})
        BOOST_CHECK_THROW(smtp::detail::cidr{text}, std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
