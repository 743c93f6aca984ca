#ifndef SMTP_MILTER_CONFIG_HPP
#define SMTP_MILTER_CONFIG_HPP

#include <smtp/usage_error.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

/// \file
/// Which milter filters to run and how (the command line's `--milter` flags), without I/O.
namespace smtp::milter {

/// What is done when a filter cannot be reached, times out or breaks the protocol (Postfix's
/// `milter_default_action`).
enum class default_action {
    tempfail, ///< the command gets 451 4.7.1, and so does every later one in the session
    accept,   ///< the filter is left out for the rest of the session
    reject    ///< the command gets 550 5.7.1, and so does every later one in the session
};

/// Parses `tempfail`, `accept` or `reject`; throws usage_error otherwise.
inline default_action parse_default_action(std::string_view text) {
    if (text == "tempfail") return default_action::tempfail;
    if (text == "accept") return default_action::accept;
    if (text == "reject") return default_action::reject;
    throw usage_error("--milter-default-action: expected tempfail, accept or reject, not '" +
                      std::string(text) + "'");
}

/// Where a filter listens, in Postfix's syntax: `inet:HOST:PORT` (an IPv6 host in brackets,
/// `inet:[::1]:8891`) or `unix:/PATH`.
struct filter_address {
    /// The text it was parsed from.
    std::string spec;
    /// A UNIX-domain socket (`path`), else TCP (`host`, `port`).
    bool local = false;
    /// The socket path.
    std::string path;
    /// The host name or address.
    std::string host;
    /// The TCP port.
    std::uint16_t port = 0;

    /// Parses the Postfix syntax; throws usage_error when it is not that.
    static filter_address parse(std::string_view spec) {
        filter_address a;
        a.spec.assign(spec);
        auto fail = [&] {
            return usage_error("--milter: expected inet:HOST:PORT or unix:/PATH, not '" +
                               std::string(spec) + "'");
        };
        if (spec.starts_with("unix:")) {
            a.local = true;
            a.path.assign(spec.substr(5));
            if (a.path.empty()) throw fail();
            return a;
        }
        if (!spec.starts_with("inet:")) throw fail();
        std::string_view rest = spec.substr(5);
        auto colon = rest.rfind(':');
        if (colon == std::string_view::npos || colon == 0) throw fail();
        std::string_view host = rest.substr(0, colon), port = rest.substr(colon + 1);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535 ||
            host.empty())
            throw fail();
        a.host.assign(host);
        a.port = std::uint16_t(value);
        return a;
    }
};

/// The time limits of a filter connection (Postfix's milter_connect_timeout,
/// milter_command_timeout and milter_content_timeout).
struct timeouts {
    /// Connecting and negotiating.
    std::chrono::milliseconds connect = std::chrono::seconds(30);
    /// Each command's reply.
    std::chrono::milliseconds command = std::chrono::seconds(30);
    /// The reply to the end of the message (and each body chunk).
    std::chrono::milliseconds end_of_message = std::chrono::seconds(300);
};

/// The filters and how to treat their failures.
struct config {
    /// The filters, in the order they run.
    std::vector<filter_address> filters;
    /// What a failed filter's stages answer.
    milter::default_action default_action = milter::default_action::tempfail;
    /// The time limits.
    milter::timeouts limits;
};

} // namespace smtp::milter

#endif
