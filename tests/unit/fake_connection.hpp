#ifndef SMTP_TESTS_UNIT_FAKE_CONNECTION_HPP
#define SMTP_TESTS_UNIT_FAKE_CONNECTION_HPP

// What a unit test needs to call a handler's hooks directly: a connection (never connected),
// a session with a known peer, and a way to run a coroutine hook to its end.

#include "reply_printer.hpp"

#include <smtp/connection.hpp>
#include <smtp/options.hpp>
#include <smtp/session.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <utility>

namespace smtp_test {

struct hook_context {
    boost::asio::io_context io;
    smtp::options options{.hostname = "mx.test"};
    smtp::connection conn{smtp::connection::socket_type(io), options, "mx.test"};
    smtp::session session;

    hook_context() {
        session.peer = {smtp::peer_address::family_type::ipv4, "127.0.0.1", 40000};
        session.host_name = "client.test";
    }

    /// Runs a coroutine on the io_context until it completes; rethrows what it threw.
    template <class T>
    T run(boost::asio::awaitable<T> work) {
        auto result = boost::asio::co_spawn(io, std::move(work), boost::asio::use_future);
        io.restart();
        io.run();
        return result.get();
    }
};

} // namespace smtp_test

#endif
