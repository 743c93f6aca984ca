#ifndef SMTP_HANDLERS_SINK_HPP
#define SMTP_HANDLERS_SINK_HPP

#include <smtp/usage_error.hpp>

#include <span>
#include <string>

namespace smtp::handlers {

/// Accepts every message (`250 OK`) and throws it away: a handler with no hooks at all.
struct sink {
    static constexpr const char* cli_name = "Sink";

    static sink from_cli(std::span<const std::string> args) {
        if (!args.empty()) throw usage_error("Sink handler does not accept arguments");
        return {};
    }
};

} // namespace smtp::handlers

#endif
