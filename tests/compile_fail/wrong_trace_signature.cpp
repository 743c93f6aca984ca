// A trace hook taking the wrong arguments is an error, not a silently ignored logger.
#include <smtp/server.hpp>

struct handler {
    void trace(std::string_view bytes);
};

template class smtp::server<handler>;
