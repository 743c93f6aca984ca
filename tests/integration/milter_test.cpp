// Milter filters in front of `smtpd -c Mailbox DIR --milter ...` over real sockets: a libmilter
// filter written with Python's binding (Debian's python3-milter, tests/python/milter_filter.py),
// OpenDKIM signing (verified with Python's dkim module), rspamd, a filter that never answers, one
// that dies mid-message and one that is not there, each getting the default action.

#include "child_process.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"
#include "temp_dir.hpp"
#include "unit/reply_printer.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: these tests are skipped
#endif
#ifndef SMTP_TEST_PYTHON_DIR
#define SMTP_TEST_PYTHON_DIR "tests/python"
#endif

using namespace std::chrono_literals;
using smtp_test::child_process;
using smtp_test::names_in;
using smtp_test::read_file;
using smtp_test::run_command;
using smtp_test::temp_dir;

namespace {

using smtp_test::contains;
using smtp_test::smtpd_built;

// python3-milter and python3-dkim are Debian packages for /usr/bin/python3 (a Python on PATH
// may be another one).
const std::string python = "/usr/bin/python3";

std::string script(std::string_view name) {
    return std::string(SMTP_TEST_PYTHON_DIR) + "/" + std::string(name);
}

// Waits (up to 10 s) for a filter to create its socket; fails the test with its output if not.
void wait_for_socket(const std::filesystem::path& socket, child_process& filter) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!std::filesystem::exists(socket)) {
        if (std::chrono::steady_clock::now() >= deadline || filter.wait(0ms))
            BOOST_FAIL("the filter did not create " << socket << ": " << filter.pending());
        std::this_thread::sleep_for(20ms);
    }
}

// tests/python/milter_filter.py on a socket in a fresh directory.
struct python_filter {
    temp_dir dir;
    std::filesystem::path socket = dir.path / "filter.sock";
    child_process child{{python, script("milter_filter.py"), socket.string()}};
    python_filter() { wait_for_socket(socket, child); }
    ~python_filter() {
        child.signal(SIGKILL);
        child.wait(5s);
    }
    std::string address() const { return "unix:" + socket.string(); }
};

// The messages the Mailbox stored, LF line ends as it writes them.
std::vector<std::string> stored(const std::filesystem::path& maildir) {
    std::vector<std::string> out;
    if (!std::filesystem::exists(maildir / "new")) return out;
    for (const auto& name : names_in(maildir / "new"))
        out.push_back(read_file(maildir / "new" / name));
    return out;
}

// One message through a session of commands; the reply to the end of DATA.
std::string send_message(smtp_test::test_client& c, const std::string& from,
                         const std::vector<std::string>& to, const std::string& content) {
    BOOST_TEST(c.command("MAIL FROM:<" + from + ">").starts_with("250"));
    for (const auto& r : to)
        BOOST_TEST(c.command("RCPT TO:<" + r + ">").starts_with("250"));
    BOOST_TEST(c.command("DATA").starts_with("354"));
    c.send(content + ".\r\n");
    return c.read_reply();
}

} // namespace

BOOST_AUTO_TEST_SUITE(milter_filters,
                      *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                          return boost::unit_test::assertion_result(smtpd_built());
                      }))

BOOST_AUTO_TEST_CASE(the_packages_are_installed) {
    // scripts/install-deps.sh installs them; without them the tests below cannot run.
    BOOST_TEST(run_command(python + " -c 'import Milter, dkim'").exit_code == 0);
    BOOST_TEST(run_command("sh -c 'command -v opendkim && command -v opendkim-genkey && "
                           "command -v rspamd'")
                   .exit_code == 0);
}

BOOST_AUTO_TEST_CASE(python_filter_verdicts_reach_the_client) {
    python_filter filter;
    temp_dir box;
    smtp_test::smtpd_process smtpd(SMTPD_PATH, {"-c", "Mailbox", (box.path / "Maildir").string(),
                                                "--milter", filter.address()});
    auto c = smtpd.connect();
    BOOST_TEST(c.read_reply().starts_with("220"));
    BOOST_TEST(c.command("EHLO client.test").starts_with("250-"));
    // Tempfail at MAIL, reject at RCPT (the other recipient still goes in).
    BOOST_TEST(c.command("MAIL FROM:<tempfail@a.test>") ==
               "451 4.7.1 Service unavailable - try again later\r\n");
    BOOST_TEST(c.command("MAIL FROM:<anne@a.test>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<reject@b.test>") == "550 5.7.1 Command rejected\r\n");
    BOOST_TEST(c.command("RCPT TO:<bart@b.test>") == "250 OK\r\n");
    BOOST_TEST(c.command("DATA").starts_with("354"));
    // A custom multi-line reply at end of message.
    c.send("Subject: bad\r\n\r\nREJECT-BODY\r\n.\r\n");
    BOOST_TEST(c.read_reply() == "550-5.7.1 Body rejected by the test filter\r\n"
                                 "550 5.7.1 second line\r\n");
    // Discarded: the client hears 250, nothing is stored.
    BOOST_TEST(send_message(c, "anne@a.test", {"bart@b.test"},
                            "Subject: drop\r\n\r\nDISCARD-BODY\r\n") == "250 OK\r\n");
    BOOST_TEST(c.command("QUIT").starts_with("221"));
    BOOST_TEST(stored(box.path / "Maildir").empty());
}

BOOST_AUTO_TEST_CASE(python_filter_modifications_are_in_the_stored_message) {
    python_filter filter;
    temp_dir box;
    smtp_test::smtpd_process smtpd(SMTPD_PATH, {"-c", "Mailbox", (box.path / "Maildir").string(),
                                                "--milter", filter.address()});
    auto c = smtpd.connect();
    BOOST_TEST(c.read_reply().starts_with("220"));
    BOOST_TEST(c.command("EHLO client.test").starts_with("250-"));
    std::string reply = send_message(
        c, "change-me@a.test", {"bart@b.test", "add-me@b.test", "drop-me@b.test"},
        "From: anne@a.test\r\nSubject: original\r\n\r\nplease REPLACE-BODY\r\nline two\r\n");
    BOOST_TEST(reply == "250 OK\r\n");
    BOOST_TEST(c.command("QUIT").starts_with("221"));
    auto messages = stored(box.path / "Maildir");
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    const std::string& m = messages[0];
    BOOST_TEST(contains(m, "Subject: changed by milter\n"), m);
    BOOST_TEST(!contains(m, "original"), m);
    BOOST_TEST(contains(m, "X-Milter-Test: client=[127.0.0.1] j="), m);
    BOOST_TEST(contains(m, " {client_addr}=127.0.0.1 {mail_addr}=change-me@a.test i="), m);
    BOOST_TEST(contains(m, " {rcpt_addr}=bart@b.test"), m);
    BOOST_TEST(contains(m, "X-MailFrom: changed@milter.test\n"), m);
    BOOST_TEST(contains(m, "X-RcptTo: bart@b.test, add-me@b.test, added@milter.test\n"), m);
    BOOST_TEST(m.ends_with("\n\nThe body was replaced.\n"), m);
}

BOOST_AUTO_TEST_CASE(opendkim_signs_and_the_signature_verifies) {
    temp_dir dir;
    auto keys =
        run_command("opendkim-genkey -b 1024 -D " + dir.path.string() + " -d example.test -s test");
    BOOST_TEST_REQUIRE(keys.exit_code == 0, keys.output);
    {
        std::ofstream conf(dir.path / "opendkim.conf");
        conf << "Canonicalization simple/simple\nRequireSafeKeys false\nSyslog no\n";
    }
    auto socket = dir.path / "opendkim.sock";
    child_process opendkim({"/usr/sbin/opendkim", "-f", "-x", (dir.path / "opendkim.conf").string(),
                            "-d", "example.test", "-s", "test", "-k",
                            (dir.path / "test.private").string(), "-p",
                            "local:" + socket.string()});
    wait_for_socket(socket, opendkim);
    smtp_test::smtpd_process smtpd(SMTPD_PATH, {"-c", "Mailbox", (dir.path / "Maildir").string(),
                                                "--milter", "unix:" + socket.string()});
    auto result = smtpd.sendmail("From: anne@example.test\r\nTo: bart@b.test\r\n"
                                 "Subject: signed\r\n folded\r\n\r\nA signed message.\r\n",
                                 {"bart@b.test"}, "anne@example.test");
    BOOST_TEST(result.data == smtp::reply::ok());
    opendkim.signal(SIGTERM);
    opendkim.wait(5s);
    auto names = names_in(dir.path / "Maildir" / "new");
    BOOST_TEST_REQUIRE(names.size() == 1u);
    auto message = dir.path / "Maildir" / "new" / names[0];
    BOOST_TEST(read_file(message).starts_with("DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple;"
                                              " d=example.test; s=test;"),
               read_file(message));
    auto verified = run_command(python + " " + script("dkim_verify.py") + " " + message.string() +
                                " " + (dir.path / "test.txt").string());
    BOOST_TEST(verified.output == "verified\n");
    // The check can fail: the same message with its body changed does not verify.
    std::string tampered = read_file(message);
    tampered.replace(tampered.find("A signed"), 8, "A forged");
    std::ofstream(dir.path / "tampered") << tampered;
    auto forged =
        run_command(python + " " + script("dkim_verify.py") + " " +
                    (dir.path / "tampered").string() + " " + (dir.path / "test.txt").string());
    BOOST_TEST(forged.output == "failed\n");
}

// rspamd's proxy worker in milter mode, scanning itself (self_scan), with a minimal
// configuration: no Redis, no controller, DNS pointed at a closed loopback port (no network).
BOOST_AUTO_TEST_CASE(rspamd_rejects_gtube_and_passes_a_clean_message) {
    temp_dir dir;
    {
        std::ofstream conf(dir.path / "rspamd.conf");
        conf << "options {\n pidfile = \"$RUNDIR/rspamd.pid\";\n"
                " dns { nameserver = [\"127.0.0.1:1\"]; timeout = 0.2s; retransmits = 1; }\n}\n"
                "logging { type = \"console\"; level = \"error\"; }\n"
                "actions { reject = 15; add_header = 6; greylist = 4; }\n"
                "worker \"rspamd_proxy\" {\n bind_socket = \"$RUNDIR/proxy.sock mode=0600\";\n"
                " milter = yes; timeout = 120s; count = 1;\n"
                " upstream \"local\" { default = yes; self_scan = yes; }\n}\n";
    }
    auto socket = dir.path / "proxy.sock";
    std::string var = "--var=";
    child_process rspamd({"/usr/bin/rspamd", "-f", "-i", "-u", "root", "-g", "root", "-c",
                          (dir.path / "rspamd.conf").string(), var + "DBDIR=" + dir.path.string(),
                          var + "RUNDIR=" + dir.path.string(),
                          var + "LOGDIR=" + dir.path.string()});
    // rspamd takes a while to load its rules (20 s and more on a busy machine).
    auto deadline = std::chrono::steady_clock::now() + 180s;
    while (!std::filesystem::exists(socket)) {
        if (std::chrono::steady_clock::now() >= deadline || rspamd.wait(0ms))
            BOOST_FAIL("rspamd did not create " << socket << ": " << rspamd.pending());
        std::this_thread::sleep_for(100ms);
    }
    {
        smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                       {"-c", "Mailbox", (dir.path / "Maildir").string(),
                                        "--milter", "unix:" + socket.string()});
        auto c = smtpd.connect(60s);
        BOOST_TEST(c.read_reply().starts_with("220"));
        BOOST_TEST(c.command("EHLO client.test").starts_with("250-"));
        std::string gtube =
            "Subject: spam\r\n\r\n"
            "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";
        BOOST_TEST(send_message(c, "anne@a.test", {"bart@b.test"}, gtube) ==
                   "554 5.7.1 Gtube pattern\r\n");
        BOOST_TEST(send_message(c, "anne@a.test", {"bart@b.test"},
                                "Subject: clean\r\n\r\nA normal message.\r\n") == "250 OK\r\n");
        BOOST_TEST(c.command("QUIT").starts_with("221"));
    }
    rspamd.signal(SIGTERM);
    rspamd.wait(10s);
    auto messages = stored(dir.path / "Maildir");
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(contains(messages[0], "Subject: clean\n"));
}

// A filter that listens but never answers: its socket accepts (the backlog) and never replies.
struct silent_filter {
    temp_dir dir;
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::acceptor acceptor{
        io, boost::asio::local::stream_protocol::endpoint((dir.path / "silent.sock").string())};
    std::string address() const { return "unix:" + (dir.path / "silent.sock").string(); }
};

BOOST_AUTO_TEST_CASE(a_silent_filter_gets_the_default_action_within_the_timeout) {
    silent_filter filter;
    temp_dir box;
    {
        smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                       {"-c", "Mailbox", (box.path / "Maildir").string(),
                                        "--milter", filter.address(), "--milter-timeout", "1"});
        auto c = smtpd.connect();
        BOOST_TEST(c.read_reply().starts_with("220"));
        // tempfail (the default): every command of the session.
        BOOST_TEST(c.command("EHLO client.test") ==
                   "451 4.7.1 Service unavailable - try again later\r\n");
        BOOST_TEST(c.command("MAIL FROM:<a@b.test>").starts_with("503"));
        BOOST_TEST(c.command("QUIT").starts_with("221"));
    }
    {
        smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                       {"-c", "Mailbox", (box.path / "Maildir").string(),
                                        "--milter", filter.address(), "--milter-timeout", "1",
                                        "--milter-default-action", "reject"});
        auto c = smtpd.connect();
        BOOST_TEST(c.read_reply().starts_with("220"));
        BOOST_TEST(c.command("HELO client.test") == "550 5.7.1 Command rejected\r\n");
    }
    {
        // accept: the filter is left out, the message is delivered.
        smtp_test::smtpd_process smtpd(SMTPD_PATH,
                                       {"-c", "Mailbox", (box.path / "Maildir").string(),
                                        "--milter", filter.address(), "--milter-timeout", "1",
                                        "--milter-default-action", "accept"});
        auto result = smtpd.sendmail("Subject: through\r\n\r\nhi\r\n");
        BOOST_TEST(result.data == smtp::reply::ok());
    }
    BOOST_TEST(stored(box.path / "Maildir").size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_filter_that_dies_mid_message_gets_the_default_action) {
    temp_dir box;
    {
        python_filter filter;
        smtp_test::smtpd_process smtpd(
            SMTPD_PATH,
            {"-c", "Mailbox", (box.path / "Maildir").string(), "--milter", filter.address()});
        auto c = smtpd.connect();
        BOOST_TEST(c.read_reply().starts_with("220"));
        BOOST_TEST(c.command("EHLO client.test").starts_with("250-"));
        BOOST_TEST(
            send_message(c, "anne@a.test", {"bart@b.test"}, "Subject: x\r\n\r\nEXIT-IN-BODY\r\n") ==
            "451 4.7.1 Service unavailable - try again later\r\n");
        BOOST_TEST(c.command("QUIT").starts_with("221"));
    }
    {
        python_filter filter;
        smtp_test::smtpd_process smtpd(
            SMTPD_PATH, {"-c", "Mailbox", (box.path / "Maildir").string(), "--milter",
                         filter.address(), "--milter-default-action", "accept"});
        auto c = smtpd.connect();
        BOOST_TEST(c.read_reply().starts_with("220"));
        BOOST_TEST(c.command("EHLO client.test").starts_with("250-"));
        BOOST_TEST(send_message(c, "anne@a.test", {"bart@b.test"},
                                "Subject: kept\r\n\r\nEXIT-IN-BODY\r\n") == "250 OK\r\n");
        BOOST_TEST(c.command("QUIT").starts_with("221"));
    }
    auto messages = stored(box.path / "Maildir");
    BOOST_TEST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(contains(messages[0], "Subject: kept\n"));
}

BOOST_AUTO_TEST_CASE(a_missing_filter_and_bad_flags) {
    temp_dir dir;
    smtp_test::smtpd_process smtpd(
        SMTPD_PATH, {"-c", "Sink", "--milter", "unix:" + (dir.path / "none.sock").string()});
    auto c = smtpd.connect();
    BOOST_TEST(c.read_reply().starts_with("220"));
    BOOST_TEST(c.command("EHLO client.test") ==
               "451 4.7.1 Service unavailable - try again later\r\n");
    auto bad = run_command(SMTPD_PATH " -n --milter tcp:1.2.3.4:5");
    BOOST_TEST(bad.exit_code == 2);
    BOOST_TEST(contains(bad.output, "--milter: expected inet:HOST:PORT or unix:/PATH"), bad.output);
    auto action = run_command(SMTPD_PATH " -n --milter unix:/x --milter-default-action defer");
    BOOST_TEST(action.exit_code == 2);
    BOOST_TEST(contains(action.output, "expected tempfail, accept or reject"), action.output);
}

BOOST_AUTO_TEST_SUITE_END()
