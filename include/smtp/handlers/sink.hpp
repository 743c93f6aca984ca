#ifndef SMTP_HANDLERS_SINK_HPP
#define SMTP_HANDLERS_SINK_HPP

#include <smtp/usage_error.hpp>

#include <span>
#include <string>

namespace smtp::handlers {

/// Accepts every message (`250 OK`) and throws it away: a handler with no hooks at all.
struct sink {
    /// Its name on the command line (`-c Sink`).
    static constexpr const char* cli_name = "Sink";

    /// `-c Sink` takes no arguments.
    static sink from_cli(std::span<const std::string> args) {
        if (!args.empty()) throw usage_error("Sink handler does not accept arguments");
        return {};
    }
};

} // namespace smtp::handlers

#endif
