// Times as users write them and as credd prints them.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "time_text.hh"

namespace credd {
namespace {

constexpr UnixMs now = 1'700'000'000'000;
constexpr UnixMs end_of_2026 = 1'798'675'200'000; // 2026-12-31T00:00:00Z
constexpr std::int64_t second = 1000, minute = 60 * second, hour = 60 * minute, day = 24 * hour;

UnixMs when(std::string_view text) {
    const auto r = parse_when(text, now);
    EXPECT_TRUE(r) << text << ": " << (r ? "" : r.error().message);
    return r ? *r : std::numeric_limits<UnixMs>::min();
}

Errc when_error(std::string_view text) {
    const auto r = parse_when(text, now);
    return r ? Errc::ok : r.error().code;
}

TEST(TimeText, Rfc3339Utc) {
    EXPECT_EQ(when("2026-12-31T00:00:00Z"), end_of_2026);
}

TEST(TimeText, Rfc3339AcceptsLowerCaseSeparators) {
    EXPECT_EQ(when("2026-12-31t00:00:00z"), end_of_2026);
}

TEST(TimeText, Rfc3339AcceptsSpaceSeparator) {
    EXPECT_EQ(when("2026-12-31 00:00:00Z"), end_of_2026);
}

TEST(TimeText, Rfc3339PositiveOffset) {
    EXPECT_EQ(when("2026-12-31T02:00:00+02:00"), end_of_2026);
}

TEST(TimeText, Rfc3339NegativeOffsetAcrossMidnight) {
    EXPECT_EQ(when("2026-12-30T18:30:00-05:30"), end_of_2026);
}

TEST(TimeText, Rfc3339ZeroOffsetEqualsZ) {
    EXPECT_EQ(when("2026-12-31T00:00:00+00:00"), end_of_2026);
    EXPECT_EQ(when("2026-12-31T00:00:00-00:00"), end_of_2026);
}

TEST(TimeText, Rfc3339FractionGivesMilliseconds) {
    EXPECT_EQ(when("2026-12-31T00:00:00.5Z"), end_of_2026 + 500);
    EXPECT_EQ(when("2026-12-31T00:00:00.123Z"), end_of_2026 + 123);
}

TEST(TimeText, Rfc3339FractionBeyondMillisecondsIsTruncated) {
    EXPECT_EQ(when("2026-12-31T00:00:00.123999999Z"), end_of_2026 + 123);
}

TEST(TimeText, Rfc3339FractionWithOffset) {
    EXPECT_EQ(when("2026-12-31T01:00:00.250+01:00"), end_of_2026 + 250);
}

TEST(TimeText, Rfc3339EmptyFractionIsRefused) {
    EXPECT_EQ(when_error("2026-12-31T00:00:00.Z"), Errc::invalid_params);
}

TEST(TimeText, LeapDayOfLeapYearIsAccepted) {
    EXPECT_EQ(when("2024-02-29T12:00:00Z"), 1'709'208'000'000);
    EXPECT_EQ(when("2000-02-29T00:00:00Z"), 951'782'400'000);
}

TEST(TimeText, LeapDayOfCommonYearIsRefused) {
    EXPECT_EQ(when_error("2023-02-29T00:00:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2100-02-29T00:00:00Z"), Errc::invalid_params);
}

TEST(TimeText, ImpossibleDatesAreRefused) {
    EXPECT_EQ(when_error("2026-02-30T00:00:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-04-31T00:00:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-13-01T00:00:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-00-10T00:00:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-01-00T00:00:00Z"), Errc::invalid_params);
}

TEST(TimeText, ImpossibleTimesAreRefused) {
    EXPECT_EQ(when_error("2026-12-31T24:00:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-12-31T23:60:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-12-31T23:59:61Z"), Errc::invalid_params);
}

TEST(TimeText, LeapSecondCountsAsTheNextSecond) {
    EXPECT_EQ(when("2016-12-31T23:59:60Z"), 1'483'228'800'000);
}

TEST(TimeText, OffsetOutOfRangeIsRefused) {
    EXPECT_EQ(when_error("2026-12-31T00:00:00+24:00"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-12-31T00:00:00+01:60"), Errc::invalid_params);
}

TEST(TimeText, MalformedOffsetIsRefused) {
    EXPECT_EQ(when_error("2026-12-31T00:00:00+0100"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-12-31T00:00:00+01"), Errc::invalid_params);
}

TEST(TimeText, MissingOffsetIsRefused) {
    // Without an offset the time would depend on where the daemon runs.
    EXPECT_EQ(when_error("2026-12-31T00:00:00"), Errc::invalid_params);
}

TEST(TimeText, DateWithoutTimeIsRefused) {
    EXPECT_EQ(when_error("2026-12-31"), Errc::invalid_params);
}

TEST(TimeText, TrailingTextIsRefused) {
    EXPECT_EQ(when_error("2026-12-31T00:00:00Z tomorrow"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-12-31T00:00:00+01:00:00"), Errc::invalid_params);
}

TEST(TimeText, UnpaddedFieldsAreRefused) {
    EXPECT_EQ(when_error("2026-1-31T00:00:00Z"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-12-31T0:00:00Z"), Errc::invalid_params);
}

TEST(TimeText, Rfc3339BeforeTheEpoch) {
    EXPECT_EQ(when("1969-12-31T23:59:59Z"), -1000);
    EXPECT_EQ(when("1900-01-01T00:00:00Z"), -2'208'988'800'000);
}

TEST(TimeText, UnixSeconds) {
    EXPECT_EQ(when("1798675200"), end_of_2026);
    EXPECT_EQ(when("0"), 0);
}

TEST(TimeText, UnixSecondsAtTheLimitAreAccepted) {
    EXPECT_EQ(when("9223372036854775"), 9'223'372'036'854'775'000);
}

TEST(TimeText, UnixSecondsThatOverflowMillisecondsAreRefused) {
    EXPECT_EQ(when_error("9223372036854776"), Errc::invalid_params);
    EXPECT_EQ(when_error("99999999999999999999999"), Errc::invalid_params);
}

TEST(TimeText, NegativeUnixSecondsAreRefused) {
    EXPECT_EQ(when_error("-1"), Errc::invalid_params);
}

TEST(TimeText, RelativeDays) {
    EXPECT_EQ(when("+30d"), now + 30 * day);
}

TEST(TimeText, RelativeHours) {
    EXPECT_EQ(when("+12h"), now + 12 * hour);
}

TEST(TimeText, RelativeMinutes) {
    EXPECT_EQ(when("+15m"), now + 15 * minute);
}

TEST(TimeText, RelativeSeconds) {
    EXPECT_EQ(when("+45s"), now + 45 * second);
}

TEST(TimeText, RelativeZeroIsNow) {
    EXPECT_EQ(when("+0s"), now);
}

TEST(TimeText, RelativeWithoutNumberIsRefused) {
    EXPECT_EQ(when_error("+d"), Errc::invalid_params);
    EXPECT_EQ(when_error("+"), Errc::invalid_params);
}

TEST(TimeText, LonePlusIsReadWithinItsBytes) {
    // An exact-size buffer: under AddressSanitizer, a read past the '+' is reported.
    const auto buffer = std::make_unique<char[]>(1);
    buffer[0] = '+';
    EXPECT_EQ(when_error(std::string_view(buffer.get(), 1)), Errc::invalid_params);
}

TEST(TimeText, RelativeWithoutUnitIsRefused) {
    EXPECT_EQ(when_error("+30"), Errc::invalid_params);
}

TEST(TimeText, RelativeWithUnknownUnitIsRefused) {
    EXPECT_EQ(when_error("+3w"), Errc::invalid_params);
    EXPECT_EQ(when_error("+3D"), Errc::invalid_params);
}

TEST(TimeText, RelativeNegativeOrFractionalIsRefused) {
    EXPECT_EQ(when_error("+-5d"), Errc::invalid_params);
    EXPECT_EQ(when_error("++5d"), Errc::invalid_params);
    EXPECT_EQ(when_error("+1.5h"), Errc::invalid_params);
    EXPECT_EQ(when_error("+ 5d"), Errc::invalid_params);
}

TEST(TimeText, RelativeOverflowIsRefused) {
    EXPECT_EQ(when_error("+9223372036854775807s"), Errc::invalid_params);
    EXPECT_EQ(when_error("+200000000000d"), Errc::invalid_params);
    EXPECT_EQ(when_error("+99999999999999999999999d"), Errc::invalid_params);
}

TEST(TimeText, GarbageIsRefused) {
    EXPECT_EQ(when_error(""), Errc::invalid_params);
    EXPECT_EQ(when_error("tomorrow"), Errc::invalid_params);
    EXPECT_EQ(when_error("12abc"), Errc::invalid_params);
    EXPECT_EQ(when_error(" 1798675200"), Errc::invalid_params);
    EXPECT_EQ(when_error("2026-12-31T00:00:00Zgarbage"), Errc::invalid_params);
}

TEST(TimeText, FormatEpoch) {
    EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
}

TEST(TimeText, FormatDropsMilliseconds) {
    EXPECT_EQ(format_rfc3339(end_of_2026 + 999), "2026-12-31T00:00:00Z");
}

TEST(TimeText, FormatBeforeTheEpochRoundsDown) {
    EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
    EXPECT_EQ(format_rfc3339(-1000), "1969-12-31T23:59:59Z");
    EXPECT_EQ(format_rfc3339(-1001), "1969-12-31T23:59:58Z");
}

TEST(TimeText, FormatRoundTripsThroughParse) {
    for (const UnixMs t : {UnixMs{0}, end_of_2026, UnixMs{1'709'208'000'000}, UnixMs{-1000},
                           UnixMs{-2'208'988'800'000}, UnixMs{-62'135'596'800'000},
                           UnixMs{253'402'300'799'000}, UnixMs{951'782'399'000}}) {
        EXPECT_EQ(when(format_rfc3339(t)), t) << format_rfc3339(t);
    }
}

TEST(TimeText, FormatFarFuture) {
    EXPECT_EQ(format_rfc3339(253'402'300'799'000), "9999-12-31T23:59:59Z");
}

TEST(TimeText, FormatExtremesDoNotOverflow) {
    // Any integer can arrive as an expires_at; under UBSan an overflow here is reported.
    const std::string min = format_rfc3339(std::numeric_limits<UnixMs>::min());
    const std::string max = format_rfc3339(std::numeric_limits<UnixMs>::max());
    EXPECT_EQ(min.front(), '-');
    EXPECT_EQ(min.back(), 'Z');
    EXPECT_NE(max.front(), '-');
    EXPECT_EQ(max.back(), 'Z');
}

TEST(TimeText, DurationUnderAMinuteInSeconds) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(999), "0s");
    EXPECT_EQ(format_duration(40 * second), "40s");
}

TEST(TimeText, DurationInMinutesAndSeconds) {
    EXPECT_EQ(format_duration(12 * minute), "12m");
    EXPECT_EQ(format_duration(12 * minute + 5 * second), "12m 5s");
}

TEST(TimeText, DurationInHoursAndMinutes) {
    EXPECT_EQ(format_duration(hour), "1h");
    EXPECT_EQ(format_duration(hour + 30 * minute + 10 * second), "1h 30m");
}

TEST(TimeText, DurationInDaysAndHours) {
    EXPECT_EQ(format_duration(3 * day), "3d");
    EXPECT_EQ(format_duration(3 * day + 4 * hour + 59 * minute), "3d 4h");
}

TEST(TimeText, NegativeDuration) {
    EXPECT_EQ(format_duration(-5 * minute), "-5m");
}

TEST(TimeText, DurationOfTheMostNegativeValueDoesNotOverflow) {
    EXPECT_EQ(format_duration(std::numeric_limits<std::int64_t>::min()), "-106751991167d 7h");
}

} // namespace
} // namespace credd
