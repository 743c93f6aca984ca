// A mechanism whose name is not a SASL name (lower case here) does not compile.
#include <smtp/server.hpp>

struct lower_case {
    static constexpr std::string_view name = "x-token";
    template <class Handler, class Content>
    static boost::asio::awaitable<smtp::auth_result>
    authenticate(Handler&, smtp::connection&, smtp::session&, smtp::envelope<Content>&,
                 std::optional<std::string>) {
        co_return smtp::auth_result::reject();
    }
};

struct handler {};

template class smtp::server<handler, smtp::auth::mechanisms<lower_case>>;
