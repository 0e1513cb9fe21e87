// WipingAllocator: every block is zeroed before it goes back, as containers use it.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wiping_allocator.hh"

namespace credd {
namespace {

// What the upstream allocator was handed back: whether each block was all zero then.
std::vector<bool> g_released_zeroed;

template <class T>
struct CheckingAllocator {
    using value_type = T;
    CheckingAllocator() = default;
    template <class U>
    CheckingAllocator(const CheckingAllocator<U>&) {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(p);
        g_released_zeroed.push_back(
            std::all_of(bytes, bytes + n * sizeof(T), [](unsigned char c) { return c == 0; }));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <class U>
    bool operator==(const CheckingAllocator<U>&) const {
        return true;
    }
};

using WipedString =
    std::basic_string<char, std::char_traits<char>, WipingAllocator<char, CheckingAllocator<char>>>;

TEST(WipingAllocator, AStringsOldBlocksAndItsLastAreZeroedOnRelease) {
    g_released_zeroed.clear();
    {
        WipedString s;
        // Past the small-string buffer, then growing: each reallocation releases a block
        // that held token bytes.
        for (int i = 0; i < 200; ++i) {
            s += "eyJhbGciOiJSUzI1NiJ9-token-bytes";
        }
    }
    ASSERT_GE(g_released_zeroed.size(), 3U);
    EXPECT_TRUE(std::all_of(g_released_zeroed.begin(), g_released_zeroed.end(),
                            [](bool zeroed) { return zeroed; }));
}

TEST(WipingAllocator, ReboundForAnotherTypeStillWipes) {
    g_released_zeroed.clear();
    {
        std::vector<std::uint64_t, WipingAllocator<std::uint64_t, CheckingAllocator<std::uint64_t>>>
            v(1000, 0x5ec2e7);
    }
    ASSERT_EQ(g_released_zeroed.size(), 1U);
    EXPECT_TRUE(g_released_zeroed[0]);
}

} // namespace
} // namespace credd
