// A hook that returns nothing would leave the client without a reply: a compile error.
#include <smtp/server.hpp>

struct handler {
    void handle_RCPT(smtp::connection&, smtp::session&, smtp::envelope<>&, std::string_view,
                     std::span<const std::string>) {}
};

template class smtp::server<handler>;
