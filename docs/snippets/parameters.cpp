// docs/parameters.md: a parameter a handler declares. Compiled (not run) by the build so that
// the documentation's code cannot rot; tests/docs/check_snippets.py keeps the two equal.
#include <smtp/server.hpp>

#include <string_view>

namespace {

// [declared-parameter]
struct priority { // RFC 6710
    static constexpr std::string_view keyword = "MT-PRIORITY";
    static constexpr smtp::parameter_value value = smtp::parameter_value::required;
    static constexpr std::string_view ehlo = "MT-PRIORITY MIXER";   // optional EHLO line
    static smtp::reply check(std::string_view v) {                  // optional
        if (v.size() == 1 && v[0] >= '0' && v[0] <= '9') return {}; // empty reply: valid
        if (v.size() == 2 && v[0] == '-' && v[1] >= '1' && v[1] <= '9') return {};
        return {501, "Error: MT-PRIORITY must be -9 to 9"};
    }
};

struct handler {
    using mail_parameters = smtp::parameters<priority>;
    // using rcpt_parameters = smtp::parameters<...>;
};
// [declared-parameter]

static_assert(sizeof(smtp::server<handler>) > 0); // the declaration compiles with the server

} // namespace
