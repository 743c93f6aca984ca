// select_certificate returning a file name: must not compile, and must say what is expected.
#include <smtp/server.hpp>

#include <string>

struct handler {
    std::string select_certificate(std::string_view name) { return std::string(name) + ".pem"; }
};

template class smtp::server<handler>;
