// smtp::handlers::milter in front of a streaming handler: the filters need the whole message.
#include <smtp/handlers/milter.hpp>
#include <smtp/server.hpp>

struct streaming {
    smtp::reply handle_DATA_chunk(smtp::connection&, smtp::session&, smtp::envelope<>&,
                                  std::string_view) {
        return {};
    }
};

static_assert(sizeof(smtp::handlers::milter<streaming>) > 0);
