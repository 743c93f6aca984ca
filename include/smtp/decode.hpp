#ifndef SMTP_DECODE_HPP
#define SMTP_DECODE_HPP

#include <smtp/detail/utf8.hpp>
#include <smtp/reply.hpp>

#include <concepts>
#include <cstddef>
#include <string_view>

/// \file
/// DecodePolicy: what `envelope.content` is.
///
/// A DecodePolicy is a type with
/// - `content_type`: the type of `envelope<content_type>::content` (default-constructible);
/// - `static constexpr bool eight_bit_mime`: whether 8BITMIME is advertised and MAIL's `BODY=`
///   parameter is understood (aiosmtpd does both only with `decode_data=False`);
/// - `static smtp::reply decode(std::string_view original, content_type& out, bool smtputf8)`:
///   fills `out` from the received bytes (which stay in `envelope.original_content` for as long as
///   the transaction lasts). An empty reply means success; otherwise the reply is sent, the
///   transaction is reset and `handle_DATA` is not called.
///
/// A user's own policy can parse the message into, say, a MIME tree; see tests/unit/decode_test.
namespace smtp::decode {

/// The content is the raw bytes (aiosmtpd's `decode_data=False`): a view of `original_content`.
struct bytes {
    /// A view of `envelope.original_content`.
    using content_type = std::string_view;
    /// 8BITMIME is advertised.
    static constexpr bool eight_bit_mime = true;
    /// Always succeeds: the content is the bytes.
    static reply decode(std::string_view original, content_type& out, bool /*smtputf8*/) noexcept {
        out = original;
        return {};
    }
};

/// The content is validated text (aiosmtpd's `decode_data=True`): ASCII, or with SMTPUTF8
/// enabled, well-formed UTF-8. Anything else gets `500 Error: strict ASCII mode` (or
/// `500 Error: invalid UTF-8`), and unlike aiosmtpd the transaction is reset.
struct utf8 {
    /// A view of `envelope.original_content`, checked.
    using content_type = std::string_view;
    /// 8BITMIME is not advertised (as aiosmtpd with `decode_data=True`).
    static constexpr bool eight_bit_mime = false;
    /// Checks the bytes (ASCII, or UTF-8 when `smtputf8`).
    static reply decode(std::string_view original, content_type& out, bool smtputf8);
};

/// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
constexpr bool is_valid_utf8(std::string_view text) noexcept {
    return detail::is_valid_utf8(text);
}

inline reply utf8::decode(std::string_view original, content_type& out, bool smtputf8) {
    if (!smtputf8) {
        for (char c : original)
            if (static_cast<unsigned char>(c) >= 0x80) return {500, "Error: strict ASCII mode"};
    } else if (!is_valid_utf8(original)) {
        return {500, "Error: invalid UTF-8"};
    }
    out = original;
    return {};
}

} // namespace smtp::decode

namespace smtp {
/// The requirements of a DecodePolicy, checked where the server is instantiated.
template <class P>
concept decode_policy = requires(std::string_view original, typename P::content_type& out) {
    { P::eight_bit_mime } -> std::convertible_to<bool>;
    { P::decode(original, out, true) } -> std::convertible_to<reply>;
};
} // namespace smtp

#endif
