#include <smtp/client/sendmail.hpp>
#include <smtp/handlers/sink.hpp>
#include <smtp/metrics/http_server.hpp>
#include <smtp/metrics/observed.hpp>

#include "certificates.hpp"
#include "fixture.hpp"
#include "test_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// The hooks operations are built on, over loopback with the library: TLS handshakes, AUTH
// results, aborted messages and limits reach smtp::metrics::observed; the IDs a handler asks
// for; serving a socket someone else bound (controller's listen_address::sockets); the
// /metrics endpoint of metrics::http_server.

using namespace std::chrono_literals;
using smtp_test::test_client;

namespace {

using counted = smtp::metrics::observed<smtp::handlers::sink>;

double sample_value(const std::string& scrape, const std::string& series) {
    std::istringstream lines(scrape);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    return -1;
}

/// Waits (up to 10 s) for `series` to reach `value`; the value seen last.
double await_sample(const smtp::metrics::registry& r, const std::string& series, double value) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    double seen = sample_value(r.exposition(), series);
    while (seen != value && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        seen = sample_value(r.exposition(), series);
    }
    return seen;
}

/// Records the IDs the hooks see.
struct id_watcher {
    static constexpr bool assign_ids = true;
    struct seen_ids {
        std::mutex mutex;
        std::vector<std::string> sessions, messages, stats_messages;
    };
    std::shared_ptr<seen_ids> seen = std::make_shared<seen_ids>();

    smtp::reply handle_DATA(smtp::connection&, smtp::session& s, smtp::envelope<>& e) {
        std::lock_guard lock(seen->mutex);
        seen->sessions.push_back(s.id);
        seen->messages.push_back(e.message_id);
        return smtp::reply::ok();
    }
    void message_accepted(const smtp::connection&, const smtp::message_stats& stats) {
        std::lock_guard lock(seen->mutex);
        seen->stats_messages.emplace_back(stats.message_id);
    }
};

/// The same without asking for IDs.
struct no_ids {
    std::shared_ptr<std::vector<std::string>> seen = std::make_shared<std::vector<std::string>>();
    smtp::reply handle_DATA(smtp::connection&, smtp::session& s, smtp::envelope<>& e) {
        seen->push_back(s.id + e.message_id);
        return smtp::reply::ok();
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(operations_hooks)

BOOST_AUTO_TEST_CASE(tls_handshakes_are_counted_by_version_and_result) {
    const auto& certs = smtp_test::certificates::get();
    smtp::options o = smtp_test::test_options();
    o.tls = smtp::tls_context::from_files(certs.mx_cert, certs.mx_key);
    auto counters = std::make_shared<smtp::metrics::registry>();
    smtp_test::running<counted> server(o, counted({}, counters));
    {
        auto c = server.ehloed();
        BOOST_TEST(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
        c.start_tls();
        BOOST_TEST(c.command("EHLO again").starts_with("250"));
    }
    {
        auto c = server.ehloed();
        BOOST_TEST(c.command("STARTTLS") == "220 Ready to start TLS\r\n");
        c.send("this is no ClientHello\r\n\r\n");
        c.read_to_end();
    }
    BOOST_TEST(await_sample(*counters,
                            R"(smtp_tls_handshakes_total{version="TLSv1.3",result="success"})",
                            1) == 1);
    BOOST_TEST(await_sample(*counters,
                            R"(smtp_tls_handshakes_total{version="unknown",result="failure"})",
                            1) == 1);
}

BOOST_AUTO_TEST_CASE(aborted_messages_and_limits_are_counted) {
    smtp::options o = smtp_test::test_options();
    o.max_connections = 1;
    auto counters = std::make_shared<smtp::metrics::registry>();
    smtp_test::running<counted> server(o, counted({}, counters));
    {
        auto c = server.ehloed();
        {
            test_client refused = server.connected();
            BOOST_TEST(refused.read_reply().starts_with("421 "));
        }
        c.command("MAIL FROM:<a@x>");
        c.command("RCPT TO:<b@x>");
        BOOST_TEST(c.command("DATA").starts_with("354"));
        c.send("Subject: half a message\r\n\r\nand then the client");
        c.abort();
    }
    BOOST_TEST(await_sample(*counters, R"(smtp_messages_total{result="aborted"})", 1) == 1);
    BOOST_TEST(await_sample(*counters, R"(smtp_limit_hits_total{limit="connections"})", 1) == 1);
    BOOST_TEST(await_sample(*counters, "smtp_connections_active", 0) == 0);
    BOOST_TEST(sample_value(counters->exposition(), "smtp_connections_total") == 2);
}

BOOST_AUTO_TEST_CASE(ids_are_assigned_only_when_asked_for) {
    smtp_test::running<id_watcher> with;
    with.sendmail();
    with.sendmail();
    {
        auto& seen = *with.handler().seen;
        std::lock_guard lock(seen.mutex);
        BOOST_TEST_REQUIRE(seen.sessions.size() == 2u);
        BOOST_TEST(seen.sessions[0].size() == 16u);
        BOOST_TEST(seen.messages[0].size() == 16u);
        BOOST_TEST(seen.sessions[0] != seen.sessions[1]);
        BOOST_TEST(seen.messages[0] != seen.messages[1]);
        BOOST_TEST(seen.messages[0] != seen.sessions[0]);
        BOOST_TEST(seen.stats_messages == seen.messages, boost::test_tools::per_element());
    }
    smtp_test::running<no_ids> without;
    without.sendmail();
    BOOST_TEST(*without.handler().seen == std::vector<std::string>{""},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(serves_sockets_bound_by_someone_else) {
    // A TCP socket and a UNIX one, bound and listening here as systemd would, handed over.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor tcp(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto port = tcp.local_endpoint().port();
    auto path =
        std::filesystem::temp_directory_path() / ("smtp-activation-" + std::to_string(::getpid()));
    std::filesystem::remove(path);
    boost::asio::local::stream_protocol::acceptor local(
        io, boost::asio::local::stream_protocol::endpoint(path.string()));
    smtp::listen_address where;
    where.sockets = {tcp.release(), local.release()};
    smtp::options o = smtp_test::test_options();
    o.threads = 2; // the second thread serves duplicates of both
    smtp::controller<smtp::server<smtp::handlers::sink>> c({}, o, where);
    c.start();
    BOOST_TEST(c.port() == port);
    BOOST_TEST(
        smtp::sendmail("127.0.0.1", port, "a@x", {"b@x"}, "Subject: tcp\r\n\r\nx\r\n").data.code ==
        250);
    boost::asio::local::stream_protocol::socket unix_client(io);
    unix_client.connect(path.string());
    boost::asio::streambuf greeting;
    boost::asio::read_until(unix_client, greeting, "\r\n");
    std::string line{std::istreambuf_iterator<char>(&greeting), {}};
    BOOST_TEST(line.starts_with("220 mx.test "));
    c.stop();
    BOOST_TEST(std::filesystem::exists(path)); // not the server's to remove
    std::filesystem::remove(path);

    // A descriptor that is no listening socket is refused.
    smtp::listen_address bad;
    bad.sockets = {::socket(AF_INET, SOCK_STREAM, 0)};
    smtp::controller<smtp::server<smtp::handlers::sink>> refused({}, o, bad);
    BOOST_CHECK_THROW(refused.bind(), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(http_server_serves_the_exposition) {
    boost::asio::io_context io;
    auto counters = std::make_shared<smtp::metrics::registry>();
    counters->connection_opened();
    smtp::metrics::http_server metrics(io.get_executor(),
                                       {boost::asio::ip::make_address("127.0.0.1"), 0}, counters);
    auto port = metrics.endpoint().port();
    std::thread serving([&] { io.run(); });
    auto get = [&](const std::string& request) {
        boost::asio::io_context client_io;
        boost::asio::ip::tcp::socket s(client_io);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port});
        boost::asio::write(s, boost::asio::buffer(request));
        std::string response;
        boost::system::error_code ec;
        char buffer[4096];
        while (std::size_t n = s.read_some(boost::asio::buffer(buffer), ec))
            response.append(buffer, n);
        return response;
    };
    std::string ok = get("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    BOOST_TEST(ok.starts_with("HTTP/1.1 200 OK\r\n"));
    BOOST_TEST(ok.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
    BOOST_TEST(ok.find("\nsmtp_connections_total 1\n") != std::string::npos, ok);
    BOOST_TEST(get("GET /nope HTTP/1.0\r\n\r\n").starts_with("HTTP/1.0 404 Not Found\r\n"));
    BOOST_TEST(get("POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
                   .starts_with("HTTP/1.0 405 Method Not Allowed\r\n"));
    BOOST_TEST(get("garbage\r\n\r\n").empty()); // not HTTP: closed without an answer
    metrics.close();
    serving.join(); // the loop ended: nothing else kept the io_context busy
}

BOOST_AUTO_TEST_SUITE_END()
