#include <smtp/handlers/mailbox.hpp>
#include <smtp/handlers/recipient_mailbox.hpp>

#include "fake_connection.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <memory>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

// handlers::mailbox and its Maildir writer, without sockets. Delivery over SMTP, Python reading
// the Maildir and full or read-only disks are in tests/integration/mailbox_test.cpp.

using smtp_test::hook_context;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        char pattern[] = "/tmp/smtp-mailbox-unit-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~temp_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
        names.push_back(e.path().filename());
    return names;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

smtp::envelope<> mailbox_envelope() {
    smtp::envelope<> env;
    env.mail_from = "anne@example.com";
    env.rcpt_tos = {"bart@example.com"};
    env.original_content = "Subject: stored\r\n\r\nline one\r\n.line two\r\n";
    env.content = env.original_content;
    return env;
}

const std::string stored_lf = "Subject: stored\n"
                              "X-Peer: ('127.0.0.1', 40000)\n"
                              "X-MailFrom: anne@example.com\n"
                              "X-RcptTo: bart@example.com\n"
                              "\n"
                              "line one\n"
                              ".line two\n";

// Answers failures its own way.
struct loud_mailbox : smtp::handlers::basic_mailbox<loud_mailbox> {
    using basic_mailbox::basic_mailbox;
    std::string error;
    smtp::reply delivery_failed(const std::system_error& e) {
        error = e.what();
        return {452, "4.3.1 custom"};
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(mailbox)

BOOST_AUTO_TEST_CASE(unique_name_has_the_maildir_form_and_never_repeats) {
    std::regex form(R"(\d+\.M\d{1,6}P\d+Q\d+\.[^/:]+)");
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string name = smtp::handlers::detail::maildir_unique_name();
        BOOST_TEST_REQUIRE(std::regex_match(name, form), name);
        BOOST_TEST_REQUIRE(seen.insert(name).second);
    }
}

BOOST_AUTO_TEST_CASE(to_lf_turns_every_line_break_into_lf) {
    BOOST_TEST(smtp::handlers::detail::to_lf("a\r\nb\rc\nd\r\r\n") == "a\nb\nc\nd\n\n");
    BOOST_TEST(smtp::handlers::detail::to_lf("") == "");
}

BOOST_AUTO_TEST_CASE(constructor_creates_the_maildir) {
    temp_dir tmp;
    smtp::handlers::mailbox box(tmp.path / "inbox");
    for (const char* sub : {"tmp", "new", "cur"}) {
        struct stat st {};
        BOOST_TEST_REQUIRE(::stat((tmp.path / "inbox" / sub).c_str(), &st) == 0);
        BOOST_TEST(S_ISDIR(st.st_mode));
        BOOST_TEST((st.st_mode & 0777) == 0700u);
    }
    BOOST_TEST(box.directory() == tmp.path / "inbox");
    smtp::handlers::mailbox again(tmp.path / "inbox"); // an existing Maildir is fine
}

BOOST_AUTO_TEST_CASE(constructor_creates_missing_parents) {
    temp_dir tmp;
    smtp::handlers::mailbox box(tmp.path / "var" / "mail" / "inbox");
    BOOST_TEST(fs::is_directory(tmp.path / "var" / "mail" / "inbox" / "new"));
}

BOOST_AUTO_TEST_CASE(recipient_maildir_keeps_inside_the_root) {
    using smtp::handlers::detail::recipient_maildir;
    const fs::path root = "/srv/mail";
    BOOST_TEST(*recipient_maildir(root, "Alice@Example.COM") == root / "example.com" / "alice");
    BOOST_TEST(*recipient_maildir(root, "a.b+tag@sub.example.com") ==
               root / "sub.example.com" / "a.b+tag");
    BOOST_TEST(*recipient_maildir(root, "\"a@b\"@example.com") == root / "example.com" / "\"a@b\"");
    for (const char* hostile : {"../x@d", "x@..", "a/b@d", "x@a/b", ".x@d", "x@.d", "@d", "x@", "x",
                                "", "a\\b@d", "a\tb@d"})
        BOOST_TEST(!recipient_maildir(root, hostile).has_value(), hostile);
}

BOOST_AUTO_TEST_CASE(constructor_throws_when_it_cannot_create) {
    temp_dir tmp;
    std::ofstream(tmp.path / "file") << "x";
    BOOST_CHECK_THROW(smtp::handlers::mailbox(tmp.path / "file" / "inbox"), fs::filesystem_error);
}

BOOST_AUTO_TEST_CASE(deliver_writes_into_new_and_leaves_tmp_empty) {
    temp_dir tmp;
    smtp::handlers::mailbox box(tmp.path);
    std::string name = box.deliver("Subject: x\r\n\r\nbody\r\n");
    BOOST_TEST(names_in(tmp.path / "new") == std::vector<std::string>{name});
    BOOST_TEST(names_in(tmp.path / "tmp").empty());
    BOOST_TEST(read_file(tmp.path / "new" / name) == "Subject: x\n\nbody\n");
    struct stat st {};
    ::stat((tmp.path / "new" / name).c_str(), &st);
    BOOST_TEST((st.st_mode & 0777) == 0600u); // mail is private
}

BOOST_AUTO_TEST_CASE(crlf_option_keeps_line_breaks) {
    temp_dir tmp;
    smtp::handlers::mailbox box(tmp.path, {.threads = 1, .crlf = true});
    std::string name = box.deliver("Subject: x\r\n\r\nbody\r\n");
    BOOST_TEST(read_file(tmp.path / "new" / name) == "Subject: x\r\n\r\nbody\r\n");
}

BOOST_AUTO_TEST_CASE(handle_DATA_stores_the_prepared_message_then_answers_250) {
    temp_dir tmp;
    hook_context ctx;
    smtp::handlers::mailbox box(tmp.path);
    auto env = mailbox_envelope();
    BOOST_TEST(ctx.run(box.handle_DATA(ctx.conn, ctx.session, env)) == smtp::reply::ok());
    auto names = names_in(tmp.path / "new");
    BOOST_TEST_REQUIRE(names.size() == 1u);
    BOOST_TEST(read_file(tmp.path / "new" / names[0]) == stored_lf);
}

BOOST_AUTO_TEST_CASE(handle_DATA_answers_451_when_the_write_fails) {
    temp_dir tmp;
    hook_context ctx;
    smtp::handlers::mailbox box(tmp.path);
    fs::remove(tmp.path / "tmp"); // open() in tmp/ fails: ENOENT
    auto env = mailbox_envelope();
    smtp::reply r = ctx.run(box.handle_DATA(ctx.conn, ctx.session, env));
    BOOST_TEST(r.code == 451);
    BOOST_TEST(r.text == "4.3.0 Requested action aborted: local error in processing");
    BOOST_TEST(names_in(tmp.path / "new").empty());
}

BOOST_AUTO_TEST_CASE(delivery_failed_can_be_overridden) {
    temp_dir tmp;
    hook_context ctx;
    loud_mailbox box(tmp.path);
    fs::remove(tmp.path / "tmp");
    auto env = mailbox_envelope();
    BOOST_TEST(ctx.run(box.handle_DATA(ctx.conn, ctx.session, env)) ==
               (smtp::reply{452, "4.3.1 custom"}));
    BOOST_TEST(box.error.find("maildir: open") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reset_empties_new_and_cur) {
    temp_dir tmp;
    smtp::handlers::mailbox box(tmp.path);
    box.deliver("a");
    box.deliver("b");
    std::ofstream(tmp.path / "cur" / "old:2,S") << "seen";
    box.reset();
    BOOST_TEST(names_in(tmp.path / "new").empty());
    BOOST_TEST(names_in(tmp.path / "cur").empty());
}

BOOST_AUTO_TEST_CASE(from_cli_takes_exactly_one_directory) {
    temp_dir tmp;
    auto check = [](std::vector<std::string> args, const std::string& message) {
        try {
            smtp::handlers::mailbox::from_cli(args);
            BOOST_ERROR("no usage_error for " << args.size() << " arguments");
        } catch (const smtp::usage_error& e) {
            BOOST_TEST(e.what() == message);
        }
    };
    check({}, "The directory for the maildir is required");
    check({"a", "b"}, "Too many arguments for Mailbox handler");
    std::ofstream(tmp.path / "file") << "x";
    std::string impossible = (tmp.path / "file" / "m").string();
    check({impossible}, "Cannot create the maildir " + impossible + ": Not a directory");
    std::vector<std::string> one{(tmp.path / "m").string()};
    BOOST_TEST(smtp::handlers::mailbox::from_cli(one).directory() == tmp.path / "m");
    static_assert(std::string_view(smtp::handlers::mailbox::cli_name) == "Mailbox");
}

// The work runs on the pool while the caller's thread goes on serving: here the work can only
// finish once a timer on the caller's io_context has fired.
BOOST_AUTO_TEST_CASE(offload_runs_off_the_calling_thread) {
    boost::asio::thread_pool pool(1);
    boost::asio::io_context io;
    std::promise<void> timer_fired;
    auto fired = timer_fired.get_future();
    boost::asio::steady_timer t(io, std::chrono::milliseconds(10));
    t.async_wait([&](boost::system::error_code) { timer_fired.set_value(); });
    std::thread::id io_thread = std::this_thread::get_id();
    auto result = boost::asio::co_spawn(
        io,
        smtp::handlers::detail::offload(pool,
                                        [&] {
                                            bool ok = fired.wait_for(std::chrono::seconds(10)) ==
                                                      std::future_status::ready;
                                            return ok && std::this_thread::get_id() != io_thread;
                                        }),
        boost::asio::use_future);
    io.run();
    BOOST_TEST(result.get());
}

BOOST_AUTO_TEST_CASE(offload_rethrows_the_work_exception) {
    boost::asio::thread_pool pool(1);
    boost::asio::io_context io;
    auto result = boost::asio::co_spawn(
        io, smtp::handlers::detail::offload(pool, []() -> int { throw std::runtime_error("x"); }),
        boost::asio::use_future);
    io.run();
    BOOST_CHECK_THROW(result.get(), std::runtime_error);
}

// A server stopped mid-delivery destroys its io_context while the work runs: the work must
// finish without touching it (AddressSanitizer watches this one).
BOOST_AUTO_TEST_CASE(offload_survives_the_caller_io_context_going_away) {
    boost::asio::thread_pool pool(1);
    std::promise<void> release;
    auto released = release.get_future().share();
    std::promise<void> started;
    auto work_started = started.get_future();
    {
        boost::asio::io_context io;
        boost::asio::co_spawn(io,
                              smtp::handlers::detail::offload(pool,
                                                              [&, released] {
                                                                  started.set_value();
                                                                  released.wait();
                                                                  return 42;
                                                              }),
                              boost::asio::detached);
        io.run_for(std::chrono::milliseconds(50));
        BOOST_TEST_REQUIRE(
            (work_started.wait_for(std::chrono::seconds(10)) == std::future_status::ready));
    } // the io_context and the suspended coroutine go here
    release.set_value();
    pool.join();
    BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(copies_share_the_pool_and_the_directory) {
    temp_dir tmp;
    hook_context ctx;
    smtp::handlers::mailbox first(tmp.path);
    smtp::handlers::mailbox copy = first;
    auto env = mailbox_envelope();
    BOOST_TEST(ctx.run(copy.handle_DATA(ctx.conn, ctx.session, env)).positive());
    BOOST_TEST(ctx.run(first.handle_DATA(ctx.conn, ctx.session, env)).positive());
    BOOST_TEST(names_in(tmp.path / "new").size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
