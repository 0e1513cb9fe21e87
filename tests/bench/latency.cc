// Median and nearest-rank p99 of latency samples.
#include "latency.hh"

#include <algorithm>
#include <cmath>

namespace credd::bench {

LatencySummary summarize(std::vector<double> samples_ms) {
    LatencySummary summary;
    summary.count = samples_ms.size();
    if (samples_ms.empty())
        return summary;
    std::sort(samples_ms.begin(), samples_ms.end());
    const std::size_t n = samples_ms.size();
    summary.median_ms =
        n % 2 == 1 ? samples_ms[n / 2] : (samples_ms[n / 2 - 1] + samples_ms[n / 2]) / 2;
    const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(n)));
    summary.p99_ms = samples_ms[std::max<std::size_t>(rank, 1) - 1];
    return summary;
}

} // namespace credd::bench
