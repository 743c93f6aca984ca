// Thousands of connections that never say anything: each is greeted and held at a small,
// bounded cost, and a client that does speak is served while they are all open.
#include "hostile.hpp"

#include <sys/resource.h>

using namespace hostile;

BOOST_AUTO_TEST_SUITE(idle_connections)

BOOST_AUTO_TEST_CASE(thousands_of_silent_connections) {
    if (!smtpd_built()) return;
    // This process holds one end of every connection and smtpd (which inherits the limit) the
    // other: each needs 2000 descriptors and a few more.
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    const std::size_t count = 2000, needed = count + 100;
    if (files.rlim_cur < needed) {
        files.rlim_cur = std::min<rlim_t>(files.rlim_max, needed);
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    BOOST_TEST_REQUIRE(files.rlim_cur >= needed, "too few file descriptors allowed (ulimit -n)");
    smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    memory_baseline baseline(smtpd);
    std::vector<raw_socket> idle;
    idle.reserve(count);
    for (std::size_t i = 0; i < count; ++i)
        idle.emplace_back(smtpd.port);
    std::size_t greeted = 0;
    for (auto& c : idle)
        greeted += c.read_until("\r\n", 30s) && c.in().starts_with("220 ");
    BOOST_TEST(greeted == count);
    expect_served(smtpd, "among 2000 silent connections");
    std::size_t growth = baseline.peak_growth_kib();
    BOOST_TEST_MESSAGE("2000 idle connections: peak RSS +" << growth << " KiB");
    BOOST_TEST(growth < 256 * 1024u);
    idle.clear();
    expect_served(smtpd, "after they left");
}

BOOST_AUTO_TEST_SUITE_END()
