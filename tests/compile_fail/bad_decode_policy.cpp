// A DecodePolicy without decode(): the error says what a DecodePolicy needs.
#include <smtp/server.hpp>

struct handler {};
struct no_decode {
    using content_type = std::string;
    static constexpr bool eight_bit_mime = true;
};

template class smtp::server<handler, smtp::auth::builtin, no_decode>;
