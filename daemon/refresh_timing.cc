// RefreshTiming: lead and backoff.
#include "refresh_timing.hh"

#include <algorithm>
#include <random>

namespace credd {

std::int64_t refresh_lead_ms(std::int64_t lifetime_ms, double unit) {
    lifetime_ms = std::max<std::int64_t>(lifetime_ms, 0);
    const std::int64_t lead =
        std::min(std::clamp(lifetime_ms / 3, min_lead_ms, max_lead_ms), lifetime_ms / 2);
    return static_cast<std::int64_t>(static_cast<double>(lead) * (0.9 + 0.2 * unit));
}

std::int64_t backoff_ms(unsigned failures, double unit,
                        std::optional<std::int64_t> retry_after_ms) {
    // The base stops doubling at 4 min so that, with jitter, waits at the cap still
    // spread over [4, 5) min instead of all landing on the same instant.
    const unsigned doublings = std::min(failures == 0 ? 0U : failures - 1, 8U);
    const std::int64_t base = std::min<std::int64_t>(first_backoff_ms << doublings, 240'000);
    std::int64_t wait = std::min<std::int64_t>(
        static_cast<std::int64_t>(static_cast<double>(base) * (1.0 + 0.25 * unit)), max_backoff_ms);
    if (retry_after_ms) {
        wait = std::max(wait, std::min(*retry_after_ms, max_retry_after_ms));
    }
    return wait;
}

std::int64_t spread_delay_ms(std::size_t position, double unit) {
    const auto steps = static_cast<std::int64_t>(std::min<std::size_t>(position, 1'000'000));
    const std::int64_t start = steps * spread_step_ms;
    if (start + spread_step_ms > max_spread_ms) {
        return static_cast<std::int64_t>(static_cast<double>(max_spread_ms) * unit);
    }
    return start + static_cast<std::int64_t>(static_cast<double>(spread_step_ms) * unit);
}

double jitter_unit() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

} // namespace credd
