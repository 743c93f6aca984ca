// The Message type of a message handler must be parsable and extensible (or have traits).
#include <smtp/handlers/message.hpp>

struct handler : smtp::handlers::message<handler, int> {
    void handle_message(int&) {}
};

handler h;
