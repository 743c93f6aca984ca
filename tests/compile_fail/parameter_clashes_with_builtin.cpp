// A declared RCPT parameter named like one the server implements (RFC 3461's NOTIFY) does not
// compile, in whatever case it is written.
#include <smtp/server.hpp>

struct notify {
    static constexpr std::string_view keyword = "Notify";
};

struct handler {
    using rcpt_parameters = smtp::parameters<notify>;
};

template class smtp::server<handler>;
