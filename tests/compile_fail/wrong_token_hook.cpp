// authenticate_token without the session parameter, returning bool: must not compile, and must
// say what is expected.
#include <smtp/auth/oauth.hpp>
#include <smtp/server.hpp>

struct handler {
    bool authenticate_token(smtp::connection&, std::string_view, std::string_view) { return true; }
};

template class smtp::server<handler, smtp::auth::mechanisms<smtp::auth::oauthbearer>>;
