// Compiled to assembly by check_direct_calls.cmake: the built-in mixins and the chain must reach
// the user's code by direct calls, with no indirect call (virtual function, function pointer,
// std::function) on the way from handle_DATA.
#include <smtp/handlers/chain.hpp>
#include <smtp/handlers/message.hpp>

extern "C" void note_first();
extern "C" void note_second();
extern "C" void note_message();

namespace {

struct first {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>&) {
        note_first();
        return smtp::reply::ok();
    }
};

struct second {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&, smtp::envelope<>& env) {
        note_second();
        return {env.rcpt_tos.empty() ? 554 : 250, "OK"};
    }
};

struct user : smtp::handlers::message<user> {
    void handle_message(smtp::parsed_message&) { note_message(); }
};

} // namespace

extern "C" smtp::reply chain_deliver(smtp::handlers::chain<first, second>& handler,
                                     smtp::connection& conn, smtp::session& s,
                                     smtp::envelope<>& env) {
    return handler.handle_DATA(conn, s, env);
}

extern "C" smtp::reply message_deliver(user& handler, smtp::connection& conn, smtp::session& s,
                                       smtp::envelope<>& env) {
    return handler.handle_DATA(conn, s, env);
}
