#include <smtp/server.hpp>

#include "fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

// The ESMTP extensions over a real socket: a pipelined batch answered in one write, BDAT and
// DATA giving the handler the same message, and streaming DATA (handle_DATA_chunk) by DATA and
// by BDAT, refused, and abandoned.

using smtp_test::test_client;

namespace {

// What the streaming handler saw, shared with the test thread.
struct record {
    std::mutex mutex;
    std::vector<std::string> messages; // the streamed bytes of each message
    std::size_t chunks = 0;            // handle_DATA_chunk calls
    std::size_t aborts = 0;            // handle_DATA_abort calls
    std::string streaming;             // the streamed message under way

    template <class F>
    auto locked(F f) {
        std::lock_guard lock(mutex);
        return f(*this);
    }
};

// Streams the body into `record::streaming`; refuses a message that contains "REFUSE".
struct streaming {
    std::shared_ptr<record> seen = std::make_shared<record>();

    smtp::reply handle_DATA_chunk(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                                  std::string_view bytes) {
        BOOST_TEST(env.original_content.empty()); // the server keeps no copy
        return seen->locked([&](record& r) {
            ++r.chunks;
            r.streaming.append(bytes);
            if (r.streaming.find("REFUSE") != std::string::npos)
                return smtp::reply{550, "5.6.0 Refused while streaming"};
            return smtp::reply{};
        });
    }
    boost::asio::awaitable<smtp::reply> handle_DATA(smtp::connection&, smtp::session&,
                                                    smtp::envelope<>& env) {
        BOOST_TEST(env.original_content.empty());
        seen->locked([&](record& r) { r.messages.push_back(std::exchange(r.streaming, {})); });
        co_return smtp::reply{250, "Streamed"};
    }
    void handle_DATA_abort(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        seen->locked([](record& r) {
            ++r.aborts;
            r.streaming.clear();
        });
    }
};

// RFC 2034 §6's example server: some replies with their own codes, some without.
struct rfc2034_server {
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>& env,
                            std::string_view address, std::span<const std::string> options) {
        if (address.starts_with("nosuchuser@"))
            return {550, "5.1.1 Mailbox \"nosuchuser\" does not exist"};
        if (address.ends_with("@isi.edu"))
            return {551, "5.7.1 Forwarding to remote hosts disabled\n"
                         "5.7.1 Select another host to act as your forwarder"};
        if (address.ends_with("@no.code"))
            return {551, "Forwarding to remote hosts disabled\nSelect another host"};
        env.add_recipient(address, options);
        return {250, "Recipient <" + std::string(address) + "> ok"};
    }
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        return {250, "2.6.0 Message accepted"};
    }
};

smtp::options extensions() {
    smtp::options o = smtp_test::test_options();
    o.pipelining = true;
    o.chunking = true;
    o.enhanced_status_codes = true;
    return o;
}

using smtp_test::running;

// A client EHLO'd by a server that offers PIPELINING.
template <class Handler>
test_client greeted_client(running<Handler>& server) {
    test_client c = server.greeted();
    BOOST_TEST(c.command("EHLO client").find("250-PIPELINING\r\n") != std::string::npos);
    return c;
}

// Messages handle_DATA saw, as received.
std::vector<std::string> received(running<smtp_test::recorder>& server) {
    std::vector<std::string> out;
    for (const auto& d : server.handler().deliveries())
        out.push_back(d.original_content);
    return out;
}

const std::string message = "Subject: test\r\n\r\n.leading dot\r\nline two\r\n";
const std::string stuffed = "Subject: test\r\n\r\n..leading dot\r\nline two\r\n.\r\n";

} // namespace

BOOST_AUTO_TEST_SUITE(esmtp)

// RFC 2920: the replies to a batch go out together, in one write, once the batch is used up.
BOOST_AUTO_TEST_CASE(pipelined_batch_is_answered_in_one_write) {
    running<smtp_test::recorder> server(extensions());
    test_client c = greeted_client(server);
    std::size_t before = server.handler().count("reply");
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\n"
           "NOOP\r\nDATA\r\n");
    BOOST_TEST(c.read_reply() == "250 2.1.0 OK\r\n");
    BOOST_TEST(c.read_reply() == "250 2.1.5 OK\r\n");
    BOOST_TEST(c.read_reply() == "250 2.1.5 OK\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 OK\r\n");
    BOOST_TEST(c.read_reply() == "354 End data with <CR><LF>.<CR><LF>\r\n");
    BOOST_TEST(server.handler().count("reply") == before + 1);
    c.send(stuffed + "QUIT\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 OK\r\n");
    BOOST_TEST(c.read_reply() == "221 2.0.0 Bye\r\n");
}

// RFC 2920 §3.1: the end of the message and QUIT pipelined, both replies in one write.
BOOST_AUTO_TEST_CASE(rfc2920_end_of_data_and_quit_pipelined) {
    running<smtp_test::recorder> server(extensions());
    test_client c = greeted_client(server);
    c.send("MAIL FROM:<mrose@dbc.mtview.ca.us>\r\nRCPT TO:<ned@innosoft.com>\r\nRCPT "
           "TO:<dan@innosoft.com>\r\nRCPT TO:<kvc@innosoft.com>\r\nDATA\r\n");
    for (int i = 0; i < 4; ++i)
        BOOST_TEST(c.read_reply().starts_with("250 2.1."));
    BOOST_TEST(c.read_reply().starts_with("354 "));
    std::size_t before = server.handler().count("reply");
    c.send("Subject: pipelined\r\n\r\ntext\r\n.\r\nQUIT\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 OK\r\n");
    BOOST_TEST(c.read_reply() == "221 2.0.0 Bye\r\n");
    BOOST_TEST(c.closed_by_server());
    BOOST_TEST(server.handler().count("reply") == before + 1);
}

// RFC 2034 §6: a hook's own codes are kept (on every line of a multi-line reply); a hook reply
// without one gets <class>.0.0 on each line; the server's replies carry theirs.
BOOST_AUTO_TEST_CASE(rfc2034_example) {
    running<rfc2034_server> server(extensions());
    test_client c = server.greeted();
    BOOST_TEST(
        c.command("EHLO ymir.claremont.edu").ends_with("250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n"));
    BOOST_TEST(c.command("MAIL FROM:<ned@ymir.claremont.edu>") == "250 2.1.0 OK\r\n");
    BOOST_TEST(c.command("RCPT TO:<mrose@dbc.mtview.ca.us>") ==
               "250 2.1.5 Recipient <mrose@dbc.mtview.ca.us> ok\r\n");
    BOOST_TEST(c.command("RCPT TO:<nosuchuser@dbc.mtview.ca.us>") ==
               "550 5.1.1 Mailbox \"nosuchuser\" does not exist\r\n");
    BOOST_TEST(c.command("RCPT TO:<remoteuser@isi.edu>") ==
               "551-5.7.1 Forwarding to remote hosts disabled\r\n"
               "551 5.7.1 Select another host to act as your forwarder\r\n");
    BOOST_TEST(
        c.command("RCPT TO:<remoteuser@no.code>") ==
        "551-5.0.0 Forwarding to remote hosts disabled\r\n551 5.0.0 Select another host\r\n");
    BOOST_TEST(c.command("DATA") == "354 End data with <CR><LF>.<CR><LF>\r\n");
    c.send("Subject: hi\r\n\r\nbody\r\n.\r\n");
    BOOST_TEST(c.read_reply() == "250 2.6.0 Message accepted\r\n");
    BOOST_TEST(c.command("QUIT") == "221 2.0.0 Bye\r\n");
}

BOOST_AUTO_TEST_CASE(bdat_and_data_give_the_handler_the_same_message) {
    running<smtp_test::recorder> server(extensions());
    test_client c = greeted_client(server);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read_reply();
    c.read_reply();
    BOOST_TEST(c.read_reply().starts_with("354"));
    c.send(stuffed);
    BOOST_TEST(c.read_reply() == "250 2.0.0 OK\r\n");
    // The same message in three chunks, pipelined in one write.
    const std::string a = message.substr(0, 10), b = message.substr(10, 7),
                      rest = message.substr(17);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT " +
           std::to_string(a.size()) + "\r\n" + a + "BDAT " + std::to_string(b.size()) + "\r\n" + b +
           "BDAT " + std::to_string(rest.size()) + " LAST\r\n" + rest);
    BOOST_TEST(c.read_reply() == "250 2.1.0 OK\r\n");
    BOOST_TEST(c.read_reply() == "250 2.1.5 OK\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 10 octets received\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 7 octets received\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 OK\r\n");
    auto messages = received(server);
    BOOST_REQUIRE(messages.size() == 2u);
    BOOST_TEST(messages[0] == message);
    BOOST_TEST(messages[1] == message);
}

BOOST_AUTO_TEST_CASE(a_large_bdat_chunk_arrives_in_pieces) {
    running<smtp_test::recorder> server(extensions());
    test_client c = greeted_client(server);
    std::string big;
    for (int i = 0; big.size() < 3 * 1024 * 1024; ++i)
        big += "line " + std::to_string(i) + "\r\n";
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT " +
           std::to_string(big.size()) + " LAST\r\n");
    c.send(big);
    c.read_reply();
    c.read_reply();
    BOOST_TEST(c.read_reply() == "250 2.0.0 OK\r\n");
    auto messages = received(server);
    BOOST_REQUIRE(messages.size() == 1u);
    BOOST_TEST((messages[0] == big));
}

BOOST_AUTO_TEST_CASE(streaming_data_sees_the_unstuffed_body) {
    running<streaming> server(extensions());
    test_client c = greeted_client(server);
    std::string big;
    for (int i = 0; big.size() < 2 * 1024 * 1024; ++i)
        big += (i % 7 == 0 ? "." : "") + std::string("line ") + std::to_string(i) + "\r\n";
    std::string wire;
    for (std::size_t at = 0; at < big.size();) { // dot-stuff
        if (big[at] == '.') wire += '.';
        std::size_t end = big.find("\r\n", at) + 2;
        wire.append(big, at, end - at);
        at = end;
    }
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read_reply();
    c.read_reply();
    BOOST_TEST(c.read_reply().starts_with("354"));
    c.send(wire + ".\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 Streamed\r\n");
    auto [messages, chunks] =
        server.handler().seen->locked([](record& r) { return std::pair(r.messages, r.chunks); });
    BOOST_REQUIRE(messages.size() == 1u);
    BOOST_TEST((messages[0] == big));
    BOOST_TEST(chunks > 1u); // it came in pieces, not as one gathered body
}

BOOST_AUTO_TEST_CASE(streaming_bdat_sees_every_chunk) {
    running<streaming> server(extensions());
    test_client c = greeted_client(server);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 5\r\nfirstBDAT 6 "
           "LAST\r\nsecond");
    c.read_reply();
    c.read_reply();
    BOOST_TEST(c.read_reply() == "250 2.0.0 5 octets received\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 Streamed\r\n");
    auto messages = server.handler().seen->locked([](record& r) { return r.messages; });
    BOOST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0] == "firstsecond");
}

// A chunk hook's refusal answers the message once all of it has been read; the session goes on.
BOOST_AUTO_TEST_CASE(streaming_refusal_answers_at_the_end) {
    running<streaming> server(extensions());
    test_client c = greeted_client(server);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read_reply();
    c.read_reply();
    c.read_reply();
    c.send("Subject: x\r\n\r\nREFUSE me\r\nmore text\r\n.\r\nNOOP\r\n");
    BOOST_TEST(c.read_reply() == "550 5.6.0 Refused while streaming\r\n");
    BOOST_TEST(c.read_reply() == "250 2.0.0 OK\r\n");
    BOOST_TEST(server.handler().seen->locked([](record& r) { return r.aborts; }) == 1u);
    // By BDAT the refusal answers the chunk and ends the transaction.
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 6\r\nREFUSEBDAT 1 "
           "LAST\r\nx");
    c.read_reply();
    c.read_reply();
    BOOST_TEST(c.read_reply() == "550 5.6.0 Refused while streaming\r\n");
    BOOST_TEST(c.read_reply() == "503 5.5.1 Error: need MAIL command\r\n");
    BOOST_TEST(server.handler().seen->locked([](record& r) { return r.aborts; }) == 2u);
    BOOST_TEST(server.handler().seen->locked([](record& r) { return r.messages.size(); }) == 0u);
}

BOOST_AUTO_TEST_CASE(streaming_abort_when_the_client_vanishes) {
    running<streaming> server(extensions());
    {
        test_client c = greeted_client(server);
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
        c.read_reply();
        c.read_reply();
        c.read_reply();
        c.send("Subject: half a message\r\n\r\nsome text");
        c.abort();
    }
    {
        test_client c = greeted_client(server); // and mid-BDAT, between chunks
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nBDAT 3\r\nabc");
        c.read_reply();
        c.read_reply();
        BOOST_TEST(c.read_reply() == "250 2.0.0 3 octets received\r\n");
        BOOST_TEST(c.command("RSET") == "250 2.0.0 OK\r\n");
    }
    for (int i = 0;
         i < 500 && server.handler().seen->locked([](record& r) { return r.aborts; }) < 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    BOOST_TEST(server.handler().seen->locked([](record& r) { return r.aborts; }) == 2u);
    BOOST_TEST(server.handler().seen->locked([](record& r) { return r.messages.size(); }) == 0u);
}

BOOST_AUTO_TEST_CASE(streaming_size_limit_aborts) {
    smtp::options o = extensions();
    o.data_size_limit = 100;
    running<streaming> server(o);
    test_client c = greeted_client(server);
    c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    c.read_reply();
    c.read_reply();
    c.read_reply();
    c.send(std::string(50, 'x') + "\r\n" + std::string(80, 'y') + "\r\n.\r\n");
    BOOST_TEST(c.read_reply() == "552 5.3.4 Error: Too much mail data\r\n");
    BOOST_TEST(server.handler().seen->locked([](record& r) { return r.aborts; }) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
