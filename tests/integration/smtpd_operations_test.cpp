// smtpd's operations flags (docs/operations.md), end to end with real peers: Prometheus metrics
// scraped with curl and checked by promtool after Python smtplib traffic; the JSON event log
// followed by message ID; the log reopened on SIGUSR1; socket activation by
// systemd-socket-activate; sd_notify readiness to a UNIX datagram socket. Every wait is bounded.
#include <boost/test/unit_test.hpp>

#include "child_process.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"
#include "temp_dir.hpp"
#include "test_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: every test is skipped
#endif

using namespace std::chrono_literals;
using smtp_test::run_command;

namespace {

bool have_smtpd() {
    return std::string_view(SMTPD_PATH) != "";
}
bool have(const std::string& program) {
    return run_command("sh -c 'command -v " + program + "'").exit_code == 0;
}

/// The value of the sample `series` (name and labels exactly as exposed) in a scrape.
std::optional<double> sample_if_present(const std::string& scrape, const std::string& series) {
    std::istringstream lines(scrape);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    return std::nullopt;
}

/// The lines of a file.
std::vector<std::string> lines_of(const std::filesystem::path& p) {
    std::vector<std::string> out;
    std::istringstream in(smtp_test::read_file(p));
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

/// Waits (up to 10 s) until `done()`; false when it never held.
template <class Predicate>
bool eventually(Predicate done) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

std::string traffic(std::uint16_t port, int accepted, int refused, int failures,
                    const std::string& password) {
    auto python =
        run_command("python3 " SMTP_TEST_PYTHON_DIR "/ops_traffic.py " + std::to_string(port) +
                    " " + std::to_string(accepted) + " " + std::to_string(refused) + " " +
                    std::to_string(failures) + " carol " + password);
    BOOST_TEST_REQUIRE(python.exit_code == 0, python.output);
    return python.output;
}

} // namespace

BOOST_AUTO_TEST_SUITE(smtpd_operations)

BOOST_AUTO_TEST_CASE(metrics_after_smtplib_traffic_pass_promtool) {
    if (!have_smtpd() || !have("promtool") || !have("curl")) {
        BOOST_TEST_MESSAGE("skipped: needs smtpd, promtool (Debian: prometheus) and curl");
        return;
    }
    auto metrics_port = smtp_test::free_port();
    smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                   {"-c", "Sink", "-s", "1000", "--auth", "carol:s3cret-pw",
                                    "--no-auth-require-tls", "--auth-failure-delay", "0",
                                    "--metrics", "127.0.0.1:" + std::to_string(metrics_port)});
    smtpd.connect(); // listening (one connection more in the count)
    const int accepted = 3, refused = 2, failures = 2;
    traffic(smtpd.port, accepted, refused, failures, "s3cret-pw");

    smtp_test::temp_dir dir;
    auto scrape_file = dir.path / "scrape.txt";
    auto curl = run_command("curl -sSf -o " + scrape_file.string() +
                            " http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics");
    BOOST_TEST_REQUIRE(curl.exit_code == 0, curl.output);
    auto promtool = run_command("promtool check metrics < " + scrape_file.string());
    BOOST_TEST(promtool.exit_code == 0, promtool.output);

    std::string scrape = smtp_test::read_file(scrape_file);
    auto expect = [&](const std::string& series, double value) {
        auto got = sample_if_present(scrape, series);
        BOOST_TEST_REQUIRE(got.has_value(), series << " missing from\n" << scrape);
        BOOST_TEST(*got == value, series << " is " << *got << ", expected " << value);
    };
    expect(R"(smtp_messages_total{result="accepted"})", accepted);
    expect(R"(smtp_messages_total{result="rejected"})", refused);
    expect(R"(smtp_messages_total{result="aborted"})", 0);
    expect(R"(smtp_auth_total{mechanism="PLAIN",result="failure"})", failures);
    expect(R"(smtp_auth_total{mechanism="PLAIN",result="success"})", 1);
    expect(R"(smtp_limit_hits_total{limit="message_size"})", refused);
    expect("smtp_connections_total", 1 + accepted + refused + failures);
    expect(R"(smtp_commands_total{verb="MAIL"})", accepted + refused);
    expect(R"(smtp_commands_total{verb="RCPT"})", accepted + refused);
    expect(R"(smtp_commands_total{verb="AUTH"})", 1 + failures);
    expect(R"(smtp_replies_total{code_class="5xx"})", refused + failures); // 552s and 535s
    expect("smtp_recipients_total", accepted);
    expect("smtp_message_size_bytes_count", accepted + refused);
    expect("smtp_message_duration_seconds_count", accepted + refused);
    expect(R"(smtp_message_size_bytes_bucket{le="+Inf"})", accepted + refused);

    // Anything but /metrics is a 404.
    auto other = run_command("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" +
                             std::to_string(metrics_port) + "/other");
    BOOST_TEST(other.output == "404");
}

BOOST_AUTO_TEST_CASE(json_log_follows_a_message_from_connect_to_its_250) {
    if (!have_smtpd()) return;
    smtp_test::temp_dir dir;
    auto log = dir.path / "smtpd.log";
    smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                   {"-c", "Sink", "-s", "1000", "--auth", "carol:s3cret-pw",
                                    "--no-auth-require-tls", "--auth-failure-delay", "0",
                                    "--log-format", "json", "--log-file", log.string()});
    smtpd.connect();
    std::string replies = traffic(smtpd.port, 2, 1, 1, "s3cret-pw");
    // "250 2.0.0 OK: queued as <ID>" for each accepted message.
    const std::string queued = "250 2.0.0 OK: queued as ";
    BOOST_TEST_REQUIRE(replies.starts_with(queued), replies);
    std::string id = replies.substr(queued.size(), replies.find('\n') - queued.size());
    BOOST_TEST(id.size() == 16u, id);
    // The last disconnect is logged once the client has gone.
    BOOST_TEST_REQUIRE(eventually([&] {
        auto lines = lines_of(log);
        int disconnects = 0;
        for (const auto& line : lines)
            disconnects += line.find("\"event\":\"disconnect\"") != std::string::npos;
        return disconnects == 5;
    }));
    auto check = run_command("python3 " SMTP_TEST_PYTHON_DIR "/ops_log_check.py " + log.string() +
                             " " + id + " s3cret-pw");
    BOOST_TEST(check.exit_code == 0, check.output);
    BOOST_TEST(check.output.find("auth  carol") != std::string::npos, check.output);
    std::string text = smtp_test::read_file(log);
    BOOST_TEST(text.find("\"event\":\"limit\",\"session\"") != std::string::npos);
    BOOST_TEST(text.find("\"code\":552") != std::string::npos);
    BOOST_TEST(text.find("\"code\":535") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mailbox_stores_the_queue_id_the_250_named) {
    if (!have_smtpd()) return;
    smtp_test::temp_dir dir;
    auto maildir = dir.path / "maildir";
    smtp_test::smtpd_process smtpd(SMTPD_PATH, {"-c", "Mailbox", maildir.string(), "--log-format",
                                                "json", "--log-file", (dir.path / "log").string()});
    smtpd.connect();
    std::string replies = traffic(smtpd.port, 1, 0, 0, "-");
    const std::string queued = "250 2.0.0 OK: queued as ";
    BOOST_TEST_REQUIRE(replies.starts_with(queued), replies);
    std::string id = replies.substr(queued.size(), replies.find('\n') - queued.size());
    auto stored = smtp_test::names_in(maildir / "new");
    BOOST_TEST_REQUIRE(stored.size() == 1u);
    std::string message = smtp_test::read_file(maildir / "new" / stored.front());
    BOOST_TEST(message.find("\nX-Queue-ID: " + id + "\n") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(without_log_format_the_250_stays_aiosmtpds) {
    if (!have_smtpd()) return;
    smtp_test::smtpd_process smtpd(
        SMTPD_PATH,
        {"-c", "Sink", "--metrics", "127.0.0.1:" + std::to_string(smtp_test::free_port())});
    smtpd.connect();
    std::string replies = traffic(smtpd.port, 1, 0, 0, "-");
    BOOST_TEST(replies == "250 OK\n");
}

BOOST_AUTO_TEST_CASE(text_log_and_sigusr1_reopens_the_file) {
    if (!have_smtpd()) return;
    smtp_test::temp_dir dir;
    auto log = dir.path / "smtpd.log";
    auto rotated = dir.path / "smtpd.log.1";
    smtp_test::smtpd_process smtpd(
        SMTPD_PATH, {"-c", "Sink", "--log-format", "text", "--log-file", log.string()});
    smtpd.connect();
    BOOST_TEST_REQUIRE(
        eventually([&] { return lines_of(log).size() >= 2; })); // connect, disconnect
    std::filesystem::rename(log, rotated);
    smtpd.child.signal(SIGUSR1);
    BOOST_TEST_REQUIRE(eventually([&] { return std::filesystem::exists(log); }));
    traffic(smtpd.port, 1, 0, 0, "-");
    BOOST_TEST_REQUIRE(eventually([&] {
        auto lines = lines_of(log);
        return !lines.empty() && lines.back().find(" event=disconnect ") != std::string::npos;
    }));
    auto lines = lines_of(log);
    BOOST_TEST(lines.front().find(" event=connect session=") != std::string::npos, lines.front());
    bool accepted = false;
    for (const auto& line : lines)
        accepted = accepted || line.find(" event=accepted ") != std::string::npos;
    BOOST_TEST(accepted);
    BOOST_TEST(lines_of(rotated).size() == 2u); // nothing more went to the old file
    BOOST_TEST(smtpd.terminate().value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(socket_activation_serves_a_socket_it_never_bound) {
    if (!have_smtpd() || !have("systemd-socket-activate")) {
        BOOST_TEST_MESSAGE("skipped: needs smtpd and systemd-socket-activate (Debian: systemd)");
        return;
    }
    auto activated = smtp_test::free_port();
    auto own = smtp_test::free_port(); // -l names it; smtpd must not bind it
    smtp_test::temp_dir dir;
    auto log = dir.path / "smtpd.log";
    smtp_test::child_process child({"/usr/bin/systemd-socket-activate", "-l",
                                    "127.0.0.1:" + std::to_string(activated), SMTPD_PATH, "-n",
                                    "-c", "Sink", "-l", "127.0.0.1:" + std::to_string(own),
                                    "--log-format", "json", "--log-file", log.string()});
    // systemd-socket-activate listens, and starts smtpd at the first connection.
    std::optional<smtp_test::test_client> client;
    BOOST_TEST_REQUIRE(eventually([&] {
                           try {
                               client.emplace(activated, 10s);
                               return true;
                           } catch (const boost::system::system_error&) {
                               return false;
                           }
                       }),
                       child.err());
    BOOST_TEST(client->read_reply().starts_with("220 "));
    client.reset();
    std::string replies = traffic(activated, 1, 0, 0, "-");
    BOOST_TEST(replies.starts_with("250 2.0.0 OK: queued as "), replies);
    // Nothing listens where -l pointed.
    BOOST_CHECK_THROW(smtp_test::test_client(own, 1s), boost::system::system_error);
    child.signal(SIGTERM);
    BOOST_TEST(child.wait(10s).value_or(-1) == 0, child.err());
}

BOOST_AUTO_TEST_CASE(sd_notify_ready_then_stopping) {
    if (!have_smtpd()) return;
    smtp_test::temp_dir dir;
    std::string path = (dir.path / "notify").string();
    int listener = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    BOOST_TEST_REQUIRE(listener >= 0);
    ::sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    BOOST_TEST_REQUIRE(::bind(listener, reinterpret_cast<::sockaddr*>(&address), sizeof address) ==
                       0);
    ::timeval bound{10, 0}; // a bound on each wait, not a timed assertion
    ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
    auto next = [&] {
        char buffer[256];
        ssize_t n = ::recv(listener, buffer, sizeof buffer, 0);
        return n < 0 ? std::string("(nothing)") : std::string(buffer, std::size_t(n));
    };

    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
    smtp_test::smtpd_process smtpd(SMTPD_PATH, {"-c", "Sink"});
    ::unsetenv("NOTIFY_SOCKET");
    BOOST_TEST(next() == "READY=1");
    smtpd.connect().read_reply(); // ready meant listening
    smtpd.child.signal(SIGTERM);
    BOOST_TEST(next() == "STOPPING=1");
    BOOST_TEST(smtpd.child.wait(10s).value_or(-1) == 0);
    ::close(listener);
}

BOOST_AUTO_TEST_CASE(operations_flags_are_checked) {
    if (!have_smtpd()) return;
    auto run = [](std::vector<std::string> args) {
        args.insert(args.begin(), SMTPD_PATH);
        smtp_test::child_process child(std::move(args));
        auto status = child.wait(10s);
        return std::make_pair(status.value_or(-1), child.err());
    };
    auto [format_status, format_err] = run({"--log-format", "xml"});
    BOOST_TEST(format_status == 2);
    BOOST_TEST(format_err.find("argument --log-format: invalid choice: 'xml'") != std::string::npos,
               format_err);
    auto [metrics_status, metrics_err] = run({"--metrics", "9101x"});
    BOOST_TEST(metrics_status == 2);
    BOOST_TEST(metrics_err.find("argument --metrics: expected HOST:PORT") != std::string::npos,
               metrics_err);
    auto [file_status, file_err] = run({"--log-file", "/tmp/x.log"});
    BOOST_TEST(file_status == 2);
    BOOST_TEST(file_err.find("--log-file: needs --log-format") != std::string::npos, file_err);
}

BOOST_AUTO_TEST_SUITE_END()
