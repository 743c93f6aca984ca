// A new observability hook with the wrong parameters must not be silently ignored either.
#include <smtp/server.hpp>

struct handler {
    void limit_reached(const smtp::connection&, int) {}
};

template class smtp::server<handler>;
