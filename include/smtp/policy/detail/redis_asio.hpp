#ifndef SMTP_POLICY_DETAIL_REDIS_ASIO_HPP
#define SMTP_POLICY_DETAIL_REDIS_ASIO_HPP

// Drives a hiredis async context from Asio, as hiredis's adapters/libevent.h does from libevent:
// hiredis says when it wants to read or write (addRead, delWrite, ...), a stream_descriptor on
// its socket waits for that, and the wait's handler calls redisAsyncHandleRead/Write. hiredis
// keeps the socket: the descriptor is released, never closed, when hiredis cleans up.

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <memory>

namespace smtp::policy::detail {

class redis_asio_events : public std::enable_shared_from_this<redis_asio_events> {
public:
    redis_asio_events(redisAsyncContext* context, const boost::asio::any_io_executor& executor)
        : context_(context), descriptor_(executor, context->c.fd) {}

    /// Hooks the context's events to `executor`; the context then belongs to that executor's
    /// thread.
    static void attach(redisAsyncContext* context, const boost::asio::any_io_executor& executor) {
        auto* self = new std::shared_ptr<redis_asio_events>(
            std::make_shared<redis_asio_events>(context, executor));
        context->ev.data = self;
        context->ev.addRead = [](void* p) { of(p).want(true, true); };
        context->ev.delRead = [](void* p) { of(p).want(true, false); };
        context->ev.addWrite = [](void* p) { of(p).want(false, true); };
        context->ev.delWrite = [](void* p) { of(p).want(false, false); };
        context->ev.cleanup = [](void* p) {
            auto* held = static_cast<std::shared_ptr<redis_asio_events>*>(p);
            (*held)->detach();
            delete held;
        };
        // The connection is under way: its end shows as writability.
        (*self)->want(false, true);
    }

private:
    static redis_asio_events& of(void* p) {
        return **static_cast<std::shared_ptr<redis_asio_events>*>(p);
    }

    // What hiredis asks for; a wait is armed when none of that kind is pending. A wait armed
    // before hiredis stopped asking completes and does nothing.
    void want(bool read, bool on) {
        bool& wanted = read ? reading_ : writing_;
        wanted = on;
        if (on && !(read ? read_waiting_ : write_waiting_)) wait(read);
    }

    void wait(bool read) {
        (read ? read_waiting_ : write_waiting_) = true;
        auto kind = read ? boost::asio::posix::descriptor_base::wait_read
                         : boost::asio::posix::descriptor_base::wait_write;
        descriptor_.async_wait(kind, [self = shared_from_this(),
                                      read](boost::system::error_code ec) {
            (read ? self->read_waiting_ : self->write_waiting_) = false;
            if (ec || !self->context_) return;
            bool& wanted = read ? self->reading_ : self->writing_;
            if (!wanted) return;
            // May end in cleanup (the connection failed or closed): context_ is then null.
            if (read)
                redisAsyncHandleRead(self->context_);
            else
                redisAsyncHandleWrite(self->context_);
            if (self->context_ && wanted && !(read ? self->read_waiting_ : self->write_waiting_))
                self->wait(read);
        });
    }

    void detach() {
        context_ = nullptr;
        // Ends the waits (operation_aborted) and leaves the socket to hiredis, which closes it.
        descriptor_.release();
    }

    redisAsyncContext* context_;
    boost::asio::posix::stream_descriptor descriptor_;
    bool reading_ = false, writing_ = false;
    bool read_waiting_ = false, write_waiting_ = false;
};

} // namespace smtp::policy::detail

#endif
