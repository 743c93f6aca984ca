// docs/policy.md: deciding at connect, and the rate limits. Compiled (not run) by the build.
#include <smtp/connect.hpp>
#include <smtp/handlers/sink.hpp>
#include <smtp/policy/rate_limited.hpp>
#include <smtp/server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>

#if __has_include(<hiredis/async.h>)
#include <smtp/policy/redis_store.hpp>
#endif

// [policy-dnsbl]
// Refuses clients a DNS blocklist lists, greets the others after the pre-greet test.
struct dnsbl_checked : smtp::handlers::sink {
    std::string zone = "zen.example.org";

    boost::asio::awaitable<smtp::connect_decision> handle_CONNECT(smtp::connection&,
                                                                  smtp::session& session) {
        // Submission ports are for authenticated users: no blocklist there.
        if (session.local.port == 587 || session.local.port == 465)
            co_return smtp::connect_decision::greet();
        if (session.peer.family != smtp::peer_address::family_type::ipv4)
            co_return smtp::connect_decision::greet(std::chrono::seconds(3));
        // 192.0.2.1 is looked up as 1.2.0.192.zen.example.org.
        auto ip = boost::asio::ip::make_address_v4(session.peer.host).to_bytes();
        std::string query = std::to_string(ip[3]) + "." + std::to_string(ip[2]) + "." +
                            std::to_string(ip[1]) + "." + std::to_string(ip[0]) + "." + zone;
        boost::asio::ip::tcp::resolver resolver(co_await boost::asio::this_coro::executor);
        std::string service; // named: no temporaries in a co_await expression (g++ 12)
        auto [error, listed] = co_await resolver.async_resolve(
            query, service, boost::asio::as_tuple(boost::asio::use_awaitable));
        if (!error && !listed.empty()) // listed: an A record in 127.0.0.0/8
            co_return smtp::connect_decision::refuse("5.7.1 Service unavailable; client host [" +
                                                     session.peer.host + "] blocked using " + zone);
        // Not listed (or the lookup failed): the pre-greet test, as postscreen does it.
        co_return smtp::connect_decision::greet(std::chrono::seconds(3));
    }
};
// [policy-dnsbl]

void compose_rate_limits() {
    // [policy-rate-limited]
    smtp::policy::rate_limits limits;
    limits.connections = smtp::policy::rate_limit::parse("30/60");   // per client address
    limits.recipients = smtp::policy::rate_limit::parse("200/3600"); // RCPT commands
    limits.auth_failures = {5, std::chrono::minutes(10)};            // per address and user
    // The DNSBL check still runs, after the connection rate (rate_limited calls Next's hook).
    using limited = smtp::policy::rate_limited<dnsbl_checked>;
    smtp::server<limited> server{limited{dnsbl_checked{}, limits}};
    // [policy-rate-limited]
}

#if __has_include(<hiredis/async.h>)
void share_through_redis() {
    // [policy-redis]
    smtp::policy::rate_limits limits;
    limits.connections = smtp::policy::rate_limit::parse("30/60");
    limits.fail_open = true; // when Redis is down or slow, let clients on
    auto redis = std::make_shared<smtp::policy::redis_store>(
        smtp::policy::redis_store::config{.host = "10.0.0.5", .port = 6379});
    using limited = smtp::policy::rate_limited<smtp::handlers::sink, smtp::policy::redis_store>;
    smtp::server<limited> server{limited{{}, limits, redis}};
    // [policy-redis]
}
#endif
