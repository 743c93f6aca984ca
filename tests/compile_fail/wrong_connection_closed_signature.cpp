// An observability hook with the wrong parameters (the figures left out) must not be silently
// ignored: a compile error that names the hook and the signature expected.
#include <smtp/server.hpp>

struct handler {
    void connection_closed(const smtp::connection&) {}
};

template class smtp::server<handler>;
