// WipingArena: alignment, growth, wiping on reset, and use as Boost.JSON storage.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "protocol.hh"
#include "wiping_arena.hh"

namespace credd {
namespace {

namespace json = boost::json;

bool is_aligned(const void* p, std::size_t align) {
    return reinterpret_cast<std::uintptr_t>(p) % align == 0;
}

bool all_zero(const void* p, std::size_t n) {
    const auto* bytes = static_cast<const unsigned char*>(p);
    return std::all_of(bytes, bytes + n, [](unsigned char c) { return c == 0; });
}

TEST(WipingArena, AllocationsAreAligned) {
    WipingArena arena;
    for (const std::size_t align : {1u, 2u, 4u, 8u, 16u, 32u, 64u}) {
        // An odd-sized allocation first, so the next one starts misaligned.
        (void)arena.allocate(3, 1);
        void* p = arena.allocate(24, align);
        EXPECT_TRUE(is_aligned(p, align)) << align;
    }
}

TEST(WipingArena, AllocationsDoNotOverlap) {
    WipingArena arena(256);
    auto* a = static_cast<unsigned char*>(arena.allocate(40, 8));
    auto* b = static_cast<unsigned char*>(arena.allocate(40, 8));
    std::memset(a, 0x11, 40);
    std::memset(b, 0x22, 40);
    EXPECT_TRUE(std::all_of(a, a + 40, [](unsigned char c) { return c == 0x11; }));
    EXPECT_TRUE(b >= a + 40 || a >= b + 40);
}

TEST(WipingArena, ResetZeroesWhatWasUsed) {
    WipingArena arena(1024);
    void* p = arena.allocate(100, 1);
    void* q = arena.allocate(200, 16);
    std::memset(p, 0xAB, 100);
    std::memset(q, 0xCD, 200);
    arena.reset();
    // The first block is kept across reset, so these pointers still address live memory.
    EXPECT_TRUE(all_zero(p, 100));
    EXPECT_TRUE(all_zero(q, 200));
}

TEST(WipingArena, ResetMakesTheFirstBlockReusable) {
    WipingArena arena(1024);
    void* first = arena.allocate(64, 8);
    arena.reset();
    EXPECT_EQ(arena.allocate(64, 8), first);
}

TEST(WipingArena, GrowsBeyondTheFirstBlock) {
    WipingArena arena(64);
    void* big = arena.allocate(10'000, 16);
    ASSERT_NE(big, nullptr);
    EXPECT_TRUE(is_aligned(big, 16));
    std::memset(big, 0x5A, 10'000);
    for (int i = 0; i < 1000; ++i) {
        void* small = arena.allocate(48, 8);
        EXPECT_TRUE(is_aligned(small, 8));
        std::memset(small, 0x33, 48);
    }
    EXPECT_TRUE(std::all_of(static_cast<unsigned char*>(big),
                            static_cast<unsigned char*>(big) + 10'000,
                            [](unsigned char c) { return c == 0x5A; }));
}

TEST(WipingArena, AllocationLargerThanDoubleTheBlockFits) {
    WipingArena arena(16);
    (void)arena.allocate(8, 1);
    void* p = arena.allocate(1000, 64);
    EXPECT_TRUE(is_aligned(p, 64));
    std::memset(p, 0x77, 1000);
}

TEST(WipingArena, GrowsAgainAfterReset) {
    WipingArena arena(64);
    (void)arena.allocate(5000, 8);
    arena.reset();
    void* first = arena.allocate(32, 8);
    void* big = arena.allocate(5000, 8);
    std::memset(first, 0x01, 32);
    std::memset(big, 0x02, 5000);
    EXPECT_NE(first, big);
}

TEST(WipingArena, HoldsAParsedJsonValue) {
    WipingArena arena(128);
    const std::string text =
        R"({"name":"github-work","labels":{"team":"infra"},"list":[1,2,3,"four"],)"
        R"("secret":{"token":")" +
        std::string(2000, 't') + R"("}})";
    const json::value v = json::parse(text, json::storage_ptr(&arena));
    EXPECT_EQ(v.storage().get(), &arena);
    EXPECT_EQ(v.at("name"), json::value("github-work"));
    EXPECT_EQ(v.at("labels").at("team"), json::value("infra"));
    EXPECT_EQ(v.at("list").as_array().size(), 4u);
    EXPECT_EQ(v.at("secret").at("token").as_string().size(), 2000u);
}

TEST(WipingArena, ValuesCanBeBuiltAndChangedInIt) {
    WipingArena arena(64);
    json::object o{json::storage_ptr(&arena)};
    for (int i = 0; i < 200; ++i) {
        o[std::to_string(i)] = std::string(50, 'v');
    }
    o.erase("7");
    EXPECT_EQ(o.size(), 199u);
    EXPECT_EQ(o.at("199").as_string().size(), 50u);
    EXPECT_EQ(o.at("199").storage().get(), &arena);
}

TEST(WipingArena, ServesAsRequestStorageAcrossResets) {
    WipingArena arena;
    for (int i = 0; i < 3; ++i) {
        {
            json::value id;
            const auto request = protocol::parse_request(
                R"({"jsonrpc":"2.0","id":1,"method":"credential.add","params":{"name":"x",)"
                R"("secret":{"token":"a-token-that-is-long-enough-to-allocate"}}})",
                id, json::storage_ptr(&arena));
            ASSERT_TRUE(request);
            EXPECT_EQ(request->params.storage().get(), &arena);
            EXPECT_EQ(request->params.at("name"), json::value("x"));
        }
        // Like a session: the request is gone before the arena is wiped for the next.
        arena.reset();
    }
}

} // namespace
} // namespace credd
