// certificate_user returning a bool: must not compile, and must say what is expected.
#include <smtp/auth/external.hpp>
#include <smtp/server.hpp>

struct handler {
    bool certificate_user(smtp::connection&, smtp::session&, const smtp::tls_info&) { return true; }
};

template class smtp::server<handler, smtp::auth::mechanisms<smtp::auth::external>>;
