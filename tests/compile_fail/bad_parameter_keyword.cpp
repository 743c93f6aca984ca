// A declared MAIL parameter whose keyword is not an RFC 5321 esmtp-keyword does not compile.
#include <smtp/server.hpp>

struct underscore {
    static constexpr std::string_view keyword = "X_PRIORITY";
};

struct handler {
    using mail_parameters = smtp::parameters<underscore>;
};

template class smtp::server<handler>;
