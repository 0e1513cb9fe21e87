// WipingAllocator: a standard allocator that zeroes every block before giving it back.
#pragma once

#include <cstddef>
#include <memory>

#include "secret.hh"

namespace credd {

// For containers that hold token bytes in the refresh path — Beast's read buffer,
// header fields and response body — so a token does not linger in freed heap after a
// reallocation or the container's end. The whole block is wiped, capacity included, not
// only the bytes in use. Stateless; `Upstream` allocates (a test can check the bytes
// it is handed back).
template <class T, class Upstream = std::allocator<T>>
class WipingAllocator {
public:
    using value_type = T;
    template <class U>
    struct rebind {
        using other =
            WipingAllocator<U, typename std::allocator_traits<Upstream>::template rebind_alloc<U>>;
    };

    WipingAllocator() noexcept = default;
    template <class U, class V>
    WipingAllocator(const WipingAllocator<U, V>&) noexcept {} // NOLINT: rebinding copy

    T* allocate(std::size_t n) { return Upstream{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        wipe(static_cast<void*>(p), n * sizeof(T));
        Upstream{}.deallocate(p, n);
    }

    template <class U, class V>
    bool operator==(const WipingAllocator<U, V>&) const noexcept {
        return true;
    }
};

} // namespace credd
