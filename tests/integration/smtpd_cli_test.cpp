// examples/smtpd run as a process: aiosmtpd's command line (`python -m aiosmtpd`) and the
// options it adds. Every wait is bounded: reads by socket timeouts, process exits by deadlines
// (a child still running at the end of a test is killed).
#include <boost/test/unit_test.hpp>

#include "certificates.hpp"
#include "child_process.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"
#include "test_client.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>

#include <smtp/version.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <istream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: every test is skipped
#endif

namespace {

using smtp_test::contains;
using smtp_test::smtpd_built;

using namespace std::chrono_literals;
using smtp_test::child_process;
using smtp_test::test_client;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct outcome {
    int status;
    std::string out, err;
};

/// Runs smtpd with `args` to its end (at most 10 s).
outcome run_smtpd(std::vector<std::string> args) {
    args.insert(args.begin(), SMTPD_PATH);
    child_process child(std::move(args));
    auto status = child.wait(10s);
    BOOST_REQUIRE_MESSAGE(status, "smtpd did not exit; stderr: " << child.err());
    return {*status, child.out(), child.err()};
}

using smtp_test::free_port;

/// smtpd serving on 127.0.0.1:<a free port>, stopped (SIGKILL) at the end if still running.
struct server_process : smtp_test::smtpd_process {
    explicit server_process(std::vector<std::string> options, bool nosetuid = true,
                            std::string address = "127.0.0.1")
        : smtpd_process(SMTPD_PATH, std::move(options), nosetuid, std::move(address)) {}
};

/// A message whose body is `body_size` x's, in lines of at most 76.
std::string sample_message(std::size_t body_size = 4) {
    std::string message = "Subject: hello\r\n\r\n";
    for (std::size_t done = 0; done < body_size; done += 76)
        message.append(std::min<std::size_t>(76, body_size - done), 'x').append("\r\n");
    return message + ".\r\n";
}

/// EHLO, MAIL, RCPT, DATA and the message; returns the reply to the message.
std::string send_message(test_client& client, const std::string& message) {
    client.command("EHLO client.test");
    client.command("MAIL FROM:<a@example.com>");
    client.command("RCPT TO:<b@example.com>");
    std::string go_ahead = client.command("DATA");
    if (!go_ahead.starts_with("354")) return go_ahead;
    client.send(message);
    return client.read_reply();
}

/// The user id of a running process, from /proc.
std::string uid_of(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("Uid:")) return line.substr(line.find_first_not_of(" \t", 4));
    return {};
}

const std::string usage_start = "usage: smtpd [-h]";

} // namespace

BOOST_AUTO_TEST_SUITE(smtpd_cli,
                      *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                          return boost::unit_test::assertion_result(smtpd_built());
                      }))

// ---- arguments --------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(version_prints_program_and_version) {
    auto r = run_smtpd({"--version"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out == std::string("smtpd ") + smtp::version_string + "\n");
    BOOST_TEST(run_smtpd({"-v"}).out == r.out);
}

BOOST_AUTO_TEST_CASE(help_lists_options_and_handler_classes) {
    auto r = run_smtpd({"--help"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.starts_with(usage_start));
    for (auto part :
         {"-n, --nosetuid", "-c CLASS, --class CLASS", "-s SIZE, --size SIZE", "-u, --smtputf8",
          "-d, --debug", "--listen [[HOST][:PORT]]", "--hostname NAME", "--timeout SECONDS",
          "--command-call-limit N", "Debugging, Sink", "Default: Debugging"})
        BOOST_TEST(contains(r.out, part), part);
    BOOST_TEST(r.err.empty());
}

// argparse stops at -h: later arguments are not looked at.
BOOST_AUTO_TEST_CASE(help_wins_over_later_bad_arguments) {
    auto r = run_smtpd({"-h", "--no-such-option", "-s", "x"});
    BOOST_TEST(r.status == 0);
    BOOST_TEST(r.out.starts_with(usage_start));
}

BOOST_AUTO_TEST_CASE(unknown_class_exits_2_naming_the_available_ones) {
    auto r = run_smtpd({"-n", "-c", "Nope"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(r.err.starts_with(usage_start));
    BOOST_TEST(contains(r.err, "smtpd: error: unknown handler class 'Nope' (available: "
                               "Debugging, Sink, Mailbox, Proxy)\n"));
}

BOOST_AUTO_TEST_CASE(sink_with_an_argument_exits_2) {
    auto r = run_smtpd({"-n", "-c", "Sink", "foo"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.starts_with(usage_start));
    BOOST_TEST(contains(r.err, "smtpd: error: Sink handler does not accept arguments\n"));
}

BOOST_AUTO_TEST_CASE(debugging_with_a_bad_argument_exits_2) {
    auto r = run_smtpd({"-n", "-c", "Debugging", "foo"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.starts_with(usage_start));
    BOOST_TEST(contains(r.err, "smtpd: error: Debugging usage: [stdout|stderr]\n"));
}

// aiosmtpd's dotted class paths name the class by their last part.
BOOST_AUTO_TEST_CASE(dotted_class_path_names_the_class) {
    auto r = run_smtpd({"-n", "-c", "aiosmtpd.handlers.Sink", "foo"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(contains(r.err, "smtpd: error: Sink handler does not accept arguments\n"));
}

// aiosmtpd: parser.error("Invalid port number: <x>"), exit 2. It lets an out-of-range number
// through to a traceback at bind time; smtpd reports it the same way as a non-number.
BOOST_AUTO_TEST_CASE(bad_port_exits_2) {
    for (std::string port : {"x", "99999", "-1", "25x"}) {
        auto r = run_smtpd({"-n", "-l", "localhost:" + port});
        BOOST_TEST(r.status == 2, port);
        BOOST_TEST(r.err.starts_with(usage_start));
        BOOST_TEST(contains(r.err, "smtpd: error: Invalid port number: " + port + "\n"), port);
    }
}

// As aiosmtpd: the handler's arguments are checked before the address.
BOOST_AUTO_TEST_CASE(bad_handler_arguments_reported_before_bad_port) {
    auto r = run_smtpd({"-n", "-l", ":x", "-c", "Sink", "foo"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(contains(r.err, "Sink handler does not accept arguments"));
}

BOOST_AUTO_TEST_CASE(bad_options_exit_2_with_argparse_messages) {
    struct row {
        std::vector<std::string> args;
        std::string message;
    };
    for (const auto& [args, message] : std::vector<row>{
             {{"--no-such-option"}, "unrecognized arguments: --no-such-option"},
             {{"-x"}, "unrecognized arguments: -x"},
             {{"-s"}, "argument -s/--size: expected one argument"},
             {{"-s", "lots"}, "argument -s/--size: invalid non-negative int value: 'lots'"},
             {{"--timeout", "0"}, "argument --timeout: invalid positive number: '0'"},
             {{"--command-call-limit", "many"},
              "argument --command-call-limit: invalid non-negative int value: 'many'"},
             {{"--h"}, "ambiguous option: --h could match --help, --hostname"},
             {{"--nosetuid=yes"}, "argument -n/--nosetuid: ignored explicit argument 'yes'"},
         }) {
        auto r = run_smtpd(args);
        BOOST_TEST(r.status == 2, message);
        BOOST_TEST(contains(r.err, "smtpd: error: " + message + "\n"), r.err);
    }
}

BOOST_AUTO_TEST_CASE(address_in_use_exits_1) {
    server_process first({"-c", "Sink"});
    first.connect();
    auto r = run_smtpd({"-n", "-c", "Sink", "-l", "127.0.0.1:" + std::to_string(first.port)});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(
        contains(r.err, "smtpd: cannot listen on 127.0.0.1:" + std::to_string(first.port) + ": "));
}

// ---- serving ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(debugging_prints_the_message_on_stdout) {
    server_process smtpd({"-c", "Debugging"});
    test_client client = smtpd.connect();
    BOOST_TEST(client.read_reply().starts_with("220 "));
    BOOST_TEST(send_message(client, sample_message()) == "250 OK\r\n");
    BOOST_TEST(client.command("QUIT") == "221 Bye\r\n");
    BOOST_REQUIRE(smtpd.child.wait_for_output([&] { return contains(smtpd.child.out(), "END"); }));
    BOOST_TEST(smtpd.child.out().starts_with("---------- MESSAGE FOLLOWS ----------\n"
                                             "Subject: hello\n"
                                             "X-Peer: ('127.0.0.1', "));
    BOOST_TEST(contains(smtpd.child.out(), "\n\nxxxx\n------------ END MESSAGE ------------\n"));
    BOOST_TEST(smtpd.terminate().value_or(-1) == 0);
    BOOST_TEST(smtpd.child.err().empty()); // no -d: nothing on stderr
}

BOOST_AUTO_TEST_CASE(debugging_is_the_default_class_and_takes_stderr) {
    server_process smtpd({"stderr"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(send_message(client, sample_message()) == "250 OK\r\n");
    BOOST_TEST(smtpd.child.wait_for_output([&] { return contains(smtpd.child.err(), "END"); }));
    BOOST_TEST(smtpd.child.out().empty());
}

BOOST_AUTO_TEST_CASE(sink_accepts_and_prints_nothing) {
    server_process smtpd({"-c", "Sink"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(send_message(client, sample_message()) == "250 OK\r\n");
    BOOST_TEST(smtpd.terminate().value_or(-1) == 0);
    BOOST_TEST(smtpd.child.out().empty());
}

// aiosmtpd's CLI passes size=None (no limit, no SIZE) unless -s is given; here the default is
// the library's 32 MiB, and `-s 0` is aiosmtpd's default.
BOOST_AUTO_TEST_CASE(cli_size_0_is_no_limit) {
    server_process smtpd({"-c", "Sink", "-s", "0"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(!contains(client.command("EHLO client.test"), "SIZE"));
    BOOST_TEST(send_message(client, sample_message(64 * 1024)) == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(size_is_advertised_and_enforced) {
    server_process smtpd({"-c", "Sink", "-s", "100"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(contains(client.command("EHLO client.test"), "250-SIZE 100\r\n"));
    BOOST_TEST(send_message(client, sample_message(10)) == "250 OK\r\n");
    BOOST_TEST(send_message(client, sample_message(200)).starts_with("552 "));
}

BOOST_AUTO_TEST_CASE(smtputf8_is_advertised_with_u) {
    {
        server_process smtpd({"-c", "Sink", "-u"});
        test_client client = smtpd.connect();
        client.read_reply();
        BOOST_TEST(contains(client.command("EHLO client.test"), "250-SMTPUTF8\r\n"));
    }
    server_process smtpd({"-c", "Sink"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(!contains(client.command("EHLO client.test"), "SMTPUTF8"));
}

// The extensions aiosmtpd lacks: EHLO shows exactly the ones asked for, in a fixed order.
BOOST_AUTO_TEST_CASE(extension_flags_show_in_ehlo) {
    {
        server_process smtpd({"-c", "Sink", "--hostname", "mx.test"});
        test_client client = smtpd.connect();
        client.read_reply();
        BOOST_TEST(client.command("EHLO client.test") ==
                   "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
    }
    server_process smtpd({"-c", "Sink", "--hostname", "mx.test", "--pipelining", "--chunking",
                          "--enhanced-status-codes"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(client.command("EHLO client.test") ==
               "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-PIPELINING\r\n"
               "250-CHUNKING\r\n250-BINARYMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n");
}

BOOST_AUTO_TEST_CASE(smtplib_and_swaks_with_the_extensions) {
    server_process smtpd(
        {"-c", "Debugging", "--pipelining", "--chunking", "--enhanced-status-codes"});
    smtpd.connect(); // listening
    auto python = smtp_test::run_command("python3 " SMTP_TEST_PYTHON_DIR "/smtplib_extensions.py " +
                                         std::to_string(smtpd.port));
    BOOST_TEST(python.exit_code == 0, python.output);
    // swaks sends MAIL, RCPT and DATA as one batch when PIPELINING is offered.
    auto swaks = smtp_test::run_command("swaks --server 127.0.0.1:" + std::to_string(smtpd.port) +
                                        " --pipeline --from a@example.com --to b@example.com"
                                        " --body 'piped body'");
    BOOST_TEST(swaks.exit_code == 0, swaks.output);
    BOOST_TEST(contains(swaks.output, "250 2.1.5 OK"), swaks.output);
    BOOST_TEST(contains(swaks.output, "250 2.0.0 OK"), swaks.output);
    BOOST_TEST(smtpd.child.wait_for_output([&] {
        return contains(smtpd.child.out(), "piped body") &&
               contains(smtpd.child.out(), "sent by smtplib");
    }));
}

BOOST_AUTO_TEST_CASE(hostname_shows_in_greeting_and_ehlo) {
    server_process smtpd({"-c", "Sink", "--hostname", "mx.cli.test"});
    test_client client = smtpd.connect();
    BOOST_TEST(client.read_reply().starts_with("220 mx.cli.test ESMTP"));
    BOOST_TEST(client.command("EHLO client.test").starts_with("250-mx.cli.test\r\n"));
}

BOOST_AUTO_TEST_CASE(timeout_answers_421_after_silence) {
    server_process smtpd({"-c", "Sink", "--timeout", "1"});
    test_client client = smtpd.connect();
    client.read_reply();
    auto start = steady_clock::now();
    BOOST_TEST(client.read_reply().starts_with("421 "));
    BOOST_TEST(client.closed_by_server());
    auto waited = steady_clock::now() - start;
    BOOST_TEST((waited > 800ms && waited < 5s));
}

BOOST_AUTO_TEST_CASE(command_call_limit_applies_to_every_verb) {
    server_process smtpd({"-c", "Sink", "--command-call-limit", "2"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
    BOOST_TEST(client.command("NOOP").starts_with("421 "));
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(auth_accounts_required_over_plaintext) {
    server_process smtpd({"-c", "Sink", "--auth", "alice:secret", "--auth", "bob:pa:ss",
                          "--auth-required", "--no-auth-require-tls"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(contains(client.command("EHLO x"), "250-AUTH LOGIN PLAIN\r\n"));
    BOOST_TEST(client.command("MAIL FROM:<a@b.c>") == "530 5.7.0 Authentication required\r\n");
    // "\0bob\0pa:ss": the password is everything after the first colon.
    BOOST_TEST(client.command("AUTH PLAIN AGJvYgBwYTpzcw==") ==
               "235 2.7.0 Authentication successful\r\n");
    BOOST_TEST(client.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
    test_client other = smtpd.connect();
    other.read_reply();
    other.command("EHLO x");
    // "\0alice\0wrong"
    BOOST_TEST(other.command("AUTH PLAIN AGFsaWNlAHdyb25n") ==
               "535 5.7.8 Authentication credentials invalid\r\n");
}

BOOST_AUTO_TEST_CASE(auth_needs_tls_by_default) {
    server_process smtpd({"-c", "Sink", "--auth", "alice:secret"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(!contains(client.command("EHLO x"), "AUTH"));
    BOOST_TEST(client.command("AUTH PLAIN AGFsaWNlAHNlY3JldA==") ==
               "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
}

BOOST_AUTO_TEST_CASE(auth_without_colon_exits_2) {
    auto result = run_smtpd({"--auth", "alice"});
    BOOST_TEST(result.status == 2);
    BOOST_TEST(contains(result.err, "error: argument --auth: expected USER:PASSWORD, got 'alice'"));
}

BOOST_AUTO_TEST_CASE(tls_certificate_requires_starttls) {
    const auto& certs = smtp_test::certificates::get();
    server_process smtpd(
        {"-c", "Sink", "-t", certs.mx_cert, "-k", certs.mx_key, "--auth", "alice:secret"});
    test_client client = smtpd.connect();
    client.read_reply();
    std::string ehlo = client.command("EHLO x");
    BOOST_TEST(contains(ehlo, "250-STARTTLS\r\n"));
    BOOST_TEST(!contains(ehlo, "AUTH"));
    BOOST_TEST(client.command("MAIL FROM:<a@b.c>") ==
               "530 Must issue a STARTTLS command first\r\n");
    BOOST_TEST(client.command("STARTTLS") == "220 Ready to start TLS\r\n");
    client.start_tls();
    BOOST_TEST(contains(client.command("EHLO x"), "250-AUTH LOGIN PLAIN\r\n"));
    BOOST_TEST(client.command("AUTH PLAIN AGFsaWNlAHNlY3JldA==") ==
               "235 2.7.0 Authentication successful\r\n");
    BOOST_TEST(client.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(tls_no_requiretls_allows_plaintext) {
    const auto& certs = smtp_test::certificates::get();
    server_process smtpd(
        {"-c", "Sink", "--tlscert", certs.mx_cert, "--tlskey", certs.mx_key, "--no-requiretls"});
    test_client client = smtpd.connect();
    client.read_reply();
    client.command("EHLO x");
    BOOST_TEST(client.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
}

BOOST_AUTO_TEST_CASE(smtps_and_sni) {
    const auto& certs = smtp_test::certificates::get();
    server_process smtpd({"-c", "Sink", "-t", certs.mx_cert, "-k", certs.mx_key, "--smtps", "--sni",
                          "other.test:" + certs.other_cert + ":" + certs.other_key});
    auto deadline = steady_clock::now() + 5s;
    for (;;) { // connect() reads nothing; TLS must start first here
        try {
            test_client client(smtpd.port, 10s);
            client.start_tls("other.test");
            BOOST_TEST(client.server_certificate_subject() == "/CN=other.test");
            BOOST_TEST(client.read_reply().starts_with("220 "));
            BOOST_TEST(!contains(client.command("EHLO x"), "STARTTLS"));
            BOOST_TEST(client.command("MAIL FROM:<a@b.c>") == "250 OK\r\n");
            break;
        } catch (const boost::system::system_error&) {
            BOOST_REQUIRE_MESSAGE(steady_clock::now() < deadline, "smtpd is not listening");
            std::this_thread::sleep_for(20ms);
        }
    }
}

BOOST_AUTO_TEST_CASE(tls_bad_arguments_exit_2) {
    const auto& certs = smtp_test::certificates::get();
    auto only_cert = run_smtpd({"-t", certs.mx_cert});
    BOOST_TEST(only_cert.status == 2);
    BOOST_TEST(contains(only_cert.err, "error: --tlscert and --tlskey must be specified together"));
    auto missing = run_smtpd({"-t", "/nonexistent.pem", "-k", certs.mx_key});
    BOOST_TEST(missing.status == 2);
    BOOST_TEST(contains(missing.err, "error: Cert file /nonexistent.pem not found"));
    auto smtps = run_smtpd({"--smtps"});
    BOOST_TEST(smtps.status == 2);
    BOOST_TEST(contains(smtps.err, "error: --smtps and --sni need --tlscert and --tlskey"));
}

BOOST_AUTO_TEST_CASE(lmtp_on_a_unix_socket) {
    std::string path = "/tmp/smtpd-cli-test-" + std::to_string(::getpid()) + ".sock";
    child_process smtpd({SMTPD_PATH, "-n", "-c", "Sink", "--lmtp", "-l", "unix:" + path});
    auto deadline = steady_clock::now() + 5s;
    while (!std::filesystem::exists(path)) {
        BOOST_REQUIRE_MESSAGE(steady_clock::now() < deadline, "no socket; stderr: " << smtpd.err());
        std::this_thread::sleep_for(20ms);
    }
    auto python = smtp_test::run_command("python3 " SMTP_TEST_PYTHON_DIR "/lmtp_client.py " + path +
                                         " a@example.com b@example.com");
    BOOST_TEST_INFO("python said: " << python.output);
    BOOST_TEST(python.output == "a@example.com 250 OK\nb@example.com 250 OK\n");
    smtpd.signal(SIGTERM);
    BOOST_TEST(smtpd.wait(5s).value_or(-1) == 0);
    BOOST_TEST(!std::filesystem::exists(path));
}

BOOST_AUTO_TEST_CASE(proxy_protocol_flags) {
    server_process smtpd({"-c", "Sink", "--proxy-protocol", "2", "--proxy-trusted", "127.0.0.0/8"});
    test_client client = smtpd.connect();
    client.send("PROXY TCP4 192.0.2.1 198.51.100.1 40000 25\r\n");
    BOOST_TEST(client.read_reply().starts_with("220 "));
    test_client bad = smtpd.connect();
    bad.send("EHLO x\r\n");
    BOOST_TEST(bad.read_to_end().empty());
    auto typo = run_smtpd({"--proxy-protocol", "2", "--proxy-trusted", "10.0.0.0/99"});
    BOOST_TEST(typo.status == 2);
    BOOST_TEST(contains(typo.err, "argument --proxy-trusted: not an address or network"));
}

BOOST_AUTO_TEST_CASE(ipv6_address_in_brackets) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io);
    boost::system::error_code ec;
    probe.open(boost::asio::ip::tcp::v6(), ec);
    if (!ec) probe.bind({boost::asio::ip::address_v6::loopback(), 0}, ec);
    if (ec) {
        BOOST_TEST_MESSAGE("no IPv6 loopback here: skipped");
        return;
    }
    std::uint16_t port = probe.local_endpoint().port();
    probe.close();
    child_process smtpd({SMTPD_PATH, "-n", "-c", "Sink", "-l", "[::1]:" + std::to_string(port)});
    boost::asio::ip::tcp::socket socket(io);
    auto deadline = steady_clock::now() + 5s;
    while (socket.connect({boost::asio::ip::address_v6::loopback(), port}, ec), ec) {
        socket.close();
        BOOST_REQUIRE_MESSAGE(steady_clock::now() < deadline, "stderr: " << smtpd.err());
        std::this_thread::sleep_for(20ms);
    }
    timeval tv{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char greeting[4] = {};
    boost::asio::read(socket, boost::asio::buffer(greeting), ec);
    BOOST_TEST(std::string_view(greeting, 4) == "220 ");
}

// ---- stopping ---------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sigterm_answers_idle_sessions_421_and_exits_0) {
    server_process smtpd({"-c", "Sink", "--hostname", "mx.test"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(client.command("EHLO client.test").starts_with("250-"));
    BOOST_TEST(smtpd.terminate(SIGTERM).value_or(-1) == 0);
    BOOST_TEST(client.read_reply() == "421 mx.test Service shutting down\r\n");
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(sigterm_lets_a_transaction_finish) {
    server_process smtpd({"-c", "Sink", "--hostname", "mx.test", "--threads", "2"});
    test_client client = smtpd.connect();
    client.read_reply();
    client.command("EHLO client.test");
    BOOST_TEST(client.command("MAIL FROM:<a@x>") == "250 OK\r\n");
    smtpd.child.signal(SIGTERM);
    // The listener closes; this session's transaction goes on.
    for (int i = 0; i < 500; ++i) {
        try {
            test_client probe(smtpd.port, 2s);
            if (probe.read_to_end().starts_with("421")) break;
        } catch (const std::exception&) {
            break; // refused: no listener any more
        }
        std::this_thread::sleep_for(10ms);
    }
    BOOST_TEST(client.command("RCPT TO:<b@x>") == "250 OK\r\n");
    BOOST_TEST(client.command("DATA").starts_with("354"));
    BOOST_TEST(client.command("hello\r\n.") == "250 OK\r\n");
    BOOST_TEST(client.read_reply() == "421 mx.test Service shutting down\r\n");
    BOOST_TEST(client.closed_by_server());
    BOOST_TEST(smtpd.child.wait(10s).value_or(-1) == 0);
}

BOOST_AUTO_TEST_CASE(second_sigterm_stops_at_once) {
    server_process smtpd({"-c", "Sink", "--shutdown-timeout", "300"});
    test_client client = smtpd.connect();
    client.read_reply();
    client.command("EHLO client.test");
    client.command("MAIL FROM:<a@x>"); // in a transaction: the first SIGTERM waits for it
    smtpd.child.signal(SIGTERM);
    BOOST_TEST(!smtpd.child.wait(300ms));
    smtpd.child.signal(SIGTERM);
    BOOST_TEST(smtpd.child.wait(10s).value_or(-1) == 0);
    BOOST_TEST(client.closed_by_server());
}

BOOST_AUTO_TEST_CASE(sigint_exits_0) {
    server_process smtpd({"-c", "Sink"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(smtpd.terminate(SIGINT).value_or(-1) == 0);
    BOOST_TEST(client.closed_by_server());
}

// ---- -d -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(debug_traces_commands_and_replies_on_stderr) {
    server_process smtpd({"-d", "-c", "Debugging"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(client.command("EHLO client.test").starts_with("250-"));
    BOOST_TEST(client.command("NOOP") == "250 OK\r\n");
    BOOST_TEST(client.command("QUIT") == "221 Bye\r\n");
    const std::string& err = smtpd.child.err();
    BOOST_REQUIRE(smtpd.child.wait_for_output([&] { return contains(err, "connection lost"); }));
    std::string port = std::to_string(smtpd.port);
    BOOST_TEST(contains(err, "INFO:mail.log:Server is listening on 127.0.0.1:" + port + "\n"));
    BOOST_TEST(contains(err, "INFO:mail.log:Peer: ('127.0.0.1', "));
    BOOST_TEST(contains(err, ") handling connection\n"));
    BOOST_TEST(contains(err, ") << b'220 "));
    BOOST_TEST(contains(err, ") << b'250-"));
    BOOST_TEST(contains(err, ") >> b'EHLO client.test'\n"));
    BOOST_TEST(contains(err, ") << b'250 OK'\n"));
    BOOST_TEST(contains(err, ") >> b'QUIT'\n"));
    BOOST_TEST(contains(err, ") << b'221 Bye'\n"));
    BOOST_TEST(smtpd.child.out().empty()); // stdout stays the handler's
}

// The trace wraps the handler, yet its hooks (here Debugging's X-Peer) see the real client:
// the address and port of the client's own socket, which the Peer: line names too.
BOOST_AUTO_TEST_CASE(debug_keeps_the_client_address_for_hooks) {
    namespace asio = boost::asio;
    server_process smtpd({"-d", "-c", "Debugging"});
    smtpd.connect(); // waits until it listens
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), smtpd.port});
    timeval tv{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string client =
        "('127.0.0.1', " + std::to_string(socket.local_endpoint().port()) + ")";
    asio::streambuf in;
    auto send = [&](std::string_view bytes) {
        asio::write(socket, asio::buffer(bytes));
        std::string line; // the last line of the reply
        do {
            asio::read_until(socket, in, "\r\n");
            std::istream stream(&in);
            std::getline(stream, line);
        } while (line.size() > 3 && line[3] == '-');
        return line;
    };
    BOOST_TEST(send("").starts_with("220 "));
    BOOST_TEST(send("EHLO client.test\r\n").starts_with("250 "));
    BOOST_TEST(send("MAIL FROM:<a@example.com>\r\n").starts_with("250 "));
    BOOST_TEST(send("RCPT TO:<b@example.com>\r\n").starts_with("250 "));
    BOOST_TEST(send("DATA\r\n").starts_with("354 "));
    BOOST_TEST(send(sample_message()).starts_with("250 "));
    BOOST_REQUIRE(smtpd.child.wait_for_output([&] { return contains(smtpd.child.out(), "END"); }));
    BOOST_TEST(contains(smtpd.child.out(), "X-Peer: " + client + "\n"), client);
    BOOST_TEST(contains(smtpd.child.err(), "INFO:mail.log:Peer: " + client + "\n"), client);
}

BOOST_AUTO_TEST_CASE(debug_twice_adds_message_lines_and_masks_auth) {
    server_process smtpd({"-dd", "-c", "Sink"});
    test_client client = smtpd.connect();
    client.read_reply();
    BOOST_TEST(send_message(client, sample_message()) == "250 OK\r\n");
    client.command("AUTH PLAIN c2VjcmV0");
    BOOST_TEST(client.command("QUIT") == "221 Bye\r\n");
    const std::string& err = smtpd.child.err();
    BOOST_REQUIRE(smtpd.child.wait_for_output([&] { return contains(err, "connection lost"); }));
    BOOST_TEST(contains(err, ") DATA >> b'Subject: hello'\n"));
    BOOST_TEST(contains(err, ") DATA >> b'.'\n"));
    BOOST_TEST(contains(err, ") >> b'AUTH PLAIN ********'\n"));
    BOOST_TEST(!contains(err, "c2VjcmV0"));
}

// ---- privileges -------------------------------------------------------------------------

// As root without -n: binds first (a port below 1024 works), then runs as nobody.
BOOST_AUTO_TEST_CASE(pr_369_setuid_after_bind) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("not root: skipped");
        return;
    }
    // A free privileged port.
    boost::asio::io_context io;
    std::uint16_t port = 0;
    for (std::uint16_t candidate = 1000; candidate > 600 && port == 0; --candidate) {
        boost::asio::ip::tcp::acceptor probe(io);
        boost::system::error_code ec;
        probe.open(boost::asio::ip::tcp::v4(), ec);
        probe.bind({boost::asio::ip::make_address("127.0.0.1"), candidate}, ec);
        if (!ec) port = candidate;
    }
    BOOST_REQUIRE(port != 0);
    child_process smtpd({SMTPD_PATH, "-c", "Sink", "-l", "127.0.0.1:" + std::to_string(port)});
    std::optional<test_client> client;
    auto deadline = steady_clock::now() + 5s;
    while (!client) {
        try {
            client.emplace(port, 10s);
        } catch (const boost::system::system_error&) {
            BOOST_REQUIRE_MESSAGE(steady_clock::now() < deadline && !smtpd.wait(0ms),
                                  "stderr: " << smtpd.err());
            std::this_thread::sleep_for(20ms);
        }
    }
    BOOST_TEST(client->read_reply().starts_with("220 "));
    BOOST_TEST(uid_of(smtpd.pid()).starts_with("65534"));
    smtpd.signal(SIGTERM);
    BOOST_TEST(smtpd.wait(5s).value_or(-1) == 0); // nobody still handles the signal
}

BOOST_AUTO_TEST_CASE(nosetuid_keeps_the_user) {
    server_process smtpd({"-c", "Sink"});
    smtpd.connect().read_reply();
    BOOST_TEST(uid_of(smtpd.child.pid()).starts_with(std::to_string(::geteuid())));
}

BOOST_AUTO_TEST_SUITE_END()
