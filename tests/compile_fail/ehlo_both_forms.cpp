// Both forms of handle_EHLO at once: which one would run is unclear, so it does not compile.
#include <smtp/server.hpp>

struct handler {
    smtp::reply handle_EHLO(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view) {
        return {250, "HELP"};
    }
    std::vector<std::string> handle_EHLO(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                         std::string_view, std::vector<std::string> lines) {
        return lines;
    }
};

template class smtp::server<handler>;
