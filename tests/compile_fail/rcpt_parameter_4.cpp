// handle_RCPT whose address parameter cannot take a std::string_view: the error names
// parameter 4, and the compiler's note the hook's own line.
#include <smtp/server.hpp>

struct handler {
    smtp::reply handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string& address, std::span<const std::string>) {
        return address.empty() ? smtp::reply{550, "no"} : smtp::reply::ok();
    }
};

template class smtp::server<handler>;
