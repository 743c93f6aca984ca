#include <smtp/handlers/mailbox.hpp>

#include "fixture.hpp"
#include "python.hpp"
#include "run_command.hpp"
#include "smtpd_process.hpp"
#include "temp_dir.hpp"
#include "unit/reply_printer.hpp"

#include <smtp/client.hpp>
#include <smtp/client/sendmail.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#ifndef SMTPD_PATH
#define SMTPD_PATH "" // examples not built: the command-line tests are skipped
#endif

// The Maildir handler through a real server: what Python's mailbox module reads back, what
// aiosmtpd's own Mailbox writes, and the 451s of a full or read-only disk.

using smtp_test::names_in;
using smtp_test::read_file;
using smtp_test::run_command;
using smtp_test::temp_dir;
using smtp_test::test_options;
using strings = std::vector<std::string>;

namespace {

using mailbox_server = smtp_test::running<smtp::handlers::mailbox>;

// The X-Peer line names the client's port, which the test does not know: made comparable.
std::string without_peer_port(std::string bytes) {
    auto at = bytes.find("X-Peer: ('127.0.0.1', ");
    if (at == std::string::npos) return bytes;
    auto end = bytes.find(")\n", at);
    return bytes.replace(at, end + 2 - at, "X-Peer: PEER\n");
}

// A tmpfs mounted on a fresh directory when this process may mount (root with CAP_SYS_ADMIN,
// as in the CI container), unmounted at the end.
struct small_filesystem {
    temp_dir dir;
    bool mounted = false;
    explicit small_filesystem(const std::string& size) {
        mounted = run_command("mount -t tmpfs -o size=" + size + " smtp-test " + dir.path.string())
                      .exit_code == 0;
    }
    bool make_read_only() {
        return run_command("mount -o remount,ro " + dir.path.string()).exit_code == 0;
    }
    ~small_filesystem() {
        if (mounted) run_command("umount " + dir.path.string());
    }
};

const std::string sample = "From: Anne Person <anne@example.com>\r\n"
                           "Subject: A folded\r\n subject\r\n"
                           "\r\n"
                           "First line\r\n"
                           ".A line that started with a dot\r\n"
                           "\r\n"
                           "Gr\xc3\xbc\xc3\x9f"
                           "e\r\n";

const std::string sample_stored = "From: Anne Person <anne@example.com>\n"
                                  "Subject: A folded\n subject\n"
                                  "X-Peer: PEER\n"
                                  "X-MailFrom: anne@example.com\n"
                                  "X-RcptTo: bart@example.com, cate@example.com\n"
                                  "\n"
                                  "First line\n"
                                  ".A line that started with a dot\n"
                                  "\n"
                                  "Gr\xc3\xbc\xc3\x9f"
                                  "e\n";

// About `size` bytes of x's, in lines of 78.
std::string lines_of_x(std::size_t size) {
    std::string out;
    while (out.size() < size)
        out.append(std::string(78, 'x')).append("\r\n");
    return out;
}

void check_nothing_delivered(const std::filesystem::path& dir) {
    BOOST_TEST(names_in(dir / "new").empty());
    BOOST_TEST(names_in(dir / "tmp").empty());
}

} // namespace

BOOST_AUTO_TEST_SUITE(mailbox)

BOOST_AUTO_TEST_CASE(python_mailbox_reads_back_byte_exact) {
    temp_dir dir;
    mailbox_server box(test_options(), smtp::handlers::mailbox(dir.path));
    BOOST_TEST(box.sendmail({"bart@example.com", "cate@example.com"}, sample).data ==
               smtp::reply::ok());
    BOOST_TEST(box.sendmail({"bart@example.com"}, "Subject: second\r\n\r\nbody\r\n").sent());
    auto python =
        run_command("python3 " SMTP_TEST_PYTHON_DIR "/maildir_dump.py " + dir.path.string());
    BOOST_TEST_REQUIRE(python.exit_code == 0, python.output);
    auto lines = smtp_test::split(python.output, '\n');
    BOOST_TEST_REQUIRE(lines.size() == 3u, python.output); // two messages and the last LF
    strings keys;
    for (std::size_t i = 0; i < 2; ++i) {
        auto fields = smtp_test::split(lines[i], '\t');
        BOOST_TEST_REQUIRE(fields.size() == 4u);
        keys.push_back(fields[0]);
        std::string bytes = smtp_test::from_hex(fields[3]);
        // What Python reads is exactly what is on disk, and what was sent (plus the X- fields).
        BOOST_TEST(bytes == read_file(dir.path / "new" / fields[0]));
        BOOST_TEST(fields[1] == "anne@example.com");
        if (fields[2] == "bart@example.com, cate@example.com") {
            BOOST_TEST(without_peer_port(bytes) == sample_stored);
        } else {
            BOOST_TEST(fields[2] == "bart@example.com");
            BOOST_TEST(without_peer_port(bytes) ==
                       "Subject: second\nX-Peer: PEER\nX-MailFrom: anne@example.com\n"
                       "X-RcptTo: bart@example.com\n\nbody\n");
        }
    }
    auto on_disk = names_in(dir.path / "new");
    std::sort(on_disk.begin(), on_disk.end());
    BOOST_TEST(keys == on_disk);
    BOOST_TEST(names_in(dir.path / "tmp").empty());
}

// The same message, envelope and peer through aiosmtpd's own Mailbox handler give the same file.
BOOST_AUTO_TEST_CASE(same_file_as_aiosmtpd_mailbox) {
    std::string python = smtp_test::python_with_aiosmtpd();
    if (python.empty()) {
        BOOST_TEST_MESSAGE("aiosmtpd is not installed (apt-get install python3-aiosmtpd): skipped");
        return;
    }
    temp_dir ours, theirs;
    mailbox_server box(test_options(), smtp::handlers::mailbox(ours.path));
    BOOST_TEST_REQUIRE(box.sendmail({"bart@example.com", "cate@example.com"}, sample).sent());
    auto names = names_in(ours.path / "new");
    BOOST_TEST_REQUIRE(names.size() == 1u);
    std::string stored = read_file(ours.path / "new" / names[0]);
    // The peer our server saw, to give aiosmtpd the same one.
    auto at = stored.find("X-Peer: ('127.0.0.1', ") + 22;
    std::string port = stored.substr(at, stored.find(')', at) - at);
    auto run = run_command(python + " " SMTP_TEST_PYTHON_DIR "/aiosmtpd_mailbox.py " +
                           (theirs.path / "Maildir").string() + " 127.0.0.1 " + port +
                           " anne@example.com bart@example.com,cate@example.com " +
                           smtp_test::to_hex(sample));
    BOOST_TEST_REQUIRE(run.exit_code == 0, run.output);
    std::string key = run.output.substr(0, run.output.find('\n'));
    BOOST_TEST(read_file(theirs.path / "Maildir" / "new" / key) == stored);
}

BOOST_AUTO_TEST_CASE(file_size_limit_gives_451_and_nothing_delivered) {
    temp_dir dir;
    mailbox_server box(test_options(), smtp::handlers::mailbox(dir.path));
    // A process file-size limit makes write() fail with EFBIG, as a full disk fails it with
    // ENOSPC, without any privilege.
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &small);
    auto result = box.sendmail({"bart@example.com"}, "Subject: big\r\n\r\n" + lines_of_x(20000));
    ::setrlimit(RLIMIT_FSIZE, &saved);
    ::signal(SIGXFSZ, old_handler);
    BOOST_TEST(result.data ==
               (smtp::reply{451, "4.3.1 Requested action aborted: insufficient system storage"}));
    check_nothing_delivered(dir.path);
    BOOST_TEST(box.sendmail({"bart@example.com"}, "Subject: small\r\n\r\nfits\r\n")
                   .sent()); // and it recovers
}

BOOST_AUTO_TEST_CASE(full_disk_gives_451_and_nothing_delivered) {
    small_filesystem fs("64k");
    if (!fs.mounted) {
        BOOST_TEST_MESSAGE("cannot mount a tmpfs here (needs root): skipped");
        return;
    }
    auto dir = fs.dir.path / "Maildir";
    mailbox_server box(test_options(), smtp::handlers::mailbox(dir));
    auto result = box.sendmail({"bart@example.com"}, "Subject: big\r\n\r\n" + lines_of_x(200000));
    BOOST_TEST(result.data ==
               (smtp::reply{451, "4.3.1 Requested action aborted: insufficient system storage"}));
    check_nothing_delivered(dir);
    BOOST_TEST(box.sendmail({"bart@example.com"}, "Subject: small\r\n\r\nfits\r\n").sent());
}

BOOST_AUTO_TEST_CASE(read_only_directory_gives_451_and_nothing_delivered) {
    std::optional<small_filesystem> fs;
    temp_dir plain;
    std::filesystem::path dir;
    if (::geteuid() != 0) {
        dir = plain.path / "Maildir";
        smtp::handlers::detail::make_maildir(dir);
        ::chmod((dir / "tmp").c_str(), 0500);
        ::chmod((dir / "new").c_str(), 0500);
    } else {
        // Root writes through permission bits: a read-only mount it is.
        fs.emplace("1m");
        if (!fs->mounted) {
            BOOST_TEST_MESSAGE("root without mount privileges: skipped");
            return;
        }
        dir = fs->dir.path / "Maildir";
        smtp::handlers::detail::make_maildir(dir);
        BOOST_TEST_REQUIRE(fs->make_read_only());
    }
    mailbox_server box(test_options(), smtp::handlers::mailbox(dir));
    auto result = box.sendmail({"bart@example.com"}, "Subject: x\r\n\r\ny\r\n");
    BOOST_TEST(result.data ==
               (smtp::reply{451, "4.3.0 Requested action aborted: local error in processing"}));
    check_nothing_delivered(dir);
    if (::geteuid() != 0) {
        ::chmod((dir / "tmp").c_str(), 0700);
        ::chmod((dir / "new").c_str(), 0700);
    }
}

BOOST_AUTO_TEST_CASE(smtpd_mailbox_argument_errors) {
    if (std::string_view(SMTPD_PATH).empty()) return;
    auto none = run_command(SMTPD_PATH " -n -c Mailbox");
    BOOST_TEST(none.exit_code == 2);
    BOOST_TEST(none.output.find("smtpd: error: The directory for the maildir is required\n") !=
                   std::string::npos,
               none.output);
    auto two = run_command(SMTPD_PATH " -n -c Mailbox a b");
    BOOST_TEST(two.exit_code == 2);
    BOOST_TEST(two.output.find("smtpd: error: Too many arguments for Mailbox handler\n") !=
                   std::string::npos,
               two.output);
}

BOOST_AUTO_TEST_CASE(smtpd_mailbox_delivers) {
    if (std::string_view(SMTPD_PATH).empty()) return;
    temp_dir dir;
    smtp_test::smtpd_process smtpd(SMTPD_PATH, {"-c", "Mailbox", (dir.path / "Maildir").string()});
    auto result = smtpd.sendmail("Subject: via smtpd\r\n\r\nhi\r\n");
    BOOST_TEST(result.data == smtp::reply::ok());
    auto names = names_in(dir.path / "Maildir" / "new");
    BOOST_TEST_REQUIRE(names.size() == 1u);
    BOOST_TEST(without_peer_port(read_file(dir.path / "Maildir" / "new" / names[0])) ==
               "Subject: via smtpd\nX-Peer: PEER\nX-MailFrom: anne@example.com\n"
               "X-RcptTo: bart@example.com\n\nhi\n");
}

BOOST_AUTO_TEST_SUITE_END()
