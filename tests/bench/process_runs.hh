// Process start to exit for several client programs, measured interleaved round robin so
// drifts of the machine (frequency, caches, other load) hit every program alike.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "child_process.hh"

namespace credd::bench {

// One program in the comparison, and what its runs measured.
struct Contender {
    std::string label;
    std::unique_ptr<CommandLine> command;
    std::string input;  // written to its stdin
    std::string expect; // its stdout must contain this, or the run counts as failed
    std::vector<double> samples_ms;
    int failures = 0;
    std::string first_failure;
    bool usable = true; // false when its first, trial run failed: it is left out
};

Contender make_contender(std::string label, std::vector<std::string> argv,
                         const std::vector<std::string>& env, std::string input,
                         std::string expect);

// One trial run of each, then `warmup_rounds` discarded rounds and `runs` measured ones.
// Each run is bounded (5 s); the whole is bounded by the stop signal.
void measure_process_runs(std::vector<Contender>& contenders, const std::string& cwd, int runs,
                          int warmup_rounds);

} // namespace credd::bench
