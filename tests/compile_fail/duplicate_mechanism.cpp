// A handler listing a mechanism the AuthPolicy already offers: two PLAINs do not compile.
#include <smtp/server.hpp>

struct handler {
    using auth_mechanisms = smtp::auth::mechanisms<smtp::auth::plain>;
};

template class smtp::server<handler>; // the default policy has PLAIN already
