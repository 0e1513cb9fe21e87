// Tests for Sealer: AES-256-GCM round trips, and every kind of damage reads as corrupt.
#include <string>

#include <gtest/gtest.h>

#include "key_store.hh"
#include "sealer.hh"

namespace credd {
namespace {

constexpr std::string_view plaintext = "ghp_sealer-test-plaintext-0123456789";
constexpr std::string_view associated = "credd/v1/github-work";
constexpr std::size_t overhead = 1 + 12 + 16;

Sealer make_sealer(char fill) {
    return Sealer(Secret(std::string(data_key_bytes, fill)));
}

std::string seal_ok(const Sealer& s, std::string_view text, std::string_view ad) {
    auto blob = s.seal(text, ad);
    EXPECT_TRUE(blob);
    return blob ? *blob : std::string();
}

TEST(Sealer, RoundTrips) {
    const Sealer s = make_sealer('k');
    const auto opened = s.unseal(seal_ok(s, plaintext, associated), associated);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->equals(plaintext));
}

TEST(Sealer, EmptyPlaintextRoundTrips) {
    const Sealer s = make_sealer('k');
    const auto opened = s.unseal(seal_ok(s, "", associated), associated);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->empty());
}

TEST(Sealer, BlobIsVersionNonceCiphertextTag) {
    const Sealer s = make_sealer('k');
    const std::string blob = seal_ok(s, plaintext, associated);
    ASSERT_EQ(blob.size(), overhead + plaintext.size());
    EXPECT_EQ(static_cast<unsigned char>(blob[0]), 1u);
}

TEST(Sealer, BlobDoesNotContainPlaintext) {
    const Sealer s = make_sealer('k');
    const std::string blob = seal_ok(s, plaintext, associated);
    EXPECT_TRUE(blob.find(plaintext) == std::string::npos);
}

TEST(Sealer, NonceDiffersPerSeal) {
    const Sealer s = make_sealer('k');
    const std::string a = seal_ok(s, plaintext, associated);
    const std::string b = seal_ok(s, plaintext, associated);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_NE(a.substr(1, 12), b.substr(1, 12));
    EXPECT_NE(a.substr(13), b.substr(13));
}

TEST(Sealer, OtherAssociatedDataIsCorrupt) {
    const Sealer s = make_sealer('k');
    const std::string blob = seal_ok(s, plaintext, associated);
    const auto opened = s.unseal(blob, "credd/v1/github-home");
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, Errc::corrupt);
}

TEST(Sealer, OtherKeyIsCorrupt) {
    const std::string blob = seal_ok(make_sealer('k'), plaintext, associated);
    const auto opened = make_sealer('K').unseal(blob, associated);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, Errc::corrupt);
}

TEST(Sealer, EveryFlippedBitIsCorrupt) {
    const Sealer s = make_sealer('k');
    const std::string blob = seal_ok(s, plaintext, associated);
    for (std::size_t i = 0; i < blob.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string tampered = blob;
            tampered[i] = static_cast<char>(tampered[i] ^ (1 << bit));
            const auto opened = s.unseal(tampered, associated);
            ASSERT_FALSE(opened) << "byte " << i << " bit " << bit;
            EXPECT_EQ(opened.error().code, Errc::corrupt) << "byte " << i << " bit " << bit;
        }
    }
}

TEST(Sealer, EveryTruncationIsCorrupt) {
    const Sealer s = make_sealer('k');
    const std::string blob = seal_ok(s, plaintext, associated);
    for (std::size_t n = 0; n < blob.size(); ++n) {
        const auto opened = s.unseal(std::string_view(blob).substr(0, n), associated);
        ASSERT_FALSE(opened) << "length " << n;
        EXPECT_EQ(opened.error().code, Errc::corrupt) << "length " << n;
    }
}

TEST(Sealer, AppendedBytesAreCorrupt) {
    const Sealer s = make_sealer('k');
    const auto opened = s.unseal(seal_ok(s, plaintext, associated) + "x", associated);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, Errc::corrupt);
}

TEST(Sealer, UnknownVersionIsCorrupt) {
    const Sealer s = make_sealer('k');
    std::string blob = seal_ok(s, plaintext, associated);
    blob[0] = 2;
    const auto opened = s.unseal(blob, associated);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, Errc::corrupt);
}

TEST(Sealer, KeyOfWrongLengthIsRefused) {
    const Sealer s(Secret(std::string(16, 'k')));
    const auto blob = s.seal(plaintext, associated);
    ASSERT_FALSE(blob);
    EXPECT_EQ(blob.error().code, Errc::key_unavailable);
}

} // namespace
} // namespace credd
