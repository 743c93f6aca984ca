// Nothing acknowledged is lost: smtpd -c Mailbox is killed with SIGKILL at random moments while
// a client sends one distinct message after another. Afterwards every message that got 250 is
// in new/ byte-exact, and every file in new/ is a whole message (tmp/ may keep leftovers: that
// is what the Maildir tmp/ is for).
#include "hostile.hpp"

#include "integration/temp_dir.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

using namespace hostile;
using smtp_test::names_in;
using smtp_test::read_file;
using smtp_test::temp_dir;

namespace {

// Message `n`: a size that varies from 0 to ~200 KiB, dot-leading lines, and its number.
std::string message(int n) {
    std::mt19937 random{std::uint32_t(n)};
    std::string m = "Subject: message " + std::to_string(n) + "\r\n\r\n";
    const int lines = std::uniform_int_distribution<int>(0, 2500)(random);
    for (int i = 0; i < lines; ++i)
        m += (i % 7 == 0 ? "." : "") + std::to_string(n) + " line " + std::to_string(i) +
             " of a message that must arrive whole\r\n";
    return m;
}

// What Mailbox writes for message `n` (LF line ends, the three headers after the others), with
// the X-Peer port replaced by PEER.
std::string stored(int n) {
    std::string m = message(n), out;
    for (std::size_t at = 0; at < m.size();) {
        std::size_t end = m.find("\r\n", at);
        out.append(m, at, end - at).append("\n");
        at = end + 2;
    }
    const std::size_t headers_end = out.find("\n\n") + 1;
    out.insert(headers_end, "X-Peer: PEER\nX-MailFrom: anne@example.com\n"
                            "X-RcptTo: bart@example.com\n");
    return out;
}

std::string without_peer_port(std::string bytes) {
    auto at = bytes.find("X-Peer: ('127.0.0.1', ");
    if (at == std::string::npos) return bytes;
    auto end = bytes.find(")\n", at);
    return bytes.replace(at, end + 2 - at, "X-Peer: PEER\n");
}

} // namespace

BOOST_AUTO_TEST_SUITE(nothing_acknowledged_is_lost)

BOOST_AUTO_TEST_CASE(sigkill_at_random_moments) {
    if (!smtpd_built()) return;
    temp_dir dir;
    const auto maildir = dir.path / "Maildir";
    std::mt19937 random(20261129);
    std::set<int> acknowledged;
    int next = 0;
    for (int round = 0; round < 8; ++round) {
        smtpd_process smtpd(SMTPD_PATH, {"-c", "Mailbox", maildir.string()});
        smtpd.connect(); // listening: from now on a refused connection means it is gone
        std::atomic<int> acked_this_round{0};
        std::mutex mutex;
        std::set<int> acked;
        std::thread client([&] {
            // Until the server is gone (bounded: at most 2000 messages a round).
            for (int i = 0; i < 2000; ++i) {
                int n;
                {
                    std::lock_guard lock(mutex);
                    n = next++;
                }
                try {
                    auto result = smtp::sendmail("127.0.0.1", smtpd.port, "anne@example.com",
                                                 {"bart@example.com"}, message(n));
                    if (result.data.code != 250) return;
                    std::lock_guard lock(mutex);
                    acked.insert(n);
                    ++acked_this_round;
                } catch (const std::exception&) {
                    return;
                }
            }
        });
        // Killed once it has acknowledged something (or after 30 s), a random moment later.
        for (int wait = 0; wait < 3000 && acked_this_round == 0; ++wait)
            std::this_thread::sleep_for(10ms);
        std::this_thread::sleep_for(
            milliseconds(std::uniform_int_distribution<int>(0, 700)(random)));
        smtpd.child.signal(SIGKILL);
        BOOST_TEST((smtpd.child.wait(10s) == 128 + SIGKILL));
        client.join();
        BOOST_TEST_MESSAGE("round " << round << ": " << acked.size() << " acknowledged");
        BOOST_TEST(!acked.empty());
        acknowledged.insert(acked.begin(), acked.end());
    }
    // Every file in new/ is one whole message, byte-exact, and each at most once.
    std::map<int, int> found;
    for (const auto& name : names_in(maildir / "new")) {
        std::string bytes = without_peer_port(read_file(maildir / "new" / name));
        const std::string prefix = "Subject: message ";
        BOOST_TEST_REQUIRE(bytes.starts_with(prefix),
                           name << " is partial: " << bytes.substr(0, 80));
        int n = std::stoi(bytes.substr(prefix.size()));
        BOOST_TEST((bytes == stored(n)), name << " (message " << n << ") is not byte-exact");
        ++found[n];
    }
    for (const auto& [n, times] : found)
        BOOST_TEST(times == 1, "message " << n << " stored " << times << " times");
    // Every acknowledged message is there.
    std::size_t lost = 0;
    for (int n : acknowledged)
        lost += !found.contains(n);
    BOOST_TEST(lost == 0u, lost << " of " << acknowledged.size() << " acknowledged messages lost");
    BOOST_TEST_MESSAGE(acknowledged.size() << " acknowledged, " << found.size() << " in new/, "
                                           << names_in(maildir / "tmp").size() << " left in tmp/");
}

BOOST_AUTO_TEST_SUITE_END()
