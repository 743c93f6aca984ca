#ifndef SMTP_DECODE_HPP
#define SMTP_DECODE_HPP

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
    std::size_t i = 0, n = text.size();
    while (i < n) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c == 0xE0) {
            len = 3;
            lo = 0xA0;
        } else if (c == 0xED) {
            len = 3;
            hi = 0x9F;
        } else if (c >= 0xE1 && c <= 0xEF)
            len = 3;
        else if (c == 0xF0) {
            len = 4;
            lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3)
            len = 4;
        else if (c == 0xF4) {
            len = 4;
            hi = 0x8F;
        } else
            return false;
        if (n - i < len) return false;
        auto c1 = static_cast<unsigned char>(text[i + 1]);
        if (c1 < lo || c1 > hi) return false;
        for (std::size_t k = 2; k < len; ++k) {
            auto ck = static_cast<unsigned char>(text[i + k]);
            if (ck < 0x80 || ck > 0xBF) return false;
        }
        i += len;
    }
    return true;
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
