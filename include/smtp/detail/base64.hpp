#ifndef SMTP_DETAIL_BASE64_HPP
#define SMTP_DETAIL_BASE64_HPP

#include <smtp/detail/config.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smtp::detail {

inline constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), as SASL exchanges use it.
SMTP_DECL std::string base64_encode(std::string_view bytes);

/// Strict base64 decoding (Python's `b64decode(validate=True)`): only the alphabet, length a
/// multiple of four, padding only at the end (unused bits before the padding are ignored, as
/// Python does). Returns nothing for anything else.
SMTP_DECL std::optional<std::string> base64_decode(std::string_view text);

} // namespace smtp::detail

#if defined(SMTP_HEADER_ONLY)
#include <smtp/impl/base64.ipp>
#endif

#endif
