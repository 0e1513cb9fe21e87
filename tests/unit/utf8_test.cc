// UTF-8 validation: RFC 3629 accepts, and the byte sequences it forbids.
#include <cstddef>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "utf8.hh"

namespace credd {
namespace {

using namespace std::string_view_literals;

TEST(Utf8, EmptyIsValid) {
    EXPECT_TRUE(is_valid_utf8(""));
}

TEST(Utf8, AsciiIsValid) {
    EXPECT_TRUE(is_valid_utf8(R"({"jsonrpc":"2.0","id":1,"method":"daemon.info"})"));
}

TEST(Utf8, NulByteIsValidUtf8) {
    // U+0000 is a character; refusing it is the JSON parser's job, not this one's.
    EXPECT_TRUE(is_valid_utf8("a\0b"sv));
}

TEST(Utf8, BoundariesOfEachSequenceLengthAreValid) {
    EXPECT_TRUE(is_valid_utf8("\x7F"));             // U+007F
    EXPECT_TRUE(is_valid_utf8("\xC2\x80"));         // U+0080
    EXPECT_TRUE(is_valid_utf8("\xDF\xBF"));         // U+07FF
    EXPECT_TRUE(is_valid_utf8("\xE0\xA0\x80"));     // U+0800
    EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBF"));     // U+FFFF
    EXPECT_TRUE(is_valid_utf8("\xF0\x90\x80\x80")); // U+10000
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF")); // U+10FFFF
}

TEST(Utf8, CodePointsAroundSurrogatesAreValid) {
    EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF")); // U+D7FF
    EXPECT_TRUE(is_valid_utf8("\xEE\x80\x80")); // U+E000
}

TEST(Utf8, MixedTextIsValid) {
    EXPECT_TRUE(is_valid_utf8("gr\xC3\xBC\xC3\x9F"
                              "e \xE2\x82\xAC \xF0\x9F\x94\x91"));
}

TEST(Utf8, OverlongTwoByteIsInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF")); // '/' in two bytes
    EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));
}

TEST(Utf8, OverlongThreeByteIsInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));
    EXPECT_FALSE(is_valid_utf8("\xE0\x9F\xBF")); // U+07FF in three bytes
}

TEST(Utf8, OverlongFourByteIsInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));
    EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF")); // U+FFFF in four bytes
}

TEST(Utf8, SurrogatesAreInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80")); // U+D800
    EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF")); // U+DFFF
    // A CESU-8 pair (U+1F511 as two encoded surrogates) is not UTF-8 either.
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\xBD\xED\xB4\x91"));
}

TEST(Utf8, AboveU10FFFFIsInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // U+110000
    EXPECT_FALSE(is_valid_utf8("\xF7\xBF\xBF\xBF"));
}

TEST(Utf8, FiveAndSixByteFormsAreInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xFC\x84\x80\x80\x80\x80"));
}

TEST(Utf8, BytesThatNeverOccurAreInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xFE"));
    EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Utf8, LoneContinuationByteIsInvalid) {
    EXPECT_FALSE(is_valid_utf8("\x80"));
    EXPECT_FALSE(is_valid_utf8("a\xBF"
                               "b"));
}

TEST(Utf8, SequenceTruncatedAtEndIsInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xC3"));
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
    EXPECT_FALSE(is_valid_utf8("\xF0\x9F\x94"));
}

TEST(Utf8, SequenceInterruptedByAsciiIsInvalid) {
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"
                               "A"));
    EXPECT_FALSE(is_valid_utf8("\xF0\x9F"
                               "ab"));
}

TEST(Utf8, TruncationIsDetectedWithoutReadingPastTheView) {
    // The view ends inside the sequence although the memory behind it continues it.
    const std::string text = "\xE2\x82\xAC";
    EXPECT_FALSE(is_valid_utf8(std::string_view(text).substr(0, 2)));
}

TEST(Utf8, PrefixOfShortTextIsTheText) {
    EXPECT_EQ(utf8_prefix("abc", 3), "abc");
    EXPECT_EQ(utf8_prefix("abc", 10), "abc");
    EXPECT_EQ(utf8_prefix("", 0), "");
}

TEST(Utf8, PrefixCutsAsciiAtTheLimit) {
    EXPECT_EQ(utf8_prefix("abcdef", 4), "abcd");
    EXPECT_EQ(utf8_prefix("abcdef", 0), "");
}

TEST(Utf8, PrefixKeepsACharacterThatEndsAtTheLimit) {
    EXPECT_EQ(utf8_prefix("a\xC3\xA9z", 3), "a\xC3\xA9");
}

TEST(Utf8, PrefixDropsACharacterTheLimitWouldSplit) {
    EXPECT_EQ(utf8_prefix("a\xC3\xA9z", 2), "a");
    EXPECT_EQ(utf8_prefix("a\xF0\x9F\x94\x91z", 2), "a");
    EXPECT_EQ(utf8_prefix("a\xF0\x9F\x94\x91z", 4), "a");
    EXPECT_EQ(utf8_prefix("\xF0\x9F\x94\x91", 3), "");
}

TEST(Utf8, PrefixOfValidTextIsValid) {
    const std::string text = "gr\xC3\xBC\xC3\x9F"
                             "e \xE2\x82\xAC \xF0\x9F\x94\x91";
    for (std::size_t n = 0; n <= text.size(); ++n) {
        EXPECT_TRUE(is_valid_utf8(utf8_prefix(text, n))) << n;
    }
}

} // namespace
} // namespace credd
