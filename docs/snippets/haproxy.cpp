// docs/haproxy.md: the options of a server behind HAProxy. Compiled (not run) by the build so
// that the documentation's code cannot rot; tests/docs/check_snippets.py keeps the two equal.
#include <smtp/options.hpp>

#include <chrono>

smtp::options behind_haproxy() {
    // [haproxy-options]
    smtp::options opts{.hostname = "mx.example.com",
                       .proxy_protocol_timeout = std::chrono::seconds(5),
                       .proxy_trusted = {"10.0.0.2"}};
    // [haproxy-options]
    return opts;
}
