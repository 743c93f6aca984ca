// aiosmtpd's command line (`python -m aiosmtpd`) over this library: the same flags and defaults,
// a handler chosen with `-c` from the list below. `smtpd --help` lists everything.
// [smtpd-main]
#include <smtp/cli.hpp>
#include <smtp/handlers/debugging.hpp>
#include <smtp/handlers/mailbox.hpp>
#include <smtp/handlers/recipient_mailbox.hpp>
#include <smtp/handlers/relay.hpp>
#include <smtp/handlers/sink.hpp>

int main(int argc, char** argv) {
    // recipient_mailbox is `-c Mailbox DIR --per-recipient`.
    return smtp::cli::main<smtp::handlers::debugging, smtp::handlers::sink, smtp::handlers::mailbox,
                           smtp::handlers::recipient_mailbox, smtp::handlers::relay>(argc, argv);
}
// [smtpd-main]
