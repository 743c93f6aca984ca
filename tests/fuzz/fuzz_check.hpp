#ifndef SMTP_TESTS_FUZZ_CHECK_HPP
#define SMTP_TESTS_FUZZ_CHECK_HPP

// Shared by the libFuzzer targets (docs/fuzzing.md). FUZZ_CHECK is an invariant that holds for
// every input: when it fails the target aborts, and libFuzzer saves the input as a crash.
// (Not assert(): it must not depend on NDEBUG.)

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

namespace smtp_fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
    return {reinterpret_cast<const char*>(data), size};
}

/// True when `part` lies inside `whole` (an empty view may also sit just past its end).
inline bool is_within(std::string_view part, std::string_view whole) noexcept {
    const char* b = whole.data();
    const char* e = b + whole.size();
    return part.data() >= b && part.data() + part.size() <= e;
}

/// True when `part` is a view of the end of `whole`.
inline bool is_suffix_view(std::string_view part, std::string_view whole) noexcept {
    return is_within(part, whole) && part.data() + part.size() == whole.data() + whole.size();
}

inline bool has_ascii_lower(std::string_view s) noexcept {
    for (char c : s)
        if (c >= 'a' && c <= 'z') return true;
    return false;
}

inline bool is_ascii(std::string_view s) noexcept {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

/// Splits `text` into at most `pieces.size()` consecutive pieces at positions given as
/// fractions (byte/256) of its length, sorted; returns the pieces in order.
template <std::size_t N>
inline std::size_t split_points(std::string_view text, const std::uint8_t (&fractions)[N],
                                std::string_view (&pieces)[N + 1]) {
    std::size_t cuts[N];
    for (std::size_t i = 0; i < N; ++i)
        cuts[i] = text.size() * fractions[i] / 256;
    for (std::size_t i = 1; i < N; ++i) // insertion sort: N is tiny
        for (std::size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; --j)
            std::swap(cuts[j - 1], cuts[j]);
    std::size_t from = 0;
    for (std::size_t i = 0; i < N; ++i) {
        pieces[i] = text.substr(from, cuts[i] - from);
        from = cuts[i];
    }
    pieces[N] = text.substr(from);
    return N + 1;
}

} // namespace smtp_fuzz

#endif
