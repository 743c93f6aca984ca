#include <smtp/policy/memory_store.hpp>

#include <smtp/policy/rate_limits.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// The in-process counter store: fixed windows, and memory that stays bounded under a flood of
// distinct client addresses. Times are given, not waited for.

using smtp::policy::memory_store;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(memory_store_counters)

BOOST_AUTO_TEST_CASE(increment_counts_within_the_window) {
    memory_store store;
    auto t0 = memory_store::clock::now();
    BOOST_TEST(store.increment_at("conn:192.0.2.1", 60s, 1, t0) == 1u);
    BOOST_TEST(store.increment_at("conn:192.0.2.1", 60s, 1, t0 + 30s) == 2u);
    BOOST_TEST(store.increment_at("conn:192.0.2.2", 60s, 1, t0 + 30s) == 1u); // its own
    BOOST_TEST(store.increment_at("conn:192.0.2.1", 60s, 0, t0 + 59s) == 2u); // 0 reads
    // A new window starts from nothing.
    BOOST_TEST(store.increment_at("conn:192.0.2.1", 60s, 1, t0 + 60s) == 1u);
}

BOOST_AUTO_TEST_CASE(flood_of_addresses_stays_bounded) {
    memory_store store;
    auto t = memory_store::clock::now();
    // 200,000 addresses, each seen once, in waves a second apart; windows of 1 s.
    std::size_t most = 0;
    for (int wave = 0; wave < 20; ++wave) {
        for (int i = 0; i < 10000; ++i)
            store.increment_at("conn:" + std::to_string(wave) + "." + std::to_string(i), 1s, 1, t);
        most = std::max(most, store.size());
        t += 1s;
    }
    // At most about twice the live counters (10,000) plus the sweep threshold per shard.
    BOOST_TEST(most <= 2 * 10000 + 16 * 256 + 16);
    BOOST_TEST(store.size() >= 10000u); // the last wave is live
}

BOOST_AUTO_TEST_CASE(shared_by_threads) {
    memory_store store;
    auto t = memory_store::clock::now();
    std::vector<std::thread> threads;
    for (int n = 0; n < 4; ++n)
        threads.emplace_back([&] {
            for (int i = 0; i < 10000; ++i)
                store.increment_at("msg:198.51.100.1", 60s, 1, t);
        });
    for (auto& th : threads)
        th.join();
    BOOST_TEST(store.increment_at("msg:198.51.100.1", 60s, 0, t) == 40000u);
}

BOOST_AUTO_TEST_CASE(rate_limit_parse) {
    auto l = smtp::policy::rate_limit::parse("30/60");
    BOOST_TEST(l.count == 30u);
    BOOST_TEST(l.window.count() == 60000);
    BOOST_TEST(smtp::policy::rate_limit::parse("5/0.5").window.count() == 500);
    for (const char* bad : {"", "30", "/60", "30/", "0/60", "30/0", "x/60", "30/60s", "-1/60"})
        BOOST_CHECK_THROW(smtp::policy::rate_limit::parse(bad), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
