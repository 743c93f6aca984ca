#ifndef SMTP_SMTP_HPP
#define SMTP_SMTP_HPP

// Everything a program that runs an SMTP server needs, in one include.
#include <smtp/auth.hpp>
#include <smtp/client.hpp>
#include <smtp/client/sendmail.hpp>
#include <smtp/connection.hpp>
#include <smtp/controller.hpp>
#include <smtp/decode.hpp>
#include <smtp/envelope.hpp>
#include <smtp/forwarded_client.hpp>
#include <smtp/handlers/async_message.hpp>
#include <smtp/handlers/chain.hpp>
#include <smtp/handlers/debugging.hpp>
#include <smtp/handlers/mailbox.hpp>
#include <smtp/handlers/message.hpp>
#include <smtp/handlers/recipient_mailbox.hpp>
#include <smtp/handlers/relay.hpp>
#include <smtp/handlers/sink.hpp>
#include <smtp/hooks.hpp>
#include <smtp/options.hpp>
#include <smtp/parsed_message.hpp>
#include <smtp/received.hpp>
#include <smtp/reply.hpp>
#include <smtp/server.hpp>
#include <smtp/session.hpp>
#include <smtp/usage_error.hpp>
#include <smtp/version.hpp>

#endif
