// handle_MAIL without the options parameter: must not compile, and must say what is expected.
#include <smtp/server.hpp>

struct handler {
    smtp::reply handle_MAIL(smtp::connection&, smtp::session&, smtp::envelope<>&,
                            std::string_view) {
        return smtp::reply::ok();
    }
};

template class smtp::server<handler>;
