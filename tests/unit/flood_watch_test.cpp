#include <smtp/detail/memory_return.hpp>

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <vector>

// When a flood of sessions ends, memory is returned each time their number halves and once
// more when the flood is over; ordinary traffic never triggers a return.

namespace {

using smtp::detail::flood_watch;

// Opens `n` sessions, then closes them one by one; returns the live counts at which the watch
// asked for memory to be returned.
std::vector<std::size_t> returns_while_draining(flood_watch& watch, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        watch.opened();
    std::vector<std::size_t> at;
    for (std::size_t i = 0; i < n; ++i)
        if (watch.closed()) at.push_back(watch.live());
    return at;
}

} // namespace

BOOST_AUTO_TEST_SUITE(flood_watch_suite)

BOOST_AUTO_TEST_CASE(steady_traffic_never_returns_memory) {
    flood_watch watch;
    for (int round = 0; round < 1000; ++round)
        BOOST_TEST(returns_while_draining(watch, flood_watch::flood - 1).empty());
}

BOOST_AUTO_TEST_CASE(a_flood_returns_memory_at_each_halving_and_when_calm) {
    flood_watch watch;
    auto at = returns_while_draining(watch, 10000);
    std::vector<std::size_t> expected{5000, 2500, 1250, 625, 312, 156, 78, 39, 19, 16};
    BOOST_TEST(at == expected, boost::test_tools::per_element());
    BOOST_TEST(watch.live() == 0u);
}

BOOST_AUTO_TEST_CASE(the_next_flood_counts_again) {
    flood_watch watch;
    returns_while_draining(watch, 1000);
    BOOST_TEST(returns_while_draining(watch, 100).empty());
    BOOST_TEST(returns_while_draining(watch, 600).size() == 6u); // 300, 150, 75, 37, 18, 16
}

BOOST_AUTO_TEST_CASE(a_flood_that_grows_while_draining_follows_its_new_height) {
    flood_watch watch;
    for (int i = 0; i < 1000; ++i)
        watch.opened();
    int returns = 0;
    for (int i = 0; i < 400; ++i)
        returns += watch.closed(); // 600 left: above half of 1000
    BOOST_TEST(returns == 0);
    for (int i = 0; i < 1400; ++i)
        watch.opened(); // 2000 live: half is now 1000
    for (int i = 0; i < 1000; ++i)
        returns += watch.closed();
    BOOST_TEST(returns == 1);
    BOOST_TEST(watch.live() == 1000u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reactor_state_reserve_suite)

using smtp::detail::reactor_state_reserve;

BOOST_AUTO_TEST_CASE(runs_stay_ahead_of_the_sessions_and_grow) {
    reactor_state_reserve reserve;
    std::vector<std::size_t> runs;
    for (std::size_t live = 1; live <= 10000; ++live) {
        if (auto n = reserve.needed(live)) runs.push_back(n);
        BOOST_TEST_REQUIRE(reserve.reserved() >= live + reactor_state_reserve::slack);
    }
    // O(log n) runs: 128, 64, 96, 144, ... for 10,000 sessions.
    BOOST_TEST(runs.size() <= 14u);
    BOOST_TEST(runs.front() == 2 * reactor_state_reserve::slack);
    BOOST_TEST(reserve.reserved() < 2 * (10000 + reactor_state_reserve::slack));
}

BOOST_AUTO_TEST_CASE(steady_sessions_allocate_nothing_more) {
    reactor_state_reserve reserve;
    (void)reserve.needed(1);
    std::size_t before = reserve.reserved();
    for (int round = 0; round < 1000; ++round)
        BOOST_TEST(reserve.needed(1 + round % 10) == 0u);
    BOOST_TEST(reserve.reserved() == before);
}

BOOST_AUTO_TEST_SUITE_END()
