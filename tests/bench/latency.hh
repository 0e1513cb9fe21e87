// Latency samples summarised as median and p99 (nearest rank), in milliseconds.
#pragma once

#include <cstddef>
#include <vector>

namespace credd::bench {

struct LatencySummary {
    std::size_t count = 0;
    double median_ms = 0;
    double p99_ms = 0;
};

LatencySummary summarize(std::vector<double> samples_ms);

} // namespace credd::bench
