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
/// empty and the connection waits (release()), so an idle connection holds none. A read that
/// waits for the next command goes to a small space inside the buffer itself instead
/// (prepare_small()): most commands fit, and the connection holds no block while it waits. A
/// line longer than a pool block grows the buffer past it; such memory is freed, not pooled.
class input_buffer {
public:
    /// The inline space: a command line of usual length (`MAIL FROM:<...> SIZE=... BODY=...`).
    static constexpr std::size_t small_size = 64;

    input_buffer() = default;
    input_buffer(const input_buffer&) = delete;
    input_buffer& operator=(const input_buffer&) = delete;
    ~input_buffer() { release(); }

    /// Gives the memory back to the pool when nothing is buffered.
    void release() noexcept {
        if (!storage_ || begin_ != end_) return;
        if (capacity_ == buffer_pool::block_size) buffer_pool::give_back(std::move(storage_));
        storage_.reset();
        base_ = small_;
        capacity_ = small_size;
        begin_ = end_ = 0;
    }

    /// The unconsumed bytes.
    std::string_view data() const noexcept { return {base_ + begin_, end_ - begin_}; }
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
            std::memmove(base_, base_ + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (capacity_ - end_ < min_free) {
            std::size_t wanted = end_ + min_free;
            std::unique_ptr<char[]> bigger;
            std::size_t grown = buffer_pool::block_size;
            if (!storage_ && wanted <= buffer_pool::block_size) {
                bigger = buffer_pool::take();
            } else {
                grown = std::max({capacity_ * 2, wanted, buffer_pool::block_size});
                bigger = std::make_unique_for_overwrite<char[]>(grown);
            }
            if (end_ > 0) std::memcpy(bigger.get(), base_, end_);
            release_block();
            storage_ = std::move(bigger);
            base_ = storage_.get();
            capacity_ = grown;
        }
        return {base_ + end_, capacity_ - end_};
    }

    /// Writable space for a read that waits for the client: the inline space when nothing is
    /// buffered (a block held is given back first), else as prepare(4096).
    std::pair<char*, std::size_t> prepare_small() {
        release();
        if (!storage_) return {base_ + end_, capacity_ - end_};
        return prepare(4096);
    }

    /// Marks `n` octets written into the space prepare() gave as data.
    void commit(std::size_t n) noexcept { end_ += n; }

    std::size_t capacity() const noexcept { return capacity_; }
    /// A block of memory is held (the data is not in the inline space).
    bool holds_block() const noexcept { return storage_ != nullptr; }

private:
    // Gives the current block back (its bytes were copied elsewhere).
    void release_block() noexcept {
        if (storage_ && capacity_ == buffer_pool::block_size)
            buffer_pool::give_back(std::move(storage_));
        storage_.reset();
    }

    std::unique_ptr<char[]> storage_;
    char* base_ = small_;
    std::size_t capacity_ = small_size;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    char small_[small_size];
};

} // namespace smtp::detail

#endif
