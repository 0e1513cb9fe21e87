// TokenResponse: real providers' answers, each quirk with a test.
#include <gtest/gtest.h>

#include "token_response.hh"

namespace credd {
namespace {

constexpr UnixMs now = 1'800'000'000'000;

HttpResponse response(int status, std::string body, std::string content_type = "application/json") {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
}

TEST(TokenResponse, ReadsAStandardJsonAnswer) {
    auto g = parse_token_response(
        response(200, R"({"access_token":"at-1","token_type":"Bearer","expires_in":3600,)"
                      R"("refresh_token":"rt-2"})"),
        now);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->access_token.expose(), "at-1");
    EXPECT_EQ(g->refresh_token.expose(), "rt-2");
    EXPECT_EQ(g->expires_in_s, 3600);
}

TEST(TokenResponse, AcceptsExpiresInAsAString) {
    auto g =
        parse_token_response(response(200, R"({"access_token":"a","expires_in":"1799"})"), now);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->expires_in_s, 1799);
}

TEST(TokenResponse, MissingExpiresInIsEmptyNotAnError) {
    auto g = parse_token_response(response(200, R"({"access_token":"a"})"), now);
    ASSERT_TRUE(g);
    EXPECT_FALSE(g->expires_in_s);
}

TEST(TokenResponse, AnUnreadableExpiresInIsTransient) {
    auto g =
        parse_token_response(response(200, R"({"access_token":"a","expires_in":"soon"})"), now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().error_class, ErrorClass::transient);
}

TEST(TokenResponse, NoRefreshTokenMeansKeepTheOldOne) {
    auto g = parse_token_response(response(200, R"({"access_token":"a","expires_in":60})"), now);
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->refresh_token.empty());
}

TEST(TokenResponse, AnErrorObjectWithHttp200IsAnError) {
    // GitHub answers a spent refresh token with 200 and a form body by default.
    auto g = parse_token_response(
        response(200,
                 "error=bad_refresh_token&error_description=The+refresh+token+passed+is+incorrect",
                 "application/x-www-form-urlencoded"),
        now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().error_class, ErrorClass::fix_configuration);
    EXPECT_NE(g.error().message.find("bad_refresh_token"), std::string::npos);
    EXPECT_NE(g.error().message.find("The refresh token passed is incorrect"), std::string::npos);
}

TEST(TokenResponse, InvalidGrantWithHttp200NeedsReauthorization) {
    auto g = parse_token_response(response(200, R"({"error":"invalid_grant"})"), now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().error_class, ErrorClass::reauthorize);
}

TEST(TokenResponse, ReadsAFormEncodedGrant) {
    auto g = parse_token_response(
        response(200,
                 "access_token=gho_abc&expires_in=28800&refresh_token=ghr_def&token_type=bearer",
                 "application/x-www-form-urlencoded"),
        now);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->access_token.expose(), "gho_abc");
    EXPECT_EQ(g->refresh_token.expose(), "ghr_def");
    EXPECT_EQ(g->expires_in_s, 28800);
}

TEST(TokenResponse, ReadsAFormBodyEvenWithAWrongContentType) {
    auto g = parse_token_response(response(200, "access_token=x&expires_in=10", "text/plain"), now);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->access_token.expose(), "x");
}

TEST(TokenResponse, AnHtmlPageWith200IsAConfigurationError) {
    auto g = parse_token_response(response(200, "<!DOCTYPE html><html>Sign in</html>", "text/html"),
                                  now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().error_class, ErrorClass::fix_configuration);
    EXPECT_NE(g.error().message.find("HTML"), std::string::npos);
}

TEST(TokenResponse, AnHtmlErrorPageIsClassedByItsStatus) {
    auto bad_gateway =
        parse_token_response(response(502, "<html>Bad gateway</html>", "text/html"), now);
    ASSERT_FALSE(bad_gateway);
    EXPECT_EQ(bad_gateway.error().error_class, ErrorClass::transient);
    auto not_found = parse_token_response(response(404, "<html>nope</html>", "text/html"), now);
    ASSERT_FALSE(not_found);
    EXPECT_EQ(not_found.error().error_class, ErrorClass::fix_configuration);
}

TEST(TokenResponse, MalformedJsonIsTransient) {
    auto g = parse_token_response(response(200, R"({"access_token": "a)"), now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().error_class, ErrorClass::transient);
}

TEST(TokenResponse, ClassifiesTheRfc6749ErrorCodes) {
    const std::pair<const char*, ErrorClass> cases[] = {
        {"invalid_grant", ErrorClass::reauthorize},
        {"invalid_client", ErrorClass::fix_configuration},
        {"unauthorized_client", ErrorClass::fix_configuration},
        {"invalid_scope", ErrorClass::fix_configuration},
        {"unsupported_grant_type", ErrorClass::fix_configuration},
        {"temporarily_unavailable", ErrorClass::transient},
        {"server_error", ErrorClass::transient},
        {"something_new", ErrorClass::fix_configuration},
    };
    for (const auto& [code, expected] : cases) {
        auto g =
            parse_token_response(response(400, std::string(R"({"error":")") + code + R"("})"), now);
        ASSERT_FALSE(g) << code;
        EXPECT_EQ(g.error().error_class, expected) << code;
    }
}

TEST(TokenResponse, ClassifiesBareStatuses) {
    EXPECT_EQ(parse_token_response(response(500, ""), now).error().error_class,
              ErrorClass::transient);
    EXPECT_EQ(parse_token_response(response(503, "busy", "text/plain"), now).error().error_class,
              ErrorClass::transient);
    EXPECT_EQ(parse_token_response(response(429, ""), now).error().error_class,
              ErrorClass::transient);
    EXPECT_EQ(parse_token_response(response(403, ""), now).error().error_class,
              ErrorClass::fix_configuration);
    EXPECT_EQ(parse_token_response(response(302, ""), now).error().error_class,
              ErrorClass::fix_configuration);
}

TEST(TokenResponse, CarriesRetryAfter) {
    auto r = response(429, R"({"error":"slow_down"})");
    r.retry_after = "17";
    auto g = parse_token_response(r, now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().error_class, ErrorClass::transient);
    EXPECT_EQ(g.error().retry_after_ms, 17'000);
}

TEST(TokenResponse, NeverQuotesTheBody) {
    auto g = parse_token_response(
        response(400, R"({"error":"invalid_request","echo":"rt-secret-value"})"), now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().message.find("rt-secret-value"), std::string::npos);
}

TEST(TokenResponse, RedactsLongOpaqueRunsInTheDescription) {
    const std::string token(64, 'A');
    auto g = parse_token_response(
        response(400, R"({"error":"invalid_grant","error_description":"token )" + token +
                          R"( is revoked"})"),
        now);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().message.find(token.substr(0, 41)), std::string::npos);
    EXPECT_NE(g.error().message.find("[redacted]"), std::string::npos);
    EXPECT_NE(g.error().message.find("is revoked"), std::string::npos);
}

TEST(RetryAfter, ReadsSecondsAndHttpDates) {
    EXPECT_EQ(parse_retry_after("120", now), 120'000);
    EXPECT_EQ(parse_retry_after(" 0 ", now), 0);
    // 1800000060 s is Fri, 15 Jan 2027 08:01:00 GMT.
    EXPECT_EQ(parse_retry_after("Fri, 15 Jan 2027 08:01:00 GMT", 1'800'000'000'000), 60'000);
    EXPECT_FALSE(parse_retry_after("soon", now));
    EXPECT_FALSE(parse_retry_after("-5", now));
}

TEST(TokenResponse, AnExpiresInOutOfRangeIsAnErrorThatNamesIt) {
    for (const char* v : {"-5", "0", "1e300", "-1e300", "18446744073709551615", "4e9", "0.2",
                          "\"-3\"", "\"1e999\""}) {
        auto g = parse_token_response(
            response(200, std::string(R"({"access_token":"a","expires_in":)") + v + "}"), now);
        ASSERT_FALSE(g) << v;
        EXPECT_EQ(g.error().error_class, ErrorClass::transient) << v;
        EXPECT_NE(g.error().message.find("expires_in"), std::string::npos) << v;
    }
}

} // namespace
} // namespace credd
