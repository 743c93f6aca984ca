// A chain member whose handle_DATA has the wrong signature is an error, not a member silently
// left out of the chain.
#include <smtp/handlers/chain.hpp>
#include <smtp/handlers/sink.hpp>
#include <smtp/server.hpp>

struct wrong {
    smtp::reply handle_DATA(smtp::session&, smtp::envelope<>&) { return smtp::reply::ok(); }
};

template class smtp::server<smtp::handlers::chain<smtp::handlers::sink, wrong>>;
