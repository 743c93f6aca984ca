#ifndef SMTP_DETAIL_OPERATION_SLOT_HPP
#define SMTP_DETAIL_OPERATION_SLOT_HPP

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

namespace smtp::detail {

/// Room inside an object for one asynchronous operation at a time: an operation started with
/// slot_allocator (boost::asio::bind_allocator) is built here rather than on the heap.
///
/// It is for the operation an idle connection holds for as long as the client is silent, the
/// wait for its next command. On the heap, Asio takes that operation's memory from the thread's
/// cache of small blocks, so it sits in whatever block an earlier and larger operation left
/// there (a write's): in the connection itself it costs its own size and no block. An operation
/// larger than `Size`, or one started while the slot is in use, goes to the heap as usual, so
/// the slot only ever saves memory; tests/unit/operation_slot_test.cpp checks that the wait fits.
template <std::size_t Size>
class operation_slot {
public:
    operation_slot() = default;
    operation_slot(const operation_slot&) = delete;
    operation_slot& operator=(const operation_slot&) = delete;

    void* allocate(std::size_t bytes, std::size_t alignment) {
        if (!busy_ && bytes <= Size && alignment <= alignof(std::max_align_t)) {
            busy_ = true;
            return storage_;
        }
        ++overflows_;
        return ::operator new(bytes, std::align_val_t(alignment));
    }
    void deallocate(void* p, std::size_t alignment) noexcept {
        if (p == storage_)
            busy_ = false;
        else
            ::operator delete(p, std::align_val_t(alignment));
    }

    /// Operations that did not fit (or found the slot in use) and went to the heap.
    std::size_t overflows() const noexcept { return overflows_; }

private:
    alignas(std::max_align_t) unsigned char storage_[Size];
    bool busy_ = false;
    std::uint32_t overflows_ = 0;
};

/// The allocator that builds an operation in an operation_slot.
template <class T, std::size_t Size>
class slot_allocator {
public:
    using value_type = T;
    template <class U>
    struct rebind {
        using other = slot_allocator<U, Size>;
    };

    explicit slot_allocator(operation_slot<Size>& slot) noexcept : slot_(&slot) {}
    template <class U>
    slot_allocator(const slot_allocator<U, Size>& other) noexcept : slot_(other.slot()) {}

    T* allocate(std::size_t n) {
        return static_cast<T*>(slot_->allocate(n * sizeof(T), alignof(T)));
    }
    void deallocate(T* p, std::size_t) noexcept { slot_->deallocate(p, alignof(T)); }

    operation_slot<Size>* slot() const noexcept { return slot_; }
    template <class U>
    bool operator==(const slot_allocator<U, Size>& other) const noexcept {
        return slot_ == other.slot();
    }

private:
    operation_slot<Size>* slot_;
};

/// `co_await` it in an awaitable: waits until `socket` has something to read, the wait built in
/// `slot`. It completes with a std::tuple<error_code>, as `socket.async_wait(wait_read,
/// as_tuple(deferred))` does. (Asio 1.81's bind_allocator does not compose with deferred, so
/// this is the asynchronous operation itself, as deferred would have made it.)
template <class Socket, std::size_t Size>
class readable_wait {
public:
    readable_wait(Socket& socket, operation_slot<Size>& slot) noexcept
        : socket_(&socket), slot_(&slot) {}

    template <class Token>
    requires(!std::is_pointer_v<std::decay_t<Token>>) // not awaitable's frame-function form
        auto
        operator()(Token&& token) {
        return boost::asio::async_initiate<Token, void(std::tuple<boost::system::error_code>)>(
            initiate{socket_, slot_}, token);
    }

private:
    struct initiate {
        Socket* socket;
        operation_slot<Size>* slot;
        // The handler takes the tuple; the error_code the wait completes with converts to it.
        template <class Handler>
        void operator()(Handler&& handler) const {
            socket->async_wait(boost::asio::socket_base::wait_read,
                               boost::asio::bind_allocator(slot_allocator<void, Size>(*slot),
                                                           std::forward<Handler>(handler)));
        }
    };
    Socket* socket_;
    operation_slot<Size>* slot_;
};

} // namespace smtp::detail

#endif
