// handle_DATA_chunk taking the bytes as a std::string& instead of std::string_view.
#include <smtp/server.hpp>

struct handler {
    smtp::reply handle_DATA_chunk(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                  std::string& bytes);
};

static_assert(sizeof(smtp::server<handler>) > 0);
