#include <smtp/metrics/registry.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// The counters behind /metrics: what each recording adds, the fixed label values (nothing a
// client sends can add a series), the histograms' cumulative buckets, and sums over threads.

namespace {

double sample(const std::string& scrape, const std::string& series) {
    std::istringstream lines(scrape);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    BOOST_FAIL(series << " missing from\n" << scrape);
    return -1;
}

smtp::message_stats message(std::size_t size, std::size_t recipients,
                            std::chrono::milliseconds duration) {
    return {size, recipients, 250, duration, {}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(metrics_registry)

BOOST_AUTO_TEST_CASE(exposition_counts_what_was_recorded) {
    smtp::metrics::registry r;
    r.connection_opened();
    r.connection_opened();
    r.connection_closed();
    r.command("MAIL FROM:<a@x>\r\n");
    r.command("mail FROM:<b@x>\r\n");
    r.command("RCPT TO:<c@x>\r\n");
    r.command("XYZZY plugh\r\n");
    r.command("STARTTLS\r\n");
    r.reply(250);
    r.reply(354);
    r.reply(552);
    r.reply(999); // no such class: not counted
    r.auth("plain", false);
    r.auth("PLAIN", true);
    r.auth("GSSAPI", false);
    r.tls("TLSv1.3", true);
    r.tls("", false);
    r.limit_hit(smtp::limit::message_size);
    std::string s = r.exposition();
    BOOST_TEST(sample(s, "smtp_connections_total") == 2);
    BOOST_TEST(sample(s, "smtp_connections_active") == 1);
    BOOST_TEST(sample(s, R"(smtp_commands_total{verb="MAIL"})") == 2);
    BOOST_TEST(sample(s, R"(smtp_commands_total{verb="RCPT"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_commands_total{verb="STARTTLS"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_commands_total{verb="other"})") == 1);
    BOOST_TEST(s.find("XYZZY") == std::string::npos);
    BOOST_TEST(sample(s, R"(smtp_replies_total{code_class="2xx"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_replies_total{code_class="3xx"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_replies_total{code_class="5xx"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_auth_total{mechanism="PLAIN",result="failure"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_auth_total{mechanism="PLAIN",result="success"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_auth_total{mechanism="other",result="failure"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_tls_handshakes_total{version="TLSv1.3",result="success"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_tls_handshakes_total{version="unknown",result="failure"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_limit_hits_total{limit="message_size"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_limit_hits_total{limit="timeout"})") == 0);
}

BOOST_AUTO_TEST_CASE(histograms_are_cumulative) {
    smtp::metrics::registry r;
    r.message(smtp::metrics::result::accepted, message(100, 2, std::chrono::milliseconds(3)));
    r.message(smtp::metrics::result::accepted, message(5000, 1, std::chrono::milliseconds(200)));
    r.message(smtp::metrics::result::rejected, message(1 << 30, 1, std::chrono::seconds(100)));
    r.message(smtp::metrics::result::aborted, message(10, 1, std::chrono::seconds(1)));
    std::string s = r.exposition();
    BOOST_TEST(sample(s, R"(smtp_messages_total{result="accepted"})") == 2);
    BOOST_TEST(sample(s, R"(smtp_messages_total{result="rejected"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_messages_total{result="aborted"})") == 1);
    BOOST_TEST(sample(s, "smtp_recipients_total") == 3); // of accepted messages only
    BOOST_TEST(sample(s, R"(smtp_message_size_bytes_bucket{le="1024"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_message_size_bytes_bucket{le="16384"})") == 2);
    BOOST_TEST(sample(s, R"(smtp_message_size_bytes_bucket{le="67108864"})") == 2);
    BOOST_TEST(sample(s, R"(smtp_message_size_bytes_bucket{le="+Inf"})") == 3);
    BOOST_TEST(sample(s, "smtp_message_size_bytes_count") == 3); // aborted ones have no size
    BOOST_TEST(sample(s, "smtp_message_size_bytes_sum") == 100 + 5000 + double(1 << 30));
    BOOST_TEST(sample(s, R"(smtp_message_duration_seconds_bucket{le="0.005"})") == 1);
    BOOST_TEST(sample(s, R"(smtp_message_duration_seconds_bucket{le="0.25"})") == 2);
    BOOST_TEST(sample(s, R"(smtp_message_duration_seconds_bucket{le="60"})") == 2);
    BOOST_TEST(sample(s, R"(smtp_message_duration_seconds_bucket{le="+Inf"})") == 3);
    BOOST_TEST(sample(s, "smtp_message_duration_seconds_sum") == 100.203);
}

BOOST_AUTO_TEST_CASE(threads_record_apart_and_scrapes_sum) {
    smtp::metrics::registry r;
    std::vector<std::thread> threads;
    for (int t = 0; t < 24; ++t) // more threads than shards: some share one
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i)
                r.command("NOOP\r\n");
        });
    for (auto& t : threads)
        t.join();
    BOOST_TEST(sample(r.exposition(), R"(smtp_commands_total{verb="NOOP"})") == 24000);
}

BOOST_AUTO_TEST_SUITE_END()
