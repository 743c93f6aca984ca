#ifndef SMTP_DETAIL_INPUT_BUFFER_HPP
#define SMTP_DETAIL_INPUT_BUFFER_HPP

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace smtp::detail {

/// A connection's receive buffer: bytes read from the socket and not yet consumed.
///
/// Memory is taken on first use and grows only as far as the longest line needs, so an idle
/// connection costs little; consumed bytes are reclaimed by moving the rest to the front.
class input_buffer {
public:
    /// The unconsumed bytes.
    std::string_view data() const noexcept { return {storage_.get() + begin_, end_ - begin_}; }
    std::size_t size() const noexcept { return end_ - begin_; }
    bool empty() const noexcept { return begin_ == end_; }

    void consume(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
    }

    /// Drops everything (the plaintext left over when TLS starts must never be used).
    void clear() noexcept { begin_ = end_ = 0; }

    /// Writable space after the data, at least `min_free` octets (moving or growing the storage).
    std::pair<char*, std::size_t> prepare(std::size_t min_free) {
        if (capacity_ - end_ < min_free && begin_ > 0) {
            std::memmove(storage_.get(), storage_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (capacity_ - end_ < min_free) {
            std::size_t grown = std::max(capacity_ * 2, end_ + min_free);
            auto bigger = std::make_unique_for_overwrite<char[]>(grown);
            if (end_ > begin_) std::memcpy(bigger.get(), storage_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
            storage_ = std::move(bigger);
            capacity_ = grown;
        }
        return {storage_.get() + end_, capacity_ - end_};
    }

    /// Marks `n` octets written into the space prepare() gave as data.
    void commit(std::size_t n) noexcept { end_ += n; }

    std::size_t capacity() const noexcept { return capacity_; }

private:
    std::unique_ptr<char[]> storage_;
    std::size_t capacity_ = 0;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
};

} // namespace smtp::detail

#endif
