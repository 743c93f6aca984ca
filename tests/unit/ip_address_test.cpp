#include <smtp/detail/ip_address.hpp>

#include <smtp/detail/cidr.hpp>
#include <smtp/detail/proxy_protocol.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

// The one reading of IP address text: --proxy-trusted networks and the peer they are matched
// against (cidr) read it as PROXY v1 headers do, but for what a header may not carry (a zone).

BOOST_AUTO_TEST_SUITE(ip_address)

BOOST_AUTO_TEST_CASE(from_text_table) {
    struct row {
        std::string_view text;
        bool address; // ip_address_from_text
        bool proxy;   // proxy_address_from_text
    };
    using namespace std::string_view_literals;
    const row rows[] = {
        {"192.0.2.1", true, true},
        {"::ffff:192.0.2.1", true, true},
        {"1:2:3:4:5:6:7.8.9.10", true, true},
        {"2001:DB8::1", true, true},
        {"fe80::1%eth0", true, false}, // how Asio prints a link-local peer
        {"fe80::1%1", true, false},
        {"192.0.2.01", false, false}, // a leading zero might mean octal
        {"192.0.2", false, false},
        {"192.0.2.256", false, false},
        {"::1.2.3.04", false, false},
        {"1:2:3:4::5:6:7:8", false, false}, // "::" must stand for a group at least
        {"12345::", false, false},
        {"1::2::3", false, false},
        {"192.0.2.1\0junk"sv, false, false}, // not cut short at the NUL
        {"", false, false},
        {" 192.0.2.1", false, false},
    };
    for (const auto& r : rows) {
        BOOST_TEST(smtp::detail::ip_address_from_text(r.text).has_value() == r.address, r.text);
        BOOST_TEST(smtp::detail::proxy_address_from_text(r.text).has_value() == r.proxy, r.text);
    }
}

BOOST_AUTO_TEST_CASE(to_text_is_pythons) {
    const std::pair<std::string_view, std::string_view> rows[] = {
        {"192.0.2.1", "192.0.2.1"},
        {"::", "::"},
        {"::1", "::1"},
        {"::1:0", "::1:0"}, // inet_ntop: ::0.1.0.0
        {"::0102:0304", "::102:304"},
        {"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
        {"2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, // the first of equal runs
        {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},        // one zero group stays "0"
        {"fe80::1%eth0", "fe80::1"},
    };
    for (const auto& [text, printed] : rows) {
        auto address = smtp::detail::ip_address_from_text(text);
        BOOST_TEST_REQUIRE(address.has_value(), text);
        BOOST_TEST(smtp::detail::ip_address_to_text(*address) == printed, text);
    }
}

BOOST_AUTO_TEST_CASE(cidr_matches_a_link_local_peer_with_its_zone) {
    BOOST_TEST(smtp::detail::cidr("fe80::/10").contains(std::string("fe80::1%eth0")));
    BOOST_TEST(!smtp::detail::cidr("10.0.0.0/8").contains(std::string("10.0.0.01")));
}

BOOST_AUTO_TEST_SUITE_END()
