#include <smtp/detail/type_list.hpp>

#include <boost/test/unit_test.hpp>

#include <array>
#include <string_view>
#include <type_traits>
#include <utility>

// The "what does it declare" trait and the uniqueness check behind auth_mechanisms,
// mail_parameters / rcpt_parameters and smtpd's handler list.

namespace {

struct declares {
    using options = int;
    static constexpr bool flag = true;
};
struct declares_nothing {};

template <class T>
using options_of = typename T::options;
template <class T>
using flag_of = std::bool_constant<T::flag>;

using smtp::detail::all_unique;
using smtp::detail::member_or_t;

static_assert(std::is_same_v<member_or_t<declares, options_of, void>, int>);
static_assert(std::is_same_v<member_or_t<declares_nothing, options_of, void>, void>);
static_assert(member_or_t<declares, flag_of, std::false_type>::value);
static_assert(!member_or_t<declares_nothing, flag_of, std::false_type>::value);

using namespace std::string_view_literals;
static_assert(all_unique(std::array<std::string_view, 0>{}));
static_assert(all_unique(std::array{"PLAIN"sv, "LOGIN"sv}));
static_assert(!all_unique(std::array{"PLAIN"sv, "LOGIN"sv, "PLAIN"sv}));
static_assert(all_unique(std::array{std::pair{"Mailbox"sv, false}, std::pair{"Mailbox"sv, true}}));
static_assert(!all_unique(std::array{"a"sv, "A"sv}, [](std::string_view x, std::string_view y) {
    return x.size() == y.size() && (x[0] | 0x20) == (y[0] | 0x20);
}));

} // namespace

BOOST_AUTO_TEST_SUITE(type_list)

BOOST_AUTO_TEST_CASE(all_unique_at_run_time) {
    std::array<int, 3> values{1, 2, 3};
    BOOST_TEST(all_unique(values));
    values[2] = 1;
    BOOST_TEST(!all_unique(values));
}

BOOST_AUTO_TEST_SUITE_END()
