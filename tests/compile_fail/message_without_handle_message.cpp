// A message handler must define handle_message: the error says so.
#include <smtp/handlers/message.hpp>
#include <smtp/server.hpp>

struct forgetful : smtp::handlers::message<forgetful> {};

template class smtp::server<forgetful>;
