// RefreshTiming: when to refresh and how long to back off — pure arithmetic, jitter passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace credd {

inline constexpr std::int64_t min_lead_ms = 30'000;
inline constexpr std::int64_t max_lead_ms = 300'000;
inline constexpr std::int64_t first_backoff_ms = 1'000;
inline constexpr std::int64_t max_backoff_ms = 300'000;
// The longest Retry-After honoured; a server asking for more is retried after this.
inline constexpr std::int64_t max_retry_after_ms = 3'600'000;
// A background refresh is never planned sooner than this after the last one ended, so a
// provider handing out very short-lived tokens cannot make credd refresh back to back.
inline constexpr std::int64_t min_refresh_gap_ms = 2'000;
// Overdue refreshes (after downtime, or once the data key arrives) start one step apart,
// spread over at most this window: 10 000 credentials take the whole minute, a few start
// within milliseconds.
inline constexpr std::int64_t spread_step_ms = 6;
inline constexpr std::int64_t max_spread_ms = 60'000;

// How long before expiry to refresh a token that lives `lifetime_ms`:
// clamp(lifetime/3, 30 s, 300 s) — but never more than half the lifetime, so a token
// that lives less than a minute is not refreshed the moment it arrives — times a jitter
// factor in [0.9, 1.1) from `unit` in [0, 1).
std::int64_t refresh_lead_ms(std::int64_t lifetime_ms, double unit);

// The wait before retry number `failures` (1 after the first failure): 1 s doubling per
// failure, times a jitter factor in [1, 1.25) from `unit`, never past 5 min; at least
// the server's Retry-After (up to an hour) when it sent one.
std::int64_t backoff_ms(unsigned failures, double unit,
                        std::optional<std::int64_t> retry_after_ms = std::nullopt);

// The delay before the overdue refresh number `position` (0 for the first of a burst)
// starts: position × 6 ms plus up to one step of jitter, or anywhere in the 60 s window
// once the burst outgrows it.
std::int64_t spread_delay_ms(std::size_t position, double unit);

// A uniform number in [0, 1) from a per-process generator, for the two functions above.
double jitter_unit();

} // namespace credd
