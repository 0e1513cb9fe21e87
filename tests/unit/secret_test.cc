// Secret: wiping on destruction, move and clear; constant-time comparison; no printing.
// Assertions compare with equals() or sizes, so a failing test never prints a secret.
#include <algorithm>
#include <array>
#include <cstddef>
#include <new>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <gtest/gtest.h>

#include "secret.hh"

namespace credd {
namespace {

using namespace std::string_view_literals;

template <class T>
concept Streamable = requires(std::ostream& os, const T& t) {
    os << t;
};

static_assert(!Streamable<Secret>, "a Secret must not be printable");
static_assert(!std::is_copy_constructible_v<Secret>);
static_assert(!std::is_copy_assignable_v<Secret>);
static_assert(std::is_nothrow_move_constructible_v<Secret>);
static_assert(std::is_nothrow_move_assignable_v<Secret>);

// Short enough for the string's inline buffer, so its bytes live inside the Secret.
constexpr std::string_view short_token = "tok-1234";
// Long enough for a heap buffer.
constexpr std::string_view long_token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzABCD";

bool all_zero(const char* p, std::size_t n) {
    return std::all_of(p, p + n, [](char c) { return c == '\0'; });
}

TEST(Secret, DefaultIsEmpty) {
    const Secret s;
    EXPECT_TRUE(s.empty());
    EXPECT_EQ(s.size(), 0u);
    EXPECT_TRUE(s.expose().empty());
}

TEST(Secret, ExposesTheBytesItWasGiven) {
    const Secret s(long_token);
    EXPECT_EQ(s.size(), long_token.size());
    EXPECT_TRUE(s.expose() == long_token);
}

TEST(Secret, KeepsEmbeddedNulBytes) {
    const Secret s("a\0b"sv);
    EXPECT_EQ(s.size(), 3u);
    EXPECT_TRUE(s.equals("a\0b"sv));
}

TEST(Secret, MoveConstructionLeavesTheSourceEmpty) {
    Secret a(long_token);
    Secret b(std::move(a));
    EXPECT_TRUE(a.empty());
    EXPECT_TRUE(a.expose().empty());
    EXPECT_TRUE(b.equals(long_token));
}

TEST(Secret, MoveConstructionWipesTheSourceInlineBuffer) {
    // Moving a short string copies its inline bytes and leaves the source's copy behind
    // unless Secret wipes it.
    Secret a(short_token);
    const char* inline_bytes = a.expose().data();
    Secret b(std::move(a));
    EXPECT_TRUE(b.equals(short_token));
    EXPECT_TRUE(all_zero(inline_bytes, short_token.size()));
}

TEST(Secret, MoveAssignmentLeavesTheSourceEmpty) {
    Secret a(long_token);
    Secret b(short_token);
    b = std::move(a);
    EXPECT_TRUE(a.empty());
    EXPECT_TRUE(b.equals(long_token));
}

TEST(Secret, MoveAssignmentWipesTheSourceInlineBuffer) {
    Secret a(short_token);
    const char* inline_bytes = a.expose().data();
    Secret b(long_token);
    b = std::move(a);
    EXPECT_TRUE(b.equals(short_token));
    EXPECT_TRUE(all_zero(inline_bytes, short_token.size()));
}

TEST(Secret, SelfMoveAssignmentKeepsTheValue) {
    Secret s(long_token);
    Secret& alias = s;
    s = std::move(alias);
    EXPECT_TRUE(s.equals(long_token));
}

TEST(Secret, DestructionWipesInlineBytes) {
    // The Secret lives in storage this test owns, so its bytes can be read after the
    // destructor ran without touching freed memory.
    alignas(Secret) std::array<std::byte, sizeof(Secret)> storage{};
    auto* s = new (storage.data()) Secret(short_token);
    const char* bytes = s->expose().data();
    const auto* first = reinterpret_cast<const char*>(storage.data());
    ASSERT_TRUE(bytes >= first && bytes + short_token.size() <= first + storage.size())
        << "this standard library keeps short strings on the heap";
    s->~Secret();
    EXPECT_TRUE(all_zero(bytes, short_token.size()));
}

TEST(Secret, ClearEmptiesAndWipes) {
    Secret s(short_token);
    const char* bytes = s.expose().data();
    s.clear();
    EXPECT_TRUE(s.empty());
    EXPECT_TRUE(all_zero(bytes, short_token.size()));
}

TEST(Secret, AdoptTakesTheBytesAndWipesTheSource) {
    std::string source(long_token);
    const char* heap = source.data();
    const std::size_t capacity = source.capacity();
    const Secret s = Secret::adopt(source);
    EXPECT_TRUE(s.equals(long_token));
    EXPECT_TRUE(source.empty());
    // wipe() keeps the buffer, so the old bytes are still ours to inspect.
    ASSERT_EQ(source.data(), heap);
    EXPECT_TRUE(all_zero(heap, capacity));
}

TEST(Secret, CloneIsEqualAndIndependent) {
    const Secret original(long_token);
    Secret copy = original.clone();
    EXPECT_TRUE(copy.equals(long_token));
    EXPECT_NE(static_cast<const void*>(copy.expose().data()),
              static_cast<const void*>(original.expose().data()));
    copy.clear();
    EXPECT_TRUE(original.equals(long_token));
}

TEST(Secret, EqualsIsTrueForEqualBytes) {
    const Secret s(long_token);
    EXPECT_TRUE(s.equals(std::string(long_token)));
}

TEST(Secret, EqualsIsFalseForSameLengthDifferentBytes) {
    const Secret s("abcdef"sv);
    EXPECT_FALSE(s.equals("abcdeg"));
    EXPECT_FALSE(s.equals("bbcdef"));
}

TEST(Secret, EqualsIsFalseForAPrefix) {
    const Secret s("abcdef"sv);
    EXPECT_FALSE(s.equals("abcde"));
    EXPECT_FALSE(s.equals(""));
}

TEST(Secret, EqualsIsFalseForALongerString) {
    const Secret s("abcdef"sv);
    EXPECT_FALSE(s.equals("abcdefg"));
    EXPECT_FALSE(s.equals("abcdef\0"sv));
}

TEST(Secret, EmptyEqualsOnlyEmpty) {
    const Secret s;
    EXPECT_TRUE(s.equals(""));
    EXPECT_FALSE(s.equals("a"));
}

TEST(Secret, WipeZeroesABuffer) {
    std::array<unsigned char, 64> buffer;
    buffer.fill(0xA5);
    wipe(buffer.data(), buffer.size());
    EXPECT_TRUE(std::all_of(buffer.begin(), buffer.end(), [](unsigned char c) { return c == 0; }));
}

TEST(Secret, WipeOfZeroBytesTouchesNothing) {
    std::array<char, 4> buffer{'a', 'b', 'c', 'd'};
    wipe(buffer.data(), 0);
    wipe(nullptr, 0);
    EXPECT_EQ(buffer[0], 'a');
}

TEST(Secret, WipeStringZeroesTheWholeCapacity) {
    // A string shrunk after holding a longer secret still has those bytes past size().
    std::string s(long_token);
    s.resize(3);
    const char* heap = s.data();
    const std::size_t capacity = s.capacity();
    wipe(s);
    EXPECT_TRUE(s.empty());
    ASSERT_EQ(s.data(), heap);
    EXPECT_TRUE(all_zero(heap, capacity));
}

} // namespace
} // namespace credd
