#ifndef SMTP_DETAIL_CALL_HOOK_HPP
#define SMTP_DETAIL_CALL_HOOK_HPP

#include <smtp/hooks.hpp>

// Calls a hook that is either a plain function or a coroutine, awaiting only the latter. A
// macro because `co_await` must appear in the calling coroutine itself.
#define SMTP_DETAIL_CALL_HOOK(result, call)                                                        \
    do {                                                                                           \
        if constexpr (::smtp::detail::is_awaitable_v<decltype(call)>)                              \
            result = co_await (call);                                                              \
        else                                                                                       \
            result = (call);                                                                       \
    } while (false)

#endif
