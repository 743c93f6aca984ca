// docs/operations.md: metrics in a program of one's own. Compiled (not run) by the build so that
// the documentation's code cannot rot; tests/docs/check_snippets.py keeps the two equal.
#include <smtp/controller.hpp>
#include <smtp/handlers/mailbox.hpp>
#include <smtp/metrics/http_server.hpp>
#include <smtp/metrics/observed.hpp>
#include <smtp/server.hpp>
#include <smtp/systemd.hpp>

#include <boost/asio/ip/address.hpp>

#include <memory>

void serve_with_metrics(smtp::options opts, smtp::listen_address where) {
    using inbox = smtp::handlers::mailbox;
    // [metrics-setup]
    auto counters = std::make_shared<smtp::metrics::registry>();
    using counted = smtp::metrics::observed<inbox>;
    smtp::controller<smtp::server<counted>> mx{counted{inbox{"/var/mail/in"}, counters}, opts,
                                               where};
    mx.bind();
    auto loopback = boost::asio::ip::make_address("127.0.0.1");
    smtp::metrics::http_server metrics{mx.executor(), {loopback, 9101}, counters};
    mx.start();
    // [metrics-setup]
    mx.stop();
}

void serve_activated(smtp::options opts) {
    using inbox = smtp::handlers::mailbox;
    // [systemd-setup]
    smtp::listen_address where;
    for (const auto& socket : smtp::systemd::listen_fds())
        where.sockets.push_back(socket.fd);
    smtp::controller<smtp::server<inbox>> mx{inbox{"/var/mail/in"}, opts, where};
    mx.start();
    smtp::systemd::notify("READY=1");
    // [systemd-setup]
    mx.stop();
}
