#ifndef SMTP_DETAIL_SPARE_STRINGS_HPP
#define SMTP_DETAIL_SPARE_STRINGS_HPP

#include <array>
#include <cstddef>
#include <string>

namespace smtp::detail {

/// Reply buffers of this thread's connections that wait for their client. A connection gives
/// its flushed reply buffer here before it waits and takes one back when bytes arrive, so an
/// idle connection holds none, and a busy one allocates none in steady state: the connections
/// of a thread run one at a time, so a few spares serve them all.
class spare_strings {
public:
    /// Larger buffers (a long EHLO reply, a pipelined batch) are freed rather than kept.
    static constexpr std::size_t max_capacity = 1024;

    /// Takes the memory of `s` when it is empty (`s` is left without memory), keeping it when
    /// there is room.
    static void give_back(std::string& s) noexcept {
        if (!s.empty() || !holds_memory(s)) return;
        auto& p = pool();
        std::string gone;
        if (s.capacity() <= max_capacity && p.count < p.slots.size())
            p.slots[p.count++].swap(s); // the slot was empty: `s` gets its empty string
        else
            gone.swap(s);
    }

    /// Gives `s` a spare buffer when it has no memory of its own and there is one.
    static void take(std::string& s) noexcept {
        auto& p = pool();
        if (!holds_memory(s) && p.count > 0) s.swap(p.slots[--p.count]);
    }

private:
    // Beyond the short-string buffer inside the object, a string's characters are on the heap.
    static bool holds_memory(const std::string& s) noexcept {
        return s.capacity() > std::string().capacity();
    }

    struct spares {
        std::array<std::string, 8> slots;
        std::size_t count = 0;
    };
    static spares& pool() noexcept {
        thread_local spares p;
        return p;
    }
};

} // namespace smtp::detail

#endif
