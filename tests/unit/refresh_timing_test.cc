// RefreshTiming: the lead before expiry and the backoff between failures.
#include <gtest/gtest.h>

#include "refresh_timing.hh"

namespace credd {
namespace {

TEST(RefreshLead, IsAThirdOfTheLifetimeWithinBounds) {
    EXPECT_EQ(refresh_lead_ms(3'600'000, 0.5), 300'000); // 1 h: capped at 5 min
    EXPECT_EQ(refresh_lead_ms(600'000, 0.5), 200'000);   // 10 min: a third
    EXPECT_EQ(refresh_lead_ms(120'000, 0.5), 40'000);    // 2 min: a third
    EXPECT_EQ(refresh_lead_ms(60'000, 0.5), 30'000);     // 1 min: the 30 s floor
}

TEST(RefreshLead, IsNeverMoreThanHalfTheLifetime) {
    EXPECT_EQ(refresh_lead_ms(10'000, 0.5), 5'000);
    EXPECT_EQ(refresh_lead_ms(0, 0.5), 0);
}

TEST(RefreshLead, JittersByTenPercent) {
    EXPECT_EQ(refresh_lead_ms(600'000, 0.0), 180'000);
    EXPECT_NEAR(static_cast<double>(refresh_lead_ms(600'000, 0.999999)), 220'000.0, 1.0);
}

TEST(Backoff, DoublesFromOneSecondToFiveMinutes) {
    EXPECT_EQ(backoff_ms(1, 0.0), 1'000);
    EXPECT_EQ(backoff_ms(2, 0.0), 2'000);
    EXPECT_EQ(backoff_ms(5, 0.0), 16'000);
    EXPECT_EQ(backoff_ms(9, 0.0), 240'000);
    EXPECT_EQ(backoff_ms(50, 0.0), 240'000);
    EXPECT_EQ(backoff_ms(50, 0.999999), 299'999);
    for (unsigned n = 1; n < 40; ++n) {
        EXPECT_LE(backoff_ms(n, 0.999999), max_backoff_ms);
    }
}

TEST(Backoff, JitterSpreadsUpToAQuarter) {
    EXPECT_EQ(backoff_ms(3, 0.5), 4'500);
}

TEST(Backoff, HonoursRetryAfterUpToAnHour) {
    EXPECT_EQ(backoff_ms(1, 0.0, 30'000), 30'000);
    EXPECT_EQ(backoff_ms(6, 0.0, 1'000), 32'000);
    EXPECT_EQ(backoff_ms(1, 0.0, 86'400'000), max_retry_after_ms);
}

TEST(Jitter, StaysInTheUnitInterval) {
    for (int i = 0; i < 1000; ++i) {
        const double u = jitter_unit();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
    }
}

TEST(Spread, AFewOverdueRefreshesStartWithinMilliseconds) {
    EXPECT_EQ(spread_delay_ms(0, 0.0), 0);
    EXPECT_LT(spread_delay_ms(0, 0.999), spread_step_ms);
    EXPECT_EQ(spread_delay_ms(10, 0.0), 10 * spread_step_ms);
    EXPECT_LT(spread_delay_ms(199, 0.999), 200 * spread_step_ms);
}

TEST(Spread, TenThousandTakeTheWholeMinuteAndNoMore) {
    EXPECT_LE(spread_delay_ms(9'998, 0.999), max_spread_ms);
    EXPECT_GT(spread_delay_ms(9'998, 0.0), 59'000);
    // Past the window, a burst is spread over all of it, never later.
    EXPECT_EQ(spread_delay_ms(50'000, 0.0), 0);
    EXPECT_LT(spread_delay_ms(50'000, 0.999), max_spread_ms);
    EXPECT_LT(spread_delay_ms(static_cast<std::size_t>(-1), 0.999), max_spread_ms);
}

} // namespace
} // namespace credd
