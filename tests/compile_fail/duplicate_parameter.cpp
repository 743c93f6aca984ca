// The same keyword declared twice (case aside) does not compile.
#include <smtp/server.hpp>

struct first {
    static constexpr std::string_view keyword = "X-ONE";
};
struct second {
    static constexpr std::string_view keyword = "x-one";
};

struct handler {
    using mail_parameters = smtp::parameters<first, second>;
};

template class smtp::server<handler>;
