// The pure parts of interactive login: ID token claims, PKCE, discovery URLs and the
// issuer check.
#include <gtest/gtest.h>

#include "id_token.hh"
#include "oidc_discovery.hh"
#include "pkce.hh"

namespace credd {
namespace {

namespace json = boost::json;

TEST(IdToken, ThePayloadIsDecodedWithoutPaddingAndUnverified) {
    // {"sub":"alice","email":"a@x.test","exp":1700000000} with a junk signature.
    const std::string payload =
        base64url_encode(R"({"sub":"alice","email":"a@x.test","exp":1700000000})");
    const auto claims = id_token_claims("eyJhbGciOiJub25lIn0." + payload + ".junk");
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->at("sub").as_string(), "alice");
    const auto identity = identity_of(*claims);
    EXPECT_EQ(identity.at("email").as_string(), "a@x.test");
    EXPECT_TRUE(identity.at("preferred_username").is_null());
}

TEST(IdToken, NotAJwtHasNoClaims) {
    EXPECT_FALSE(id_token_claims("opaque-access-token"));
    EXPECT_FALSE(id_token_claims("a.!!!.c"));
    EXPECT_FALSE(id_token_claims("a." + base64url_encode("[1,2]") + ".c"));
}

TEST(Pkce, TheS256ChallengeIsRfc7636sExample) {
    // RFC 7636 Appendix B.
    EXPECT_EQ(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
              "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Pkce, RandomTokensAreUrlSafeAndDiffer) {
    const auto a = random_url_token(24);
    const auto b = random_url_token(24);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->size(), 32u);
    EXPECT_NE(*a, *b);
    EXPECT_EQ(
        a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_TRUE(constant_time_equal(*a, *a));
    EXPECT_FALSE(constant_time_equal(*a, *b));
    EXPECT_FALSE(constant_time_equal(*a, ""));
}

TEST(Discovery, AnIssuerWithAPathGetsBothRfc8414Forms) {
    const auto urls = discovery_urls("https://login.example.com/tenant/v2/");
    ASSERT_EQ(urls.size(), 3u);
    EXPECT_EQ(urls[0], "https://login.example.com/tenant/v2/.well-known/openid-configuration");
    EXPECT_EQ(urls[1],
              "https://login.example.com/.well-known/oauth-authorization-server/tenant/v2");
    EXPECT_EQ(urls[2],
              "https://login.example.com/tenant/v2/.well-known/oauth-authorization-server");
    const auto plain = discovery_urls("https://gitlab.com");
    ASSERT_EQ(plain.size(), 2u);
    EXPECT_EQ(plain[1], "https://gitlab.com/.well-known/oauth-authorization-server");
}

TEST(Discovery, AnotherIssuerInTheDocumentIsRefused) {
    const json::object doc{{"issuer", "https://evil.example"},
                           {"token_endpoint", "https://evil.example/token"}};
    const auto r = discovered_from_metadata("https://login.example.com", doc, 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::discovery_failed);
    const json::object ok{{"issuer", "https://login.example.com/"},
                          {"token_endpoint", "https://login.example.com/token"},
                          {"device_authorization_endpoint", "https://login.example.com/device"}};
    const auto d = discovered_from_metadata("https://login.example.com", ok, 1000);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->at("token_url").as_string(), "https://login.example.com/token");
    EXPECT_EQ(d->at("device_authorization_url").as_string(), "https://login.example.com/device");
    EXPECT_EQ(d->at("fetched_at").as_int64(), 1000);
    EXPECT_TRUE(discovery_is_fresh(*d, "https://login.example.com", 2000));
    EXPECT_FALSE(discovery_is_fresh(*d, "https://login.example.com", 1000 + discovery_max_age_ms));
    EXPECT_FALSE(discovery_is_fresh(*d, "https://other.example", 2000));
}

} // namespace
} // namespace credd
