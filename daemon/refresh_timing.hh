// RefreshTiming: when to refresh and how long to back off — pure arithmetic, jitter passed in.
#pragma once

#include <cstdint>
#include <optional>

namespace credd {

inline constexpr std::int64_t min_lead_ms = 30'000;
inline constexpr std::int64_t max_lead_ms = 300'000;
inline constexpr std::int64_t first_backoff_ms = 1'000;
inline constexpr std::int64_t max_backoff_ms = 300'000;
// The longest Retry-After honoured; a server asking for more is retried after this.
inline constexpr std::int64_t max_retry_after_ms = 3'600'000;

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

// A uniform number in [0, 1) from a per-process generator, for the two functions above.
double jitter_unit();

} // namespace credd
