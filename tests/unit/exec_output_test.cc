// ExecOutput: what a command prints, read as a token; every number range-checked.
#include <string>

#include <gtest/gtest.h>

#include "exec_strategy.hh"

namespace credd {
namespace {

constexpr UnixMs now = 1'800'000'000'000;

TEST(ExecOutput, ExpiryCountsFromTheTimeItIsGiven) {
    auto g = parse_exec_output(R"({"token":"t","expires_in":60})", 3600, now);
    ASSERT_TRUE(g);
    EXPECT_EQ(g->expires_at, now + 60'000);
    auto s = parse_exec_output(R"({"token":"t","expires_in":"90"})", 3600, now);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->expires_at, now + 90'000);
    auto at = parse_exec_output(R"({"token":"t","expires_at":1800000123})", 3600, now);
    ASSERT_TRUE(at);
    EXPECT_EQ(at->expires_at, 1'800'000'123'000);
    auto ms = parse_exec_output(R"({"token":"t","expires_at":1800000123456})", 3600, now);
    ASSERT_TRUE(ms);
    EXPECT_EQ(ms->expires_at, 1'800'000'123'456);
}

TEST(ExecOutput, AnExpiresInOutOfRangeIsAnErrorThatNamesIt) {
    for (const char* v : {"-5", "0", "1e300", "-1e300", "1e19", "18446744073709551615", "4e9",
                          "\"soon\"", "\"-1\"", "true", "[]"}) {
        auto g =
            parse_exec_output(std::string(R"({"token":"t","expires_in":)") + v + "}", 3600, now);
        ASSERT_FALSE(g) << v;
        EXPECT_EQ(g.error().error_class, ErrorClass::fix_configuration) << v;
        EXPECT_NE(g.error().message.find("expires_in"), std::string::npos) << v;
    }
}

TEST(ExecOutput, AnExpiresAtOutOfRangeIsAnErrorThatNamesIt) {
    for (const char* v : {"-1", "0", "1e300", "-1e300", "1e19", "18446744073709551615",
                          "9999999999", "\"yesterday-ish\"", "true"}) {
        auto g =
            parse_exec_output(std::string(R"({"token":"t","expires_at":)") + v + "}", 3600, now);
        ASSERT_FALSE(g) << v;
        EXPECT_NE(g.error().message.find("expires_at"), std::string::npos) << v;
    }
}

} // namespace
} // namespace credd
