// handle_CONNECT answering a reply instead of a connect_decision is a compile error that names
// the signature expected, not a hook silently left uncalled.
#include <smtp/server.hpp>

struct handler {
    smtp::reply handle_CONNECT(smtp::connection&, smtp::session&) { return {554, "no"}; }
};

template class smtp::server<handler>;
