// examples/smtpd's safe defaults and the flags that set its limits (issue 16): the default
// message size, --max-*, --auth-failure-*, --auth-file, credentials kept out of the -d trace,
// the Mailbox as root and with BINARYMIME, unix: sockets that are no stale socket, v4-mapped
// --proxy-trusted networks, and the -d trace after a PROXY header.
#include <boost/test/unit_test.hpp>

#include "fixture.hpp"
#include "smtpd_process.hpp"
#include "temp_dir.hpp"
#include "test_client.hpp"

#include <smtp/detail/base64.hpp>

#include <crypt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: every test is skipped
#endif

namespace {

using smtp_test::contains;
using smtp_test::smtpd_built;

using namespace std::chrono_literals;
using smtp_test::plain_response;
using smtp_test::temp_dir;
using smtp_test::test_client;

struct hardened_smtpd : smtp_test::smtpd_process {
    explicit hardened_smtpd(std::vector<std::string> options, bool nosetuid = true)
        : smtpd_process(SMTPD_PATH, std::move(options), nosetuid) {}

    test_client greeted() {
        test_client c = connect();
        BOOST_TEST_REQUIRE(c.read_reply().starts_with("220 "));
        return c;
    }
};

/// `password` hashed by the system's crypt(3) with a new salt of the method `prefix` ("$y$").
std::string crypt_hash(const char* prefix, const std::string& password) {
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    BOOST_TEST_REQUIRE(::crypt_gensalt_rn(prefix, 0, nullptr, 0, salt, sizeof salt) != nullptr);
    crypt_data data{};
    const char* hash = ::crypt_r(password.c_str(), salt, &data);
    BOOST_TEST_REQUIRE((hash != nullptr && hash[0] == '$'));
    return hash;
}

void write_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
    std::ofstream(path, std::ios::binary) << text;
    ::chmod(path.c_str(), mode);
}

} // namespace

BOOST_AUTO_TEST_SUITE(smtpd_hardening,
                      *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                          return boost::unit_test::assertion_result(smtpd_built());
                      }))

BOOST_AUTO_TEST_CASE(messages_are_limited_to_32_mib_by_default) {
    hardened_smtpd smtpd({"-c", "Sink"});
    auto c = smtpd.greeted();
    BOOST_TEST(contains(c.command("EHLO client.test"), "250-SIZE 33554432\r\n"));
    BOOST_TEST(c.command("MAIL FROM:<a@example.com> SIZE=33554433") ==
               "552 Error: message size exceeds fixed maximum message size\r\n");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("DATA").starts_with("354"));
    const std::string line = std::string(998, 'x') + "\r\n";
    std::string block;
    for (int i = 0; i < 1024; ++i)
        block += line;
    for (int i = 0; i < 33; ++i) // 33 MiB
        c.send(block);
    BOOST_TEST(c.command(".") == "552 Error: Too much mail data\r\n");
    // `-s 0` lifts the limit, as before.
    hardened_smtpd unlimited({"-c", "Sink", "-s", "0"});
    auto d = unlimited.greeted();
    BOOST_TEST(!contains(d.command("EHLO client.test"), "SIZE"));
}

BOOST_AUTO_TEST_CASE(limit_flags) {
    hardened_smtpd smtpd({"-c", "Sink", "--max-recipients", "2", "--max-messages-per-connection",
                          "1", "--max-connections", "2", "--max-connections-per-client", "2"});
    auto c = smtpd.greeted();
    c.command("EHLO client.test");
    c.command("MAIL FROM:<a@example.com>");
    BOOST_TEST(c.command("RCPT TO:<1@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<2@example.com>") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<3@example.com>") == "452 4.5.3 Too many recipients\r\n");
    BOOST_TEST(c.command("DATA").starts_with("354"));
    BOOST_TEST(c.command("x\r\n.") == "250 OK\r\n");
    auto second = smtpd.greeted();
    test_client third = smtpd.connect();
    BOOST_TEST(third.read_reply().starts_with("421 "));
    BOOST_TEST(c.command("MAIL FROM:<a@example.com>").starts_with("421 4.7.0 "));

    hardened_smtpd per_client({"-c", "Sink", "--max-connections-per-client", "1"});
    auto first = per_client.greeted();
    test_client again = per_client.connect();
    BOOST_TEST(again.read_reply().starts_with("421 "));
}

BOOST_AUTO_TEST_CASE(auth_failure_flags) {
    hardened_smtpd smtpd({"-c", "Sink", "--no-auth-require-tls", "--auth", "alice:secret",
                          "--auth-failure-limit", "1", "--auth-failure-delay", "0"});
    auto c = smtpd.greeted();
    c.command("EHLO client.test");
    const std::string invalid = "535 5.7.8 Authentication credentials invalid\r\n";
    BOOST_TEST(c.command("AUTH PLAIN " + plain_response("alice", "guess")) == invalid);
    BOOST_TEST(c.command("AUTH PLAIN " + plain_response("alice", "guess")) ==
               "421 4.7.0 Too many authentication failures\r\n");
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(auth_file_accepts_crypt_hashes) {
    temp_dir dir;
    auto file = dir.path / "passwd";
    write_file(file,
               "# user:hash, as mkpasswd writes them\n"
               "alice:" +
                   crypt_hash("$y$", "secret") +
                   "\n\n"
                   "bob:{SHA512-CRYPT}" +
                   crypt_hash("$6$", "hunter2") +
                   ":1000:1000::/home/bob::\n"
                   "carol:" +
                   crypt_hash("$2b$", "s3same") + "\n",
               0600);
    hardened_smtpd smtpd({"-c", "Sink", "--no-auth-require-tls", "--auth-failure-delay", "0",
                          "--auth-file", file.string()});
    const std::string ok = "235 2.7.0 Authentication successful\r\n";
    const std::string invalid = "535 5.7.8 Authentication credentials invalid\r\n";
    for (auto [user, password] :
         {std::pair{"alice", "secret"}, {"bob", "hunter2"}, {"carol", "s3same"}}) {
        BOOST_TEST_CONTEXT(user) {
            auto c = smtpd.greeted();
            c.command("EHLO client.test");
            BOOST_TEST(c.command("AUTH PLAIN " + plain_response(user, "wrong")) == invalid);
            BOOST_TEST(c.command("AUTH PLAIN " + plain_response("nobody", password)) == invalid);
            BOOST_TEST(c.command("AUTH PLAIN " + plain_response(user, password)) == ok);
        }
    }
    BOOST_TEST(!contains(smtpd.child.err(), "warning"));
}

BOOST_AUTO_TEST_CASE(auth_file_errors_and_warnings) {
    temp_dir dir;
    auto bad = dir.path / "bad";
    write_file(bad, "alice:" + crypt_hash("$6$", "x") + "\nbob:plaintext\n", 0600);
    auto run = [](std::vector<std::string> args) {
        args.insert(args.begin(), SMTPD_PATH);
        smtp_test::child_process child(std::move(args));
        auto status = child.wait(10s);
        BOOST_REQUIRE(status);
        return std::pair{*status, child.err()};
    };
    auto [status, err] = run({"--auth-file", bad.string()});
    BOOST_TEST(status == 2);
    BOOST_TEST(contains(err, bad.string() + ", line 2: not a password hash"), err);
    auto [missing_status, missing_err] = run({"--auth-file", (dir.path / "none").string()});
    BOOST_TEST(missing_status == 2);
    BOOST_TEST(contains(missing_err, "cannot read the auth file"), missing_err);

    auto open = dir.path / "open";
    write_file(open, "alice:" + crypt_hash("$6$", "x") + "\n", 0644);
    hardened_smtpd smtpd({"-c", "Sink", "--auth-file", open.string()});
    smtpd.greeted();
    const std::string warning =
        "warning: the auth file " + open.string() + " is readable by every user";
    BOOST_TEST(smtpd.child.wait_for_output([&] { return contains(smtpd.child.err(), warning); }),
               smtpd.child.err());
}

// The trace masks from the session's state: a TAB before the secret, and a LOGIN exchange
// whose 334 is flushed together with an earlier reply, both stay masked.
BOOST_AUTO_TEST_CASE(debug_trace_never_shows_credentials) {
    hardened_smtpd smtpd({"-d", "-c", "Sink", "--no-auth-require-tls", "--auth", "alice:secret",
                          "--auth-failure-delay", "0"});
    auto c = smtpd.greeted();
    c.command("EHLO client.test");
    const std::string tab_secret = plain_response("alice", "tabbed");
    BOOST_TEST(c.command("AUTH PLAIN\t" + tab_secret).starts_with("5"));
    const std::string user = smtp::detail::base64_encode("alice");
    const std::string password = smtp::detail::base64_encode("pipelined-secret");
    c.send("NOOP\r\nAUTH LOGIN\r\n");
    BOOST_TEST(c.read_reply() == "250 OK\r\n");
    BOOST_TEST(c.read_reply().starts_with("334 "));
    BOOST_TEST(c.command(user).starts_with("334 "));
    BOOST_TEST(c.command(password).starts_with("535 "));
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
    const std::string& err = smtpd.child.err();
    BOOST_REQUIRE(smtpd.child.wait_for_output([&] { return contains(err, "connection lost"); }));
    BOOST_TEST(!contains(err, tab_secret), err);
    BOOST_TEST(!contains(err, user), err);
    BOOST_TEST(!contains(err, password), err);
    BOOST_TEST(contains(err, ">> b'AUTH PLAIN\\t********'"), err);
    BOOST_TEST(contains(err, ">> b'********'"), err);
}

BOOST_AUTO_TEST_CASE(mailbox_stores_binarymime_byte_for_byte) {
    temp_dir dir;
    hardened_smtpd smtpd({"--chunking", "-c", "Mailbox", (dir.path / "maildir").string()});
    auto c = smtpd.greeted();
    c.command("EHLO client.test");
    BOOST_TEST(c.command("MAIL FROM:<a@example.com> BODY=BINARYMIME") == "250 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<b@example.com>") == "250 OK\r\n");
    const std::string body =
        std::string("Subject: binary\r\n\r\n") + "a\rb\r\nc\nd\r" + std::string("\0\xff\r\r\n", 5);
    c.send("BDAT " + std::to_string(body.size()) + " LAST\r\n" + body);
    BOOST_TEST(c.read_reply() == "250 OK\r\n");
    auto fresh = smtp_test::names_in(dir.path / "maildir" / "new");
    BOOST_REQUIRE(fresh.size() == 1u);
    std::string stored = smtp_test::read_file(dir.path / "maildir" / "new" / fresh.front());
    BOOST_TEST(stored.ends_with("a\rb\r\nc\nd\r" + std::string("\0\xff\r\r\n", 5)));
}

BOOST_AUTO_TEST_CASE(mailbox_made_as_root_belongs_to_nobody) {
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("not root: skipped");
        return;
    }
    temp_dir dir;
    ::chmod(dir.path.c_str(), 0755); // nobody must reach the maildir inside
    auto maildir = dir.path / "maildir";
    hardened_smtpd smtpd({"-c", "Mailbox", maildir.string()}, /*nosetuid=*/false);
    BOOST_TEST(smtpd.sendmail("Subject: hi\r\n\r\nhello\r\n").refused().empty());
    struct ::stat status {};
    BOOST_REQUIRE(::stat(maildir.c_str(), &status) == 0);
    BOOST_TEST(status.st_uid == 65534u);
    BOOST_TEST(smtp_test::names_in(maildir / "new").size() == 1u);
}

BOOST_AUTO_TEST_CASE(unix_listener_replaces_only_a_stale_socket) {
    temp_dir dir;
    auto path = dir.path / "not-a-socket";
    write_file(path, "precious", 0600);
    smtp_test::child_process child({SMTPD_PATH, "-n", "-c", "Sink", "-l", "unix:" + path.string()});
    auto status = child.wait(10s);
    BOOST_REQUIRE_MESSAGE(status, "smtpd did not exit");
    BOOST_TEST(*status == 1);
    BOOST_TEST(contains(child.err(), "cannot listen on unix:" + path.string()), child.err());
    BOOST_TEST(smtp_test::read_file(path) == "precious");
}

BOOST_AUTO_TEST_CASE(proxy_trusted_v4_mapped_networks_match_ipv4_senders) {
    for (std::string network : {"::ffff:127.0.0.0/104", "::/0", "127.0.0.0/8"}) {
        BOOST_TEST_CONTEXT(network) {
            hardened_smtpd smtpd(
                {"-c", "Sink", "--proxy-protocol", "5", "--proxy-trusted", network});
            test_client c = smtpd.connect();
            c.send("PROXY TCP4 192.0.2.1 192.0.2.2 5555 25\r\n");
            BOOST_TEST(c.read_reply().starts_with("220 "));
        }
    }
    hardened_smtpd elsewhere(
        {"-c", "Sink", "--proxy-protocol", "5", "--proxy-trusted", "::ffff:10.0.0.0/104"});
    test_client c = elsewhere.connect();
    c.send("PROXY TCP4 192.0.2.1 192.0.2.2 5555 25\r\n");
    BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(debug_trace_names_the_client_behind_a_proxy) {
    hardened_smtpd smtpd({"-d", "-c", "Sink", "--proxy-protocol", "5"});
    test_client c = smtpd.connect();
    c.send("PROXY TCP4 192.0.2.1 192.0.2.2 5555 25\r\n");
    BOOST_TEST(c.read_reply().starts_with("220 "));
    BOOST_TEST(c.command("NOOP") == "250 OK\r\n");
    BOOST_TEST(c.command("QUIT") == "221 Bye\r\n");
    const std::string& err = smtpd.child.err();
    BOOST_REQUIRE(smtpd.child.wait_for_output([&] { return contains(err, "connection lost"); }));
    BOOST_TEST(contains(err, "INFO:mail.log:('192.0.2.1', 5555) >> b'NOOP'"), err);
    BOOST_TEST(contains(err, "INFO:mail.log:('192.0.2.1', 5555) << b'220 "), err);
    // Only the lines before the header (Peer:, handling connection) name the proxy.
    std::size_t proxy_lines = 0;
    for (std::size_t at = 0; (at = err.find("('127.0.0.1', ", at)) != std::string::npos; ++at)
        ++proxy_lines;
    BOOST_TEST(proxy_lines == 2u, err);
}

BOOST_AUTO_TEST_SUITE_END()
