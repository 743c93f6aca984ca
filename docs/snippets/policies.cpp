// docs/policies.md: an AuthPolicy without LOGIN, and a DecodePolicy of one's own. Compiled (not
// run) by the build, so the documentation's code cannot rot.
#include <smtp/auth/builtin.hpp>
#include <smtp/decode.hpp>
#include <smtp/parsed_message.hpp>
#include <smtp/server.hpp>

#include <string_view>

// [policies-auth]
// PLAIN only: LOGIN is not offered, not accepted, and not compiled in.
using plain_only = smtp::auth::mechanisms<smtp::auth::plain>;
// [policies-auth]

// [policies-decode]
// The content is parsed into an smtp::parsed_message before handle_DATA runs, and a message without
// a From field (which RFC 5322 requires) is refused without calling the hook.
struct parsed {
    using content_type = smtp::parsed_message;
    static constexpr bool eight_bit_mime = true; // 8BITMIME advertised, BODY= understood
    static smtp::reply decode(std::string_view original, content_type& out, bool /*smtputf8*/) {
        out = smtp::parsed_message::parse(original);
        if (!out.contains("From")) return {554, "5.6.0 No From field"}; // sent; reset
        return {};                                                      // empty: success
    }
};

struct subject_required {
    smtp::reply handle_DATA(smtp::connection&, smtp::session&,
                            smtp::envelope<smtp::parsed_message>& envelope) {
        if (!envelope.content.contains("Subject")) return {554, "5.6.0 A subject, please"};
        return smtp::reply::ok();
    }
};

using parsing_server = smtp::server<subject_required, plain_only, parsed>;
// [policies-decode]

static_assert(smtp::decode_policy<parsed>);
static_assert(smtp::has_handle_DATA<subject_required, smtp::parsed_message>);
template class smtp::server<subject_required, plain_only, parsed>;
