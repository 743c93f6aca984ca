#ifndef SMTP_DETAIL_INPUT_BUFFER_HPP
#define SMTP_DETAIL_INPUT_BUFFER_HPP

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace smtp::detail {

/// Blocks of memory for receive buffers, kept per thread so that a connection can give its
/// buffer back while it waits for the client and take one again when bytes arrive — without a
/// heap allocation in steady state, and without idle connections holding memory.
class buffer_pool {
public:
    static constexpr std::size_t block_size = 16 * 1024;

    static std::unique_ptr<char[]> take() {
        auto& free = blocks();
        if (free.empty()) return std::make_unique_for_overwrite<char[]>(block_size);
        auto block = std::move(free.back());
        free.pop_back();
        return block;
    }

    static void give_back(std::unique_ptr<char[]> block) {
        auto& free = blocks();
        if (free.size() < max_kept) free.push_back(std::move(block));
    }

    /// Frees all but `keep` of this thread's spare blocks (after a flood of connections ended,
    /// the blocks its reads needed at once are no longer needed).
    static void trim(std::size_t keep) {
        auto& free = blocks();
        if (free.size() > keep) free.resize(keep);
    }

    /// This thread's spare blocks.
    static std::size_t spare() { return blocks().size(); }

private:
    static constexpr std::size_t max_kept = 256; // bounds what a burst leaves behind
    static std::vector<std::unique_ptr<char[]>>& blocks() {
        thread_local std::vector<std::unique_ptr<char[]>> free;
        return free;
    }
};

/// A connection's receive buffer: bytes read from the socket and not yet consumed.
///
/// Its memory comes from the thread's buffer_pool and goes back there whenever the buffer is
/// empty and the connection waits (release()), so an idle connection holds none. A line longer
/// than a pool block grows the buffer past it; such memory is freed, not pooled.
class input_buffer {
public:
    input_buffer() = default;
    input_buffer(const input_buffer&) = delete;
    input_buffer& operator=(const input_buffer&) = delete;
    ~input_buffer() { release(); }

    /// Gives the memory back to the pool when nothing is buffered.
    void release() noexcept {
        if (!storage_ || begin_ != end_) return;
        if (capacity_ == buffer_pool::block_size) buffer_pool::give_back(std::move(storage_));
        storage_.reset();
        capacity_ = 0;
        begin_ = end_ = 0;
    }

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
        if (!storage_ && min_free <= buffer_pool::block_size) {
            storage_ = buffer_pool::take();
            capacity_ = buffer_pool::block_size;
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
