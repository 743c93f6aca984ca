// handle_DATA_abort without handle_DATA_chunk: the server would never call it.
#include <smtp/server.hpp>

struct handler {
    void handle_DATA_abort(smtp::connection&, smtp::session&, smtp::envelope<>&) {}
};

smtp::server<handler>* instance = nullptr;
static_assert(sizeof(smtp::server<handler>) > 0);
