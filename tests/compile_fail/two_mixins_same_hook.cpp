// Two mixins that both define handle_DATA make the handler's hook ambiguous: a compile error,
// never a silently ignored hook.
#include <smtp/server.hpp>

struct archive {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        return smtp::reply::ok();
    }
};
struct notify {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        return smtp::reply::ok();
    }
};
struct handler : archive, notify {};

template class smtp::server<handler>;
